"""The decomposition plot: observed, trend, seasonal and residual panels sharing one time axis."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from sparkhu.reporting.layers import Points
from sparkhu.reporting.series_plot import COLORS, format_time_axis, plot_line, plot_markers
from sparkhu.reporting.svg import render_svg

PANELS = ("value", "trend", "seasonal", "residual")
SIZE = (11.0, 6.0)


def decomposition_svg(decomposed: pd.DataFrame, anomalies: pd.DataFrame | None, title: str, key: str) -> str:
    """Four stacked panels of one series' ``decomposed`` rows; anomalies marked on the residual.

    Args:
        decomposed: The series' rows of the ``decomposed`` table, sorted by time.
        anomalies: The series' anomalous rows of ``anomalies`` (None when the table is absent).
        title: Plot title.
        key: Unique id of the plot in the report.
    """
    flagged = None
    if anomalies is not None and len(anomalies):
        residuals = decomposed.drop_duplicates("ts", keep="last").set_index("ts")["residual"]
        at = anomalies[anomalies["ts"].isin(residuals.index)]
        flagged = Points.of(at.assign(residual=residuals.reindex(at["ts"]).to_numpy()), "residual")

    def draw(figure: Figure) -> None:
        axes = figure.subplots(len(PANELS), 1, sharex=True)
        for panel, column in zip(axes, PANELS, strict=True):
            plot_line(panel, Points.of(decomposed, column), color=COLORS["line"], linewidth=0.7)
            panel.set_ylabel("observed" if column == "value" else column)
        if flagged is not None and len(flagged):
            plot_markers(axes[-1], flagged, s=30, facecolors="none", edgecolors=COLORS["anomaly"], linewidths=1.0,
                         label=f"anomalies ({len(flagged):,})", zorder=4)
            axes[-1].legend(loc="upper right")
        axes[-1].axhline(0.0, color="#718096", linewidth=0.5)
        format_time_axis(axes[-1])
        axes[0].set_title(title, loc="left")
        axes[-1].set_xlabel("time (UTC)")

    return render_svg(draw, SIZE, key)
