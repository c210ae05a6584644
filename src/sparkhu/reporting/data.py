"""Read, once, every lake table a report draws on, for the report's interval and series."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sparkhu.reporting.scope import ReportScope
from sparkhu.storage.lake import Lake

#: Tables the series line may come from, most processed first (the first with rows wins).
POINT_SOURCES = ("missing_marked", "deduplicated", "validated", "raw")
#: Per-point overlay tables, read for the plotted series only.
OVERLAY_TABLES = ("outliers", "imputed", "decomposed", "anomalies", "cleaned")
#: Per-series tables, read for the plotted series only (``forecasts``: the issues of the interval, by ``issued_at``).
SERIES_TABLES = ("scalers", "windows", "forecasts")
#: Small tables read for every series in the interval (the overview table).
OVERVIEW_TABLES = ("stats", "regularity")
#: Tables of relations between series, read whole for the interval: pairs of series (``correlations``, no
#: ``series_id``) and the fusion of a target's leading partners (``fusion``, a small row per target).
RELATION_TABLES = ("correlations", "fusion")

_POINT = ["series_id", "ts", "value"]
#: Columns a report needs from each table (None: all declared columns).
COLUMNS: dict[str, list[str] | None] = {
    "missing_marked": [*_POINT, "is_missing", "missing_kind"],
    "deduplicated": _POINT, "validated": _POINT, "raw": _POINT,
    "outliers": [*_POINT, "is_outlier", "lower_fence", "upper_fence"],
    "imputed": [*_POINT, "is_missing", "method"],
    "decomposed": [*_POINT, "trend", "seasonal", "residual", "seasonal_periods"],
    "anomalies": [*_POINT, "is_anomaly", "anomaly_score", "expected"],
    "cleaned": [*_POINT, "method"],
    # windows hold list columns of every window: their sizes are all a report shows, not their values
    "windows": ["series_id", "input_length", "output_length", "has_missing"],
    # forecasts: every declared column, so that a band level is shown once the table records one
    "scalers": None, "stats": None, "regularity": None, "forecasts": None, "correlations": None,
    "fusion": None,
}


@dataclass(frozen=True)
class ReportData:
    """The rows a report shows.

    Attributes:
        present: Tables that exist in the lake.
        source: The table the series lines come from (None: no point table has rows).
        frames: Rows per table, already restricted to the interval (and to the plotted series).
    """

    present: frozenset[str]
    source: str | None
    frames: dict[str, pd.DataFrame]

    def table(self, name: str) -> pd.DataFrame | None:
        """All rows read of ``name`` (None when the table does not exist)."""
        return self.frames.get(name)

    def of_series(self, name: str, series_id: str) -> pd.DataFrame | None:
        """Rows of ``name`` for one series, sorted by time where timed (None when the table is absent)."""
        frame = self.frames.get(name)
        if frame is None:
            return None
        rows = frame[frame["series_id"] == series_id]
        return rows.sort_values("ts", kind="stable", ignore_index=True) if "ts" in rows else rows

    def series_tables(self, series_id: str) -> dict[str, pd.DataFrame]:
        """One series' rows of the line source and of each overlay table that exists."""
        names = ([self.source] if self.source else []) + [n for n in ("missing_marked", *OVERLAY_TABLES)
                                                          if n != self.source]
        found = {name: self.of_series(name, series_id) for name in names}
        return {name: rows for name, rows in found.items() if rows is not None}


def load(lake: Lake, scope: ReportScope, present: frozenset[str]) -> ReportData:
    """Read what the report needs from the tables in ``present``."""
    plotted = scope.slice(scope.series)
    frames: dict[str, pd.DataFrame] = {}
    source = None
    for name in POINT_SOURCES:
        if name in present and source is None:
            frames[name] = lake.read(name, plotted, COLUMNS[name])
            source = name if len(frames[name]) else None
    for name in (*OVERLAY_TABLES, *SERIES_TABLES):
        if name in present:
            frames[name] = lake.read(name, plotted, COLUMNS[name])
    for name in (*OVERVIEW_TABLES, *RELATION_TABLES):
        if name in present:
            frames[name] = lake.read(name, scope.slice(), COLUMNS[name])
    return ReportData(present, source, frames)


def present_tables(lake: Lake, names: tuple[str, ...]) -> frozenset[str]:
    """Which of ``names`` exist in the lake."""
    return frozenset(name for name in names if lake.table(name) is not None)
