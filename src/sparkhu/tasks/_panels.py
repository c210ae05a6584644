"""Series groups of the lake as model panels, and forecasts back in the series' own units."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from sparkhu.models.panel import Series
from sparkhu.tasks.context import TaskContext

UNGROUPED = "default"
"""The group of the series registered without one."""


def group_of(group: str) -> str:
    """A feature's group as the model pipeline names it (``default`` when empty)."""
    return group or UNGROUPED


def group_series(ctx: TaskContext, group: str) -> tuple[str, ...]:
    """The registered, active series of ``group`` among the run's series, sorted."""
    return tuple(sorted(fid for fid, feature in ctx.features().items()
                        if feature.active and group_of(feature.group) == group))


def panel_from(frame: pd.DataFrame, periods: Mapping[str, float]) -> list[Series]:
    """One :class:`Series` per series of a long frame, on its decided period's grid (gaps are NaN)."""
    panel = []
    for series_id, rows in frame.sort_values(["series_id", "ts"]).groupby("series_id", sort=True):
        stamps = rows["ts"].to_numpy(dtype="datetime64[us]").astype(np.int64)
        if len(stamps) < 3:
            continue
        step = float(periods.get(str(series_id)) or np.median(np.diff(stamps)) / 1e6)
        slots = np.rint((stamps - stamps[0]) / (step * 1e6)).astype(np.int64)
        values = np.full(int(slots[-1]) + 1, np.nan)
        values[slots] = rows["value"].to_numpy(dtype=np.float64)
        panel.append(Series(str(series_id), values, pd.Timestamp(rows["ts"].iloc[0]), step))
    return panel


def read_panel(ctx: TaskContext, group: str, table: str = "normalized") -> list[Series]:
    """The group's series from ``table`` over the whole history up to the interval's end."""
    series = group_series(ctx, group)
    if not series:
        return []
    from sparkhu.storage.lake import Slice

    frame = ctx.lake.read(table, Slice(None, ctx.interval.end, series), columns=["series_id", "ts", "value"])
    return panel_from(frame, ctx.periods(pd.Timestamp.min.tz_localize("UTC")))


def scalers_of(ctx: TaskContext, series: tuple[str, ...]) -> dict[str, tuple[float, float]]:
    """The latest (center, scale) of each series' normalisation (to turn forecasts back into units)."""
    from sparkhu.storage.lake import Slice

    rows = ctx.lake.read("scalers", Slice(None, ctx.interval.end, series))
    rows = rows.sort_values("interval_start").drop_duplicates("series_id", keep="last")
    return {str(r.series_id): (float(r.center), float(r.scale)) for r in rows.itertuples()}


def in_units(values: np.ndarray, scaler: tuple[float, float] | None) -> np.ndarray:
    """Normalised values back in the series' own units (``x = x' * scale + center``)."""
    if scaler is None:
        return values
    center, scale = scaler
    return values * scale + center
