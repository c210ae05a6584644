"""Task ``detect-outliers-iqr``: Tukey fences from a trailing sample window, flags on the interval.

A daily run's fences come from the ``sample_days`` before its end; a run over a long history judges
each stretch of it with the window before that stretch (:func:`trailing_outliers`), never with the
quartiles of the whole history.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from sparkhu.analysis.outliers import DEFAULT_K, trailing_outliers
from sparkhu.tasks.context import TaskContext
from sparkhu.tasks.engines import SeriesStep, counts
from sparkhu.tasks.params import Param
from sparkhu.tasks.spec import TaskOutcome, TaskSpec, register


def flagged(frames: Mapping[str, pd.DataFrame], *, k: float, start: pd.Timestamp, end: pd.Timestamp,
            window: pd.Timedelta) -> dict[str, pd.DataFrame]:
    """Flags of the points since ``start``, each with the fences of the window before its stretch."""
    sample = frames["sample"]
    rows = trailing_outliers(sample, start, end, window, k)
    return {"outliers": rows, "counts": counts(outliers=int(rows["is_outlier"].sum()), sample_rows=len(sample))}


def run(ctx: TaskContext) -> TaskOutcome:
    """Fences ``Q1 - k*IQR``, ``Q3 + k*IQR`` from the trailing sample window; points beyond them are outliers."""
    window = pd.Timedelta(days=ctx.params["sample_days"])
    sample_start = ctx.interval.start - window
    result = ctx.run_step(SeriesStep(
        reads={"sample": ctx.reading("missing_marked", start=sample_start,
                                     columns=("series_id", "ts", "value", "is_missing"))},
        compute=flagged, writes={"outliers": ctx.writing("outliers")},
        kwargs={"k": ctx.params["k"], "start": ctx.interval.start, "end": ctx.interval.end, "window": window},
    ))
    return TaskOutcome(rows_in=result.rows_out["outliers"], rows_out=result.rows_out["outliers"],
                       n_series=result.n_series, counts=result.totals())


SPEC = register(TaskSpec(
    name="detect-outliers-iqr",
    summary="IQR outlier flags with quartiles from a look-back sample window",
    inputs=("missing_marked",),
    outputs=("outliers",),
    params=(
        Param("k", float, DEFAULT_K, "Fence multiplier of the IQR", minimum=0.1, maximum=100,
              workflow_name="outlier-k"),
        Param("sample_days", float, 60.0, "Trailing sample window for the quartiles (days)",
              minimum=0.01, maximum=3650),
    ),
    run=run,
))
