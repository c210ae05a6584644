"""Task ``describe``: descriptive statistics per series and interval."""

from __future__ import annotations

from sparkhu.analysis.describe import describe
from sparkhu.tasks.context import TaskContext
from sparkhu.tasks.spec import TaskOutcome, TaskSpec, register


def run(ctx: TaskContext) -> TaskOutcome:
    """Count, min, max, mean, median, quartiles, std, skewness, kurtosis, mode, cv, MAD per series."""
    validated = ctx.read("validated").sort_values(["series_id", "ts"], kind="stable", ignore_index=True)
    stats = ctx.with_interval(ctx.engine.map_series(describe, validated))
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
