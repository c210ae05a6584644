"""Task ``deduplicate``: one value per (series, timestamp)."""

from __future__ import annotations

import pandas as pd

from sparkhu.analysis.dedup import deduplicate
from sparkhu.tasks.context import TaskContext
from sparkhu.tasks.params import Param
from sparkhu.tasks.spec import TaskOutcome, TaskSpec, register
from sparkhu.tasks.validate import ARRIVAL_ORDER


def deduplicated_frame(part: pd.DataFrame, policy: str) -> pd.DataFrame:
    """The deduplicated rows of ``part`` (engine-friendly: returns a frame)."""
    return deduplicate(part, policy=policy).frame  # type: ignore[arg-type]


def run(ctx: TaskContext) -> TaskOutcome:
    """Drop exact duplicates and resolve conflicting values by the ``policy`` parameter."""
    validated = ctx.read("validated").sort_values(ARRIVAL_ORDER, kind="stable", ignore_index=True)
    result = ctx.engine.map_series(deduplicated_frame, validated, policy=ctx.params["policy"])
    ctx.write("deduplicated", result)
    conflicts = int(result["conflict"].sum()) if len(result) else 0
    return TaskOutcome(
        rows_in=len(validated), rows_out=len(result), n_series=int(result["series_id"].nunique()),
        counts={"rows_merged": len(validated) - len(result), "conflicting_timestamps": conflicts},
    )


SPEC = register(TaskSpec(
    name="deduplicate",
    summary="Drop exact duplicates; resolve same-timestamp conflicts by policy",
    inputs=("validated",),
    outputs=("deduplicated",),
    params=(Param("policy", str, "mean", "Conflict policy", choices=("first", "last", "mean", "median")),),
    run=run,
))
