"""The series plot: the observed line with missing, imputed, outlier and anomaly overlays, and its forecast."""

from __future__ import annotations

import numpy as np
from matplotlib import dates as mdates
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sparkhu.reporting.downsample import PLOT_BUCKETS, minmax_downsample, thin_indices
from sparkhu.reporting.layers import ANNOTATED_ANOMALIES, Forecast, Points, SeriesLayers
from sparkhu.reporting.svg import render_svg

#: Most markers drawn per overlay: beyond this they overlap into a band anyway and only bloat the SVG.
MAX_MARKERS = 2000
SIZE = (11.0, 3.4)
COLORS = {"line": "#2b6cb0", "missing": "#a0aec0", "imputed": "#2f855a", "outlier": "#dd6b20",
          "anomaly": "#c53030", "fence": "#805ad5", "forecast": "#319795"}


def format_time_axis(axes: Axes) -> None:
    """Concise UTC date labels on the x axis."""
    locator = mdates.AutoDateLocator()
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def plot_line(axes: Axes, points: Points, **style: object) -> None:
    """Draw ``points`` as a line, min/max-downsampled to the plot's pixel columns."""
    x, y = minmax_downsample(points.x, points.y, PLOT_BUCKETS)
    axes.plot(x, y, **style)  # type: ignore[arg-type]


def plot_markers(axes: Axes, points: Points, **style: object) -> None:
    """Draw at most :data:`MAX_MARKERS` of ``points`` as markers, evenly spread."""
    keep = thin_indices(len(points), MAX_MARKERS)
    axes.scatter(points.x[keep], points.y[keep], **style)  # type: ignore[arg-type]


def _draw_missing(axes: Axes, layers: SeriesLayers) -> None:
    starts, ends = layers.missing_spans
    if len(starts):
        axes.broken_barh(list(zip(starts, ends - starts, strict=True)), (0, 1), transform=axes.get_xaxis_transform(),
                         color=COLORS["missing"], alpha=0.35, linewidth=0, label=f"missing ({layers.n_missing:,})")
    if layers.imputed is not None and len(layers.imputed):
        label = f"imputed: {layers.imputed_method}" if layers.imputed_method else "imputed"
        plot_markers(axes, layers.imputed, s=6, color=COLORS["imputed"], marker="o", label=label, zorder=3)


def _draw_flags(axes: Axes, layers: SeriesLayers) -> None:
    if layers.fences is not None:
        lower, upper = layers.fences
        plot_line(axes, lower, color=COLORS["fence"], linewidth=0.7, linestyle="--", label="outlier fences")
        plot_line(axes, upper, color=COLORS["fence"], linewidth=0.7, linestyle="--")
    if layers.outliers is not None and len(layers.outliers):
        plot_markers(axes, layers.outliers, s=18, color=COLORS["outlier"], marker="x",
                     label=f"outliers ({len(layers.outliers):,})", zorder=4)
    if layers.anomalies is not None and len(layers.anomalies):
        plot_markers(axes, layers.anomalies, s=42, facecolors="none", edgecolors=COLORS["anomaly"],
                     linewidths=1.2, label=f"anomalies ({len(layers.anomalies):,})", zorder=5)
        _annotate_scores(axes, layers.anomalies, layers.scores)


def _annotate_scores(axes: Axes, anomalies: Points, scores: np.ndarray | None) -> None:
    """Write the score next to the highest-scoring anomalies."""
    if scores is None:
        return
    order = np.argsort(-np.nan_to_num(scores, nan=-np.inf), kind="stable")[:ANNOTATED_ANOMALIES]
    for index in order:
        if np.isfinite(scores[index]):
            axes.annotate(f"{scores[index]:.1f}", (anomalies.x[index], anomalies.y[index]), xytext=(4, 4),
                          textcoords="offset points", fontsize=7, color=COLORS["anomaly"])


def forecast_label(forecast: Forecast) -> str:
    """The legend entry of a forecast: its model and version, and what its band is."""
    if not forecast.has_band:
        return f"forecast ({forecast.model_label})"
    band = f"{forecast.level * 100:g} % band" if forecast.level is not None else "prediction band"
    return f"forecast ({forecast.model_label}, {band})"


def _draw_forecast(axes: Axes, forecast: Forecast | None) -> dict[Artist, tuple[Artist, ...]]:
    """Draw the forecast line and its band between ``lo`` and ``hi``, shaded.

    Returns:
        The line's legend handle mapped to the artists its one legend entry shows (band and line).
    """
    if forecast is None:
        return {}
    color = COLORS["forecast"]
    x, y = minmax_downsample(forecast.points.x, forecast.points.y, PLOT_BUCKETS)
    (line,) = axes.plot(x, y, color=color, linewidth=1.0, label=forecast_label(forecast), zorder=3)
    if not forecast.has_band:
        return {}
    keep = thin_indices(len(forecast.points), PLOT_BUCKETS)
    band = axes.fill_between(forecast.points.x[keep], forecast.lo[keep], forecast.hi[keep], color=color, alpha=0.2,
                             linewidth=0, zorder=2)
    return {line: (band, line)}


def _legend(axes: Axes, merged: dict[Artist, tuple[Artist, ...]]) -> None:
    """The legend right of the axes, with the artists in ``merged`` sharing their handle's entry."""
    handles, labels = axes.get_legend_handles_labels()
    axes.legend([merged.get(handle, handle) for handle in handles], labels, loc="upper left", bbox_to_anchor=(1.0, 1.0))


def draw_series(axes: Axes, layers: SeriesLayers, title: str) -> None:
    """Draw every layer of a series on ``axes``; the time axis spans the forecast too.

    Args:
        axes: Empty axes.
        layers: What to draw.
        title: Plot title.
    """
    plot_line(axes, layers.line, color=COLORS["line"], linewidth=0.8, label=f"value ({layers.source})")
    _draw_missing(axes, layers)
    _draw_flags(axes, layers)
    merged = _draw_forecast(axes, layers.forecast)
    format_time_axis(axes)
    axes.set_title(title, loc="left")
    axes.set_xlabel("time (UTC)")
    _legend(axes, merged)


def series_svg(layers: SeriesLayers, title: str, key: str) -> str:
    """The series plot as an SVG element.

    Args:
        layers: What to draw.
        title: Plot title.
        key: Unique id of the plot in the report.
    """

    def draw(figure: Figure) -> None:
        draw_series(figure.add_subplot(), layers, title)

    return render_svg(draw, SIZE, key)
