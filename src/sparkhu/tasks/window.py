"""Task ``window``: sliding windows (T inputs, N outputs) into the feature store table ``windows``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

import pandas as pd

from sparkhu.analysis.windows import make_windows
from sparkhu.tasks.context import TaskContext
from sparkhu.tasks.engines import SeriesStep, counts
from sparkhu.tasks.params import Param
from sparkhu.tasks.spec import TaskOutcome, TaskSpec, register


def context_start(ctx: TaskContext, steps: int) -> pd.Timestamp:
    """Early enough that the first window whose outputs start in the interval has all its inputs."""
    periods = ctx.periods(ctx.days_before_start(ctx.params["context_days"]))
    longest = max(periods.values(), default=0.0)
    return ctx.interval.start - timedelta(seconds=longest * (steps + 1))


def windowed(frames: Mapping[str, pd.DataFrame], *, input_length: int, output_length: int, stride: int,
             missing: str, start: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """The windows of whole series whose first output step lies at or after ``start``."""
    windows = make_windows(frames["normalized"], input_length, output_length, stride, missing,  # type: ignore[arg-type]
                           since=start)
    return {"windows": windows, "counts": counts(marked=int(windows["has_missing"].sum()))}


def run(ctx: TaskContext) -> TaskOutcome:
    """Windows keyed by (series, T, N, first output timestamp); missing points drop or mark a window."""
    length_in, length_out = ctx.params["input_length"], ctx.params["output_length"]
    result = ctx.run_step(SeriesStep(
        reads={"normalized": ctx.reading("normalized", start=context_start(ctx, length_in))},
        compute=windowed,
        writes={"windows": ctx.writing("windows", input_length=length_in, output_length=length_out)},
        kwargs={"input_length": length_in, "output_length": length_out, "stride": ctx.params["stride"],
                "missing": ctx.params["missing"], "start": ctx.interval.start},
    ))
    return TaskOutcome(rows_in=result.rows_in["normalized"], rows_out=result.rows_out["windows"],
                       n_series=result.n_series, counts=result.totals())


SPEC = register(TaskSpec(
    name="window",
    summary="Sliding-window transformation on the regular grid into the feature store",
    inputs=("normalized", "regularity"),
    outputs=("windows",),
    params=(
        Param("input_length", int, 60, "T: input steps", minimum=1, maximum=100_000,
              workflow_name="window-input-length"),
        Param("output_length", int, 20, "N: output steps", minimum=1, maximum=100_000,
              workflow_name="window-output-length"),
        Param("stride", int, 1, "Steps between window starts", minimum=1, maximum=100_000),
        Param("missing", str, "drop", "Windows with missing points", choices=("drop", "mark")),
        Param("context_days", float, 14.0, "How far back decided periods are looked up", minimum=0.0,
              maximum=3650),
    ),
    run=run,
))
