"""Task ``normalize``: scale the cleaned series with parameters fitted on a training window only."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from sparkhu.analysis.normalize import METHODS, apply_scalers, fit_on_leading_share
from sparkhu.tasks.context import TaskContext
from sparkhu.tasks.engines import SeriesStep, counts
from sparkhu.tasks.params import Param
from sparkhu.tasks.spec import TaskOutcome, TaskSpec, register


def normalized(frames: Mapping[str, pd.DataFrame], *, method: str, train_fraction: float,
               start: pd.Timestamp, end: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """Scalers of whole series fitted on the leading share of their history, and the scaled interval."""
    history = frames["cleaned"]
    scalers = fit_on_leading_share(history, method, train_fraction)
    points = history[history["ts"] >= start]
    return {"scalers": scalers.assign(interval_start=start, interval_end=end),
            "normalized": apply_scalers(points, scalers),
            "counts": counts(train_points=int(scalers["n_train"].sum()))}


def run(ctx: TaskContext) -> TaskOutcome:
    """Fit on the first ``train_fraction`` of each series' look-back (never on later points), scale the interval.

    The scalers are stored so that forecasts can be transformed back (``x = x' * scale + center``).
    """
    window_start = min(ctx.lookback(ctx.params["lookback_days"]), ctx.interval.start)
    result = ctx.run_step(SeriesStep(
        reads={"cleaned": ctx.reading("cleaned", start=window_start, columns=("series_id", "ts", "value"))},
        compute=normalized, writes={"scalers": ctx.writing("scalers"), "normalized": ctx.writing("normalized")},
        kwargs={"method": ctx.params["method"], "train_fraction": ctx.params["train_fraction"],
                "start": ctx.interval.start, "end": ctx.interval.end},
    ))
    return TaskOutcome(rows_in=result.rows_out["normalized"], rows_out=result.rows_out["normalized"],
                       n_series=result.rows_out["scalers"], counts=result.totals())


SPEC = register(TaskSpec(
    name="normalize",
    summary="Min-max, z-score or robust scaling fitted on a training window; scalers stored",
    inputs=("cleaned",),
    outputs=("scalers", "normalized"),
    params=(
        Param("method", str, "minmax", "Scaling method", choices=METHODS, workflow_name="normalize-method"),
        Param("lookback_days", float, 60.0, "History the scaler sees (days back from the end)",
              minimum=0.01, maximum=3650),
        Param("train_fraction", float, 0.8, "Leading share of each series' history used for fitting",
              minimum=0.05, maximum=1.0),
    ),
    run=run,
))
