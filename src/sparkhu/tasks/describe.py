"""Task ``describe``: descriptive statistics per series and interval."""

from __future__ import annotations

import pandas as pd

from sparkhu.analysis.describe import describe
from sparkhu.tasks.context import TaskContext
from sparkhu.tasks.spec import TaskOutcome, TaskSpec, register


def with_interval(frame: pd.DataFrame, ctx: TaskContext) -> pd.DataFrame:
    """``frame`` with the run's ``interval_start`` and ``interval_end`` columns."""
    return frame.assign(interval_start=ctx.interval.start, interval_end=ctx.interval.end)


def run(ctx: TaskContext) -> TaskOutcome:
    """Count, min, max, mean, median, quartiles, std, skewness, kurtosis, mode, cv, MAD per series."""
    validated = ctx.read("validated").sort_values(["series_id", "ts"], kind="stable", ignore_index=True)
    stats = with_interval(ctx.engine.map_series(describe, validated), ctx)
    ctx.write("stats", stats)
    return TaskOutcome(rows_in=len(validated), rows_out=len(stats), n_series=len(stats))


SPEC = register(TaskSpec(
    name="describe",
    summary="Descriptive statistics per series into the stats table",
    inputs=("validated",),
    outputs=("stats",),
    params=(),
    run=run,
))
