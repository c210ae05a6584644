"""Task ``deduplicate``: one value per (series, timestamp)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from sparkhu.analysis.dedup import deduplicate
from sparkhu.tasks.context import TaskContext
from sparkhu.tasks.engines import SeriesStep, counts
from sparkhu.tasks.params import Param
from sparkhu.tasks.spec import TaskOutcome, TaskSpec, register
from sparkhu.tasks.validate import ARRIVAL_ORDER


def deduplicated(frames: Mapping[str, pd.DataFrame], *, policy: str) -> dict[str, pd.DataFrame]:
    """The deduplicated rows of some whole series, in arrival order, and the merge counts."""
    points = frames["validated"].sort_values(ARRIVAL_ORDER, kind="stable", ignore_index=True)
    result = deduplicate(points, policy=policy).frame  # type: ignore[arg-type]
    conflicts = int(result["conflict"].sum()) if len(result) else 0
    return {"deduplicated": result,
            "counts": counts(rows_merged=len(points) - len(result), conflicting_timestamps=conflicts)}


def run(ctx: TaskContext) -> TaskOutcome:
    """Drop exact duplicates and resolve conflicting values by the ``policy`` parameter."""
    result = ctx.run_step(SeriesStep(
        reads={"validated": ctx.reading("validated")}, compute=deduplicated,
        writes={"deduplicated": ctx.writing("deduplicated")}, kwargs={"policy": ctx.params["policy"]},
    ))
    return TaskOutcome(rows_in=result.rows_in["validated"], rows_out=result.rows_out["deduplicated"],
                       n_series=result.n_series, counts=result.totals())


SPEC = register(TaskSpec(
    name="deduplicate",
    summary="Drop exact duplicates; resolve same-timestamp conflicts by policy",
    inputs=("validated",),
    outputs=("deduplicated",),
    params=(Param("policy", str, "mean", "Conflict policy", choices=("first", "last", "mean", "median"),
                  workflow_name="dedup-policy"),),
    run=run,
))
