"""Task ``validate``: check raw points (types, finite values, time range, physical range)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from sparkhu.analysis.validation import Bounds, validate_points
from sparkhu.tasks.context import TaskContext
from sparkhu.tasks.engines import SeriesStep, counts
from sparkhu.tasks.spec import TaskOutcome, TaskSpec, register

ARRIVAL_ORDER = ["series_id", "ingested_at", "source", "line"]
STAGE = "validate"


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


def validated(frames: Mapping[str, pd.DataFrame], *, start: pd.Timestamp, end: pd.Timestamp,
              ranges: Mapping[str, Bounds], now: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """Valid points, quarantined rows and the counts of the rules, for some whole series."""
    raw = frames["raw"].sort_values(ARRIVAL_ORDER, kind="stable", ignore_index=True)
    result = validate_points(raw, start=start, end=end, ranges=ranges, now=now)
    return {"validated": result.valid, "quarantine": quarantine_rows(result.rejected, STAGE),
            "counts": counts(**result.counts)}


def run(ctx: TaskContext) -> TaskOutcome:
    """Validate the interval's raw points; valid ones to ``validated``, the rest to ``quarantine``."""
    ranges = {fid: (f.range_min, f.range_max) for fid, f in ctx.features().items()}
    step = SeriesStep(
        reads={"raw": ctx.reading("raw")}, compute=validated,
        writes={"validated": ctx.writing("validated"), "quarantine": ctx.writing("quarantine", stage=STAGE)},
        kwargs={"start": ctx.interval.start, "end": ctx.interval.end, "ranges": ranges,
                "now": pd.Timestamp.now(tz="UTC")},
    )
    result = ctx.run_step(step)
    # Every count is additive over calls (``series_out_of_order`` too: a series is in one call).
    return TaskOutcome(rows_in=result.rows_in["raw"], rows_out=result.rows_out["validated"],
                       n_series=result.n_series, counts=result.totals())


SPEC = register(TaskSpec(
    name="validate",
    summary="Schema, finite values, plausible timestamps, time order, physical range",
    inputs=("raw",),
    outputs=("validated", "quarantine"),
    params=(),
    run=run,
))
