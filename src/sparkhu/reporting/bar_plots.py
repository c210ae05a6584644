"""Horizontal bar charts: per-variant errors of a pooling task, task durations of a run, leads between series."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sparkhu.reporting.svg import render_svg

BAR = "#90cdf4"
HIGHLIGHT = "#2b6cb0"


def bar_figure_size(bars: int, width: float = 7.0) -> tuple[float, float]:
    """Figure size in inches that gives each bar a readable row."""
    return width, 0.9 + 0.28 * bars


def draw_bars(axes: Axes, labels: Sequence[str], values: Sequence[float], colors: Sequence[str],
              annotations: Sequence[str]) -> None:
    """Horizontal bars, the first label at the top, each annotated at its end.

    Args:
        axes: Empty axes to draw in.
        labels: One label per bar (the y tick labels; repeated labels keep their own rows).
        values: Bar lengths.
        colors: Colour of each bar.
        annotations: Text written at the end of each bar.
    """
    rows = np.arange(len(labels))
    bars = axes.barh(rows, list(values), color=list(colors))
    axes.set_yticks(rows, list(labels))
    axes.bar_label(bars, labels=list(annotations), padding=3, fontsize=7)
    axes.invert_yaxis()  # first label at the top
    axes.grid(axis="y", visible=False)
    axes.margins(x=0.15)


def bars_svg(values: dict[str, float], title: str, xlabel: str, key: str, highlight: str | None = None,
             ranked: bool = True) -> str:
    """Bars of ``values`` (one per label, top to bottom), the ``highlight`` label in a darker colour.

    Args:
        values: Value per label.
        title: Chart title.
        xlabel: Axis label of the values.
        key: Unique id of the plot in the report.
        highlight: Label to emphasise (e.g. the chosen variant).
        ranked: Sort ascending (lowest error first); False keeps the given order (e.g. task order).
    """
    ordered = sorted(values.items(), key=lambda item: (item[1], item[0])) if ranked else list(values.items())
    labels = [label for label, _ in ordered]

    def draw(figure: Figure) -> None:
        axes = figure.add_subplot()
        colors = [HIGHLIGHT if label == highlight else BAR for label in labels]
        draw_bars(axes, labels, [value for _, value in ordered], colors, [f"{value:.3g}" for _, value in ordered])
        axes.set_title(title, loc="left")
        axes.set_xlabel(xlabel)

    return render_svg(draw, bar_figure_size(len(labels)), key)
