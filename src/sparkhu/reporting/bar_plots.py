"""Horizontal bar charts: per-variant errors of a pooling task, and task durations of a run."""

from __future__ import annotations

from matplotlib.figure import Figure

from sparkhu.reporting.svg import render_svg

BAR = "#90cdf4"
HIGHLIGHT = "#2b6cb0"


def _height(bars: int) -> float:
    """Figure height in inches that gives each bar a readable row."""
    return 0.9 + 0.28 * bars


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
        bars = axes.barh(labels, [value for _, value in ordered], color=colors)
        axes.bar_label(bars, labels=[f"{value:.3g}" for _, value in ordered], padding=3, fontsize=7)
        axes.invert_yaxis()  # first label at the top
        axes.set_title(title, loc="left")
        axes.set_xlabel(xlabel)
        axes.grid(axis="y", visible=False)
        axes.margins(x=0.15)

    return render_svg(draw, (7.0, _height(len(labels))), key)
