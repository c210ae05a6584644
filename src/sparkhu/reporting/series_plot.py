"""The series plot: the observed line with missing, imputed, outlier and anomaly overlays."""

from __future__ import annotations

import numpy as np
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sparkhu.reporting.downsample import PLOT_BUCKETS, minmax_downsample, thin_indices
from sparkhu.reporting.layers import ANNOTATED_ANOMALIES, Points, SeriesLayers
from sparkhu.reporting.svg import render_svg

#: Most markers drawn per overlay: beyond this they overlap into a band anyway and only bloat the SVG.
MAX_MARKERS = 2000
SIZE = (11.0, 3.4)
COLORS = {"line": "#2b6cb0", "missing": "#a0aec0", "imputed": "#2f855a", "outlier": "#dd6b20",
          "anomaly": "#c53030", "fence": "#805ad5"}


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


def series_svg(layers: SeriesLayers, title: str, key: str) -> str:
    """The series plot as an SVG element.

    Args:
        layers: What to draw.
        title: Plot title.
        key: Unique id of the plot in the report.
    """

    def draw(figure: Figure) -> None:
        axes = figure.add_subplot()
        plot_line(axes, layers.line, color=COLORS["line"], linewidth=0.8, label=f"value ({layers.source})")
        _draw_missing(axes, layers)
        _draw_flags(axes, layers)
        format_time_axis(axes)
        axes.set_title(title, loc="left")
        axes.set_xlabel("time (UTC)")
        axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))

    return render_svg(draw, SIZE, key)
