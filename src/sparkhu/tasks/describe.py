"""Task ``describe``: descriptive statistics per series and interval."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from sparkhu.analysis.describe import describe
from sparkhu.tasks.context import TaskContext
from sparkhu.tasks.engines import SeriesStep
from sparkhu.tasks.spec import TaskOutcome, TaskSpec, register


def statistics(frames: Mapping[str, pd.DataFrame], *, start: pd.Timestamp, end: pd.Timestamp
               ) -> dict[str, pd.DataFrame]:
    """One statistics row per series of the interval ``[start, end)``."""
    points = frames["validated"].sort_values(["series_id", "ts"], kind="stable", ignore_index=True)
    return {"stats": describe(points).assign(interval_start=start, interval_end=end)}


def run(ctx: TaskContext) -> TaskOutcome:
    """Count, min, max, mean, median, quartiles, std, skewness, kurtosis, mode, cv, MAD per series."""
    result = ctx.run_step(SeriesStep(
        reads={"validated": ctx.reading("validated", columns=("series_id", "ts", "value"))},
        compute=statistics, writes={"stats": ctx.writing("stats")},
        kwargs={"start": ctx.interval.start, "end": ctx.interval.end},
    ))
    return TaskOutcome(rows_in=result.rows_in["validated"], rows_out=result.rows_out["stats"],
                       n_series=result.rows_out["stats"])


SPEC = register(TaskSpec(
    name="describe",
    summary="Descriptive statistics per series into the stats table",
    inputs=("validated",),
    outputs=("stats",),
    params=(),
    run=run,
))
