"""The drawable layers of one series, gathered from whichever tables exist.

Each layer is optional: a series that was only deduplicated has a line and nothing else; one that went
through the whole chain also has missing spans, imputed points, outliers with their fences and
anomalies with their scores, and a series the model pipeline forecast has its latest forecast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib import dates as mdates

from sparkhu.reporting.downsample import FloatArray, merge_spans, true_runs

#: Most anomalies whose score is written next to them on the plot.
ANNOTATED_ANOMALIES = 3


def date_numbers(ts: pd.Series) -> FloatArray:
    """Matplotlib date numbers (days since the epoch) of UTC timestamps."""
    naive = pd.to_datetime(ts, utc=True).dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
    return np.asarray(mdates.date2num(naive), dtype=np.float64)


@dataclass(frozen=True)
class Points:
    """Positions (date numbers) and values of some points."""

    x: FloatArray
    y: FloatArray

    @classmethod
    def of(cls, frame: pd.DataFrame, column: str = "value") -> Points:
        """The points of ``frame``'s ``ts`` and ``column``."""
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        return cls(date_numbers(frame["ts"]), values)

    def __len__(self) -> int:
        return len(self.x)


@dataclass(frozen=True)
class Forecast:
    """One issue of a series' forecasts (rows of the ``forecasts`` table with one ``issued_at``).

    Attributes:
        points: Forecast values at their future timestamps, in time order.
        lo: Lower bound of the prediction interval at each point (NaN where none).
        hi: Upper bound of the prediction interval at each point (NaN where none).
        first: Timestamp of the first forecast step.
        issued_at: Interval start of the run that issued it.
        model: Name of the model that forecast (None when not recorded).
        version: Its registered version (None when not recorded).
        level: Nominal coverage of the band between ``lo`` and ``hi``, in (0, 1); None unless the rows record a
            ``level``.
    """

    points: Points
    lo: FloatArray
    hi: FloatArray
    first: pd.Timestamp
    issued_at: pd.Timestamp
    model: str | None
    version: int | None
    level: float | None = None

    @property
    def has_band(self) -> bool:
        """Whether some step has both bounds."""
        return bool(np.any(np.isfinite(self.lo) & np.isfinite(self.hi)))

    @property
    def model_label(self) -> str:
        """The model and version as shown in the report (``ridge v3``)."""
        version = f" v{self.version}" if self.version is not None else ""
        return f"{self.model or 'unnamed model'}{version}"


@dataclass(frozen=True)
class SeriesLayers:
    """Everything the series plot draws.

    Attributes:
        line: The observed series (NaN at missing grid points).
        source: The table the line comes from.
        missing_spans: ``(starts, ends)`` in date numbers of the runs of missing points.
        n_missing: Missing points.
        imputed: Values filled in at missing points, and the method used.
        outliers: Outlier points.
        fences: Lower and upper outlier fences over time.
        anomalies: Anomalous points.
        scores: Anomaly scores of ``anomalies``.
        forecast: The latest issued forecast (None when the series has none).
    """

    line: Points
    source: str
    missing_spans: tuple[FloatArray, FloatArray]
    n_missing: int
    imputed: Points | None
    imputed_method: str | None
    outliers: Points | None
    fences: tuple[Points, Points] | None
    anomalies: Points | None
    scores: FloatArray | None
    forecast: Forecast | None = None


def missing_spans(grid: pd.DataFrame, min_gap: float) -> tuple[FloatArray, FloatArray]:
    """Spans covering each run of missing grid points, half a step either side, merged below ``min_gap``."""
    x = date_numbers(grid["ts"])
    starts, ends = true_runs(grid["is_missing"].to_numpy(dtype=bool))
    if len(starts) == 0:
        empty = np.empty(0, dtype=np.float64)
        return empty, empty
    half = float(np.median(np.diff(x))) / 2 if len(x) > 1 else 0.5 / 1440
    return merge_spans(x[starts] - half, x[ends - 1] + half, min_gap)


def flagged(frame: pd.DataFrame | None, flag: str) -> pd.DataFrame | None:
    """Rows of ``frame`` where ``flag`` is true (None when the table is absent)."""
    if frame is None:
        return None
    return frame[frame[flag].fillna(False).astype(bool)]


def main_method(frame: pd.DataFrame | None) -> str | None:
    """The most frequent ``method`` of a pooled table's rows (a series normally has one)."""
    if frame is None or frame.empty or "method" not in frame:
        return None
    counts = frame["method"].dropna().astype(str).value_counts()
    return None if counts.empty else str(counts.index[0])


def fence_lines(outliers: pd.DataFrame | None) -> tuple[Points, Points] | None:
    """The fences as two lines over time (None when absent or never set)."""
    if outliers is None or outliers.empty or outliers[["lower_fence", "upper_fence"]].isna().all().all():
        return None
    return Points.of(outliers, "lower_fence"), Points.of(outliers, "upper_fence")


def latest_forecast(rows: pd.DataFrame | None) -> Forecast | None:
    """The most recently issued forecast among one series' ``forecasts`` rows (None when there is none).

    Args:
        rows: The series' rows of the ``forecasts`` table, sorted by time (None when the table is absent).
    """
    if rows is None or rows.empty:
        return None
    latest = rows[rows["issued_at"] == rows["issued_at"].max()].sort_values("ts", kind="stable")
    head = latest.iloc[0]
    return Forecast(
        points=Points.of(latest), lo=Points.of(latest, "lo").y, hi=Points.of(latest, "hi").y,
        first=pd.Timestamp(head["ts"]), issued_at=pd.Timestamp(head["issued_at"]),
        model=None if pd.isna(head["model_name"]) else str(head["model_name"]),
        version=None if pd.isna(head["model_version"]) else int(head["model_version"]),
        level=_level(latest["level"]) if "level" in latest else None,
    )


def _level(levels: pd.Series) -> float | None:
    """The band's coverage as a fraction, from a fraction (0.8) or a percentage (80); None when unrecorded."""
    known = pd.to_numeric(levels, errors="coerce").dropna()
    value = float(known.iloc[0]) if len(known) else float("nan")
    fraction = value / 100 if 1 < value < 100 else value
    return fraction if 0 < fraction < 1 else None


def build_layers(tables: dict[str, pd.DataFrame], source: str, pixel: float,
                 forecasts: pd.DataFrame | None = None) -> SeriesLayers:
    """The layers of one series from its rows in each present table.

    Args:
        tables: This series' rows per table name, sorted by time (absent tables are not keys).
        source: The table whose values make the line (``missing_marked`` when it exists).
        pixel: Width of one pixel column in date numbers (missing runs closer than this merge).
        forecasts: The series' rows of the ``forecasts`` table (None when the table is absent); the
            latest issue is drawn.
    """
    grid = tables.get("missing_marked")
    spans = missing_spans(grid, pixel) if grid is not None else (np.empty(0), np.empty(0))
    imputed = flagged(tables.get("imputed"), "is_missing")
    outliers = flagged(tables.get("outliers"), "is_outlier")
    anomalies = flagged(tables.get("anomalies"), "is_anomaly")
    return SeriesLayers(
        line=Points.of(tables[source]), source=source, missing_spans=spans,
        n_missing=0 if grid is None else int(grid["is_missing"].sum()),
        imputed=None if imputed is None else Points.of(imputed),
        imputed_method=main_method(tables.get("imputed")),
        outliers=None if outliers is None else Points.of(outliers),
        fences=fence_lines(tables.get("outliers")),
        anomalies=None if anomalies is None else Points.of(anomalies),
        scores=None if anomalies is None else Points.of(anomalies, "anomaly_score").y,
        forecast=latest_forecast(forecasts),
    )
