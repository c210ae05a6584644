"""Task ``forecast``: the group's champion forecasts the next steps of each series into ``forecasts``.

Forecasts are made on the normalised series (what the models learn on) and turned back into the series'
units with the stored scalers; the interval is the champion's conformal half-width per step times the
series' scale. A series with fewer known points than the horizon gets no forecast (counted as
``too_short``). A rerun of the same interval replaces its issue.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sparkhu.models.intervals import series_scale
from sparkhu.storage.lake import Slice
from sparkhu.tasks._modeling import GROUP, HORIZON, model_store
from sparkhu.tasks._panels import group_series, in_units, read_panel, scalers_of
from sparkhu.tasks.context import TaskContext
from sparkhu.tasks.spec import TaskOutcome, TaskSpec, register


def run(ctx: TaskContext) -> TaskOutcome:
    """Forecast every series of the group with its champion; nothing when the group has no champion yet."""
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
    values = model.predict(panel)[:, :horizon]
    rows = []
    intervals = model.intervals
    for series, forecast in zip(panel, values, strict=True):
        scaler = scalers.get(series.series_id)
        point = in_units(forecast, scaler)
        half = (intervals.widths[:len(point)] * series_scale(in_units(series.values, scaler))
                if intervals is not None else np.full(len(point), np.nan))
        stamps = series.future_stamps(len(point))
        rows.append(pd.DataFrame({"series_id": series.series_id, "ts": stamps, "value": point, "lo": point - half,
                                  "hi": point + half}))
    frame = pd.concat(rows, ignore_index=True).assign(model_name=model.name, model_version=version.version,
                                                      run_id=version.run_id, issued_at=ctx.interval.start)
    ctx.lake.replace("forecasts", frame, Slice(ctx.interval.start, ctx.interval.end, group_series(ctx, group)))
    return TaskOutcome(rows_out=len(frame), n_series=len(panel), counts={"forecast_rows": len(frame),
                                                                         "too_short": len(short)},
                       metrics={"model_version": float(version.version)})


SPEC = register(TaskSpec(
    name="forecast",
    summary="The champion of each group forecasts the next steps of its series into the forecasts table",
    inputs=("normalized", "regularity", "scalers"),
    outputs=("forecasts",),
    params=(GROUP, HORIZON),
    run=run,
))
