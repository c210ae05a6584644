"""Task ``window``: sliding windows (T inputs, N outputs) into the feature store table ``windows``."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from sparkhu.analysis.windows import make_windows
from sparkhu.tasks.context import TaskContext
from sparkhu.tasks.params import Param
from sparkhu.tasks.spec import TaskOutcome, TaskSpec, register


def context_start(ctx: TaskContext, steps: int) -> pd.Timestamp:
    """Early enough that the first window whose outputs start in the interval has all its inputs."""
    periods = ctx.periods(ctx.days_before_start(ctx.params["context_days"]))
    longest = max(periods.values(), default=0.0)
    return ctx.interval.start - timedelta(seconds=longest * (steps + 1))


def run(ctx: TaskContext) -> TaskOutcome:
    """Windows keyed by (series, T, N, first output timestamp); missing points drop or mark a window."""
    length_in, length_out = ctx.params["input_length"], ctx.params["output_length"]
    frame = ctx.read("normalized", start=context_start(ctx, length_in))
    windows = make_windows(frame, length_in, length_out, ctx.params["stride"], ctx.params["missing"])
    windows = windows[windows["ts"] >= ctx.interval.start]
    ctx.write("windows", windows, input_length=length_in, output_length=length_out)
    return TaskOutcome(rows_in=len(frame), rows_out=len(windows), n_series=int(windows["series_id"].nunique()),
                       counts={"marked": int(windows["has_missing"].sum())})


SPEC = register(TaskSpec(
    name="window",
    summary="Sliding-window transformation on the regular grid into the feature store",
    inputs=("normalized", "regularity"),
    outputs=("windows",),
    params=(
        Param("input_length", int, 60, "T: input steps", minimum=1, maximum=100_000),
        Param("output_length", int, 20, "N: output steps", minimum=1, maximum=100_000),
        Param("stride", int, 1, "Steps between window starts", minimum=1, maximum=100_000),
        Param("missing", str, "drop", "Windows with missing points", choices=("drop", "mark")),
        Param("context_days", float, 14.0, "How far back decided periods are looked up", minimum=0.0,
              maximum=3650),
    ),
    run=run,
))
