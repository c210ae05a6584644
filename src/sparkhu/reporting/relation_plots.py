"""Plots of the relations between series: a correlation heat-map per group and a lead-lag chart."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import Colormap, Normalize, to_hex
from matplotlib.figure import Figure

from sparkhu.reporting.bar_plots import bar_figure_size, draw_bars
from sparkhu.reporting.formatting import duration, duration_unit
from sparkhu.reporting.svg import render_svg

#: Diverging colours of a correlation in [-1, 1] (blue negative, red positive), grey where unmeasured.
CORRELATION_COLORS = "RdBu_r"
UNMEASURED = "#d9d9d9"
#: Up to this many series, each cell of the heat-map also shows its value.
ANNOTATED_CELLS = 12


def correlation_colormap() -> Colormap:
    """The colour map of correlations; unmeasured (masked) cells are grey."""
    return colormaps[CORRELATION_COLORS].with_extremes(bad=UNMEASURED)


def correlation_color(value: float) -> str:
    """The heat-map's colour of one correlation (its sign and strength)."""
    return to_hex(correlation_colormap()(Normalize(-1.0, 1.0)(value)))


def heatmap_svg(matrix: pd.DataFrame, title: str, measure_label: str, key: str) -> str:
    """A symmetric correlation matrix as a heat-map with the series names on both axes.

    Args:
        matrix: Square frame indexed and labelled by series id; NaN where a pair was not measured.
        title: Plot title.
        measure_label: What the colours are (the colour bar's label).
        key: Unique id of the plot in the report.
    """
    names = [str(name) for name in matrix.index]
    values = np.ma.masked_invalid(matrix.to_numpy(dtype=np.float64))
    side = 2.8 + 0.24 * len(names)

    def draw(figure: Figure) -> None:
        axes = figure.add_subplot()
        mesh = axes.pcolormesh(values, cmap=correlation_colormap(), vmin=-1.0, vmax=1.0,
                               edgecolors="white", linewidth=0.4)
        axes.set_facecolor(UNMEASURED)
        ticks = np.arange(len(names)) + 0.5
        axes.set_xticks(ticks, names, rotation=90, fontsize=7)
        axes.set_yticks(ticks, names, fontsize=7)
        axes.invert_yaxis()  # first series at the top left, as a matrix reads
        axes.set_aspect("equal")
        axes.grid(visible=False)
        axes.tick_params(length=0)
        if len(names) <= ANNOTATED_CELLS:
            for (row, column), value in np.ndenumerate(values.filled(np.nan)):
                if np.isfinite(value):
                    axes.text(column + 0.5, row + 0.5, f"{value:.2f}", ha="center", va="center", fontsize=6,
                              color="white" if abs(value) > 0.6 else "#1a202c")
        bar = figure.colorbar(mesh, ax=axes, shrink=0.8, label=measure_label)
        if bar.solids is not None:
            bar.solids.set_rasterized(False)  # vector, like the rest: no embedded image in the page
        axes.set_title(title, loc="left")

    return render_svg(draw, (side + 1.6, side), key)


@dataclass(frozen=True)
class Lead:
    """One pair's lead-lag relation as plotted.

    Attributes:
        label: The pair as read on the chart (``a leads b``).
        lag_s: How far the leader leads, in seconds (0: they move together).
        corr: Correlation of the differences at that lag.
    """

    label: str
    lag_s: float
    corr: float


def lead_lag_svg(leads: Sequence[Lead], title: str, key: str) -> str:
    """Bars of how far each pair's leader leads, coloured by the sign and strength of the lagged correlation.

    Args:
        leads: The pairs, in display order (top first).
        title: Plot title.
        key: Unique id of the plot in the report.
    """
    size, unit = duration_unit(max((lead.lag_s for lead in leads), default=0.0))
    colors = [correlation_color(lead.corr) for lead in leads]
    lengths = [lead.lag_s / size for lead in leads]

    def draw(figure: Figure) -> None:
        axes = figure.add_subplot()
        draw_bars(axes, [lead.label for lead in leads], lengths, colors,
                  [f"{duration(lead.lag_s)}, r = {lead.corr:+.2f}" for lead in leads])
        # a dot at each bar's end keeps a zero lag (series moving together) visible
        axes.scatter(lengths, np.arange(len(leads)), color=colors, edgecolors="#4a5568", linewidths=0.5, s=16,
                     zorder=3)
        axes.set_xlim(left=0.0)
        axes.set_title(title, loc="left")
        axes.set_xlabel(f"lead ({unit}); colour: correlation at that lag (red positive, blue negative)")

    return render_svg(draw, bar_figure_size(len(leads), width=9.0), key)
