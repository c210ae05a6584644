"""Task ``normalize``: scale the cleaned series with parameters fitted on a training window only."""

from __future__ import annotations

import pandas as pd

from sparkhu.analysis.normalize import METHODS, apply_scalers, fit_scalers
from sparkhu.tasks.context import TaskContext
from sparkhu.tasks.params import Param
from sparkhu.tasks.spec import TaskOutcome, TaskSpec, register


def run(ctx: TaskContext) -> TaskOutcome:
    """Fit on the first ``train_fraction`` of the look-back (never on later points), then scale the interval.

    The scalers are stored so that forecasts can be transformed back (``x = x' * scale + center``).
    """
    window_start = min(ctx.lookback(ctx.params["lookback_days"]), ctx.interval.start)
    history = ctx.read("cleaned", start=window_start)
    first, last = (history["ts"].min(), history["ts"].max()) if len(history) else (window_start, window_start)
    # The training part is the leading share of the history that exists, not of the calendar window.
    train_end = first + (last - first) * ctx.params["train_fraction"] + pd.Timedelta(microseconds=1)
    scalers = fit_scalers(history, ctx.params["method"], train_end=train_end, train_start=first)
    ctx.write("scalers", ctx.with_interval(scalers))
    points = history[history["ts"] >= ctx.interval.start]
    normalized = apply_scalers(points, scalers)
    ctx.write("normalized", normalized)
    return TaskOutcome(rows_in=len(points), rows_out=len(normalized), n_series=len(scalers),
                       counts={"train_points": int(scalers["n_train"].sum())})


SPEC = register(TaskSpec(
    name="normalize",
    summary="Min-max, z-score or robust scaling fitted on a training window; scalers stored",
    inputs=("cleaned",),
    outputs=("scalers", "normalized"),
    params=(
        Param("method", str, "minmax", "Scaling method", choices=METHODS),
        Param("lookback_days", float, 60.0, "History the scaler sees (days back from the end)",
              minimum=0.01, maximum=3650),
        Param("train_fraction", float, 0.8, "Leading share of that history used for fitting",
              minimum=0.05, maximum=1.0),
    ),
    run=run,
))
