"""Task ``forecast``: the group's champion forecasts the next steps of each series into ``forecasts``.

Forecasts are made on the normalised series (what the models learn on) and turned back into the series'
units with the stored scalers; the interval is the champion's conformal half-width per step times the
series' scale. A series that ``fuse`` decided to forecast with its leading partners gets its fused
model's forecast instead (``model_name`` "fused ...", the fuse run's id). A series with fewer known
points than the horizon gets no forecast (counted as ``too_short``). A rerun of the same interval
replaces its issue.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sparkhu.models.intervals import ConformalIntervals, series_scale
from sparkhu.models.panel import Series
from sparkhu.storage.lake import Slice
from sparkhu.tasks._fusion import FUSED_FOLDER, fused_series, latest_rows, partner_list
from sparkhu.tasks._modeling import GROUP, HORIZON, model_store
from sparkhu.tasks._panels import group_series, in_units, read_panel, scalers_of
from sparkhu.tasks.context import TaskContext
from sparkhu.tasks.spec import TaskOutcome, TaskSpec, register


def series_frame(series: Series, forecast: np.ndarray, intervals: ConformalIntervals | None,
                 scaler: tuple[float, float] | None) -> pd.DataFrame:
    """One series' forecast rows in its units: value and the conformal interval around it."""
    point = in_units(forecast, scaler)
    half = (intervals.widths[:len(point)] * series_scale(in_units(series.values, scaler))
            if intervals is not None else np.full(len(point), np.nan))
    return pd.DataFrame({"series_id": series.series_id, "ts": series.future_stamps(len(point)), "value": point,
                         "lo": point - half, "hi": point + half})


def fused_frames(ctx: TaskContext, group: str, panel: list[Series], scalers: dict[str, tuple[float, float]]
                 ) -> dict[str, pd.DataFrame]:
    """Forecasts of the series that ``fuse`` decided to forecast with their partners, by series id."""
    decided = latest_rows(ctx, "fusion", group)
    if decided.empty:
        return {}
    by_id, horizon, store = {s.series_id: s for s in panel}, ctx.params["horizon"], model_store(ctx.settings)
    frames = {}
    for row in decided[decided["used"].astype(bool)].itertuples():
        series = by_id.get(str(row.series_id))
        fused = fused_series(series, partner_list(row.partners), by_id) if series is not None else None
        if fused is None:
            continue
        model = store.load_logged(str(row.run_id), FUSED_FOLDER)
        if model.horizon < horizon:  # decided for another horizon: the group champion forecasts it
            continue
        values = model.predict([fused])[0, :horizon]
        frames[fused.series_id] = series_frame(fused, values, model.intervals, scalers.get(fused.series_id)).assign(
            model_name=f"fused {model.name}", model_version=0, run_id=str(row.run_id))
    return frames


def run(ctx: TaskContext) -> TaskOutcome:
    """Forecast every series of the group with its champion (or its fused model); nothing without a champion."""
    group, horizon = ctx.params["group"], ctx.params["horizon"]
    store = model_store(ctx.settings)
    version = store.champion(group)
    panel = read_panel(ctx, group)
    if version is None or not panel:
        return TaskOutcome(n_series=len(panel), counts={"no_champion": int(version is None), "forecast_rows": 0})
    model = store.load(group, version.version)
    scalers = scalers_of(ctx, group_series(ctx, group))
    long_enough = [bool(np.isfinite(series.values).sum() >= horizon) for series in panel]
    short = [series for series, ok in zip(panel, long_enough, strict=True) if not ok]
    panel = [series for series, ok in zip(panel, long_enough, strict=True) if ok]
    if not panel:
        return TaskOutcome(counts={"too_short": len(short), "forecast_rows": 0})
    fused = fused_frames(ctx, group, panel, scalers)
    values = model.predict(panel)[:, :horizon]
    frames = [fused[series.series_id] if series.series_id in fused else
              series_frame(series, forecast, model.intervals, scalers.get(series.series_id)).assign(
                  model_name=model.name, model_version=version.version, run_id=version.run_id)
              for series, forecast in zip(panel, values, strict=True)]
    frame = pd.concat(frames, ignore_index=True).assign(issued_at=ctx.interval.start)
    ctx.lake.replace("forecasts", frame, Slice(ctx.interval.start, ctx.interval.end, group_series(ctx, group)))
    return TaskOutcome(rows_out=len(frame), n_series=len(panel), counts={"forecast_rows": len(frame),
                                                                         "too_short": len(short),
                                                                         "fused": len(fused)},
                       metrics={"model_version": float(version.version)})


SPEC = register(TaskSpec(
    name="forecast",
    summary="The champion of each group forecasts the next steps of its series into the forecasts table",
    inputs=("normalized", "regularity", "scalers", "fusion"),
    outputs=("forecasts",),
    params=(GROUP, HORIZON),
    run=run,
))
