"""Task ``validate``: check raw points (types, finite values, time range, physical range)."""

from __future__ import annotations

import pandas as pd

from sparkhu.analysis.validation import validate_points
from sparkhu.tasks.context import TaskContext
from sparkhu.tasks.spec import TaskOutcome, TaskSpec, register

ARRIVAL_ORDER = ["series_id", "ingested_at", "source", "line"]


def quarantine_rows(rejected: pd.DataFrame, stage: str) -> pd.DataFrame:
    """Rejected points in the ``quarantine`` table's shape, with the reason kept."""
    return pd.DataFrame({
        "stage": stage,
        "source": rejected.get("source"),
        "file": rejected.get("file"),
        "line": rejected.get("line"),
        "series_id": rejected["series_id"],
        "ts": rejected["ts"],
        "raw_value": rejected["value"].astype("string"),
        "reason": rejected["reason"],
        "quarantined_at": pd.Timestamp.now(tz="UTC"),
    })


def run(ctx: TaskContext) -> TaskOutcome:
    """Validate the interval's raw points; valid ones to ``validated``, the rest to ``quarantine``."""
    raw = ctx.read("raw").sort_values(ARRIVAL_ORDER, kind="stable", ignore_index=True)
    ranges = {fid: (f.range_min, f.range_max) for fid, f in ctx.features().items()}
    result = validate_points(raw, start=ctx.interval.start, end=ctx.interval.end, ranges=ranges,
                             now=pd.Timestamp.now(tz="UTC"))
    ctx.write("validated", result.valid)
    ctx.write("quarantine", quarantine_rows(result.rejected, "validate"), stage="validate")
    return TaskOutcome(rows_in=len(raw), rows_out=len(result.valid),
                       n_series=int(result.valid["series_id"].nunique()), counts=dict(result.counts))


SPEC = register(TaskSpec(
    name="validate",
    summary="Schema, finite values, plausible timestamps, time order, physical range",
    inputs=("raw",),
    outputs=("validated", "quarantine"),
    params=(),
    run=run,
))
