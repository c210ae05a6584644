"""Forecasts in the report: the latest issue's line and band on the series plot, and a fact row."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import FillBetweenPolyCollection
from matplotlib.figure import Figure

from sparkhu.reporting import ReportRequest, build_report
from sparkhu.reporting.html import render_html
from sparkhu.reporting.layers import build_layers, date_numbers, latest_forecast
from sparkhu.reporting.model import Report, SeriesSection
from sparkhu.reporting.series_plot import draw_series, forecast_label
from sparkhu.storage.lake import Lake
from sparkhu.storage.tables import TABLES
from tests.reporting.synthetic import (
    END,
    FORECAST_MODEL,
    FORECAST_SERIES,
    FORECAST_STEPS,
    SERIES,
    Truth,
    forecast_rows,
    grid,
    point_tables,
    populate,
)

NOW = datetime(2024, 3, 4, 7, 30, tzinfo=UTC)
LEGEND = f"forecast ({FORECAST_MODEL} v3, prediction band)"
FACT = f"{FORECAST_STEPS} steps from 2024-03-03 00:00 by {FORECAST_MODEL} v3"


@pytest.fixture(scope="module")
def report(full_lake: tuple[Lake, Truth]) -> Report:
    return build_report(full_lake[0], ReportRequest(), now=NOW)


@pytest.fixture(scope="module")
def report_without_forecasts(tmp_path_factory: pytest.TempPathFactory) -> Report:
    """The same lake without a ``forecasts`` table: what the report showed before forecasts existed."""
    lake = Lake(str(tmp_path_factory.mktemp("lake-without-forecasts")))
    populate(lake, tables=tuple(name for name in TABLES if name != "forecasts"))
    return build_report(lake, ReportRequest(), now=NOW)


def section(report: Report, series_id: str) -> SeriesSection:
    return next(s for s in report.series if s.series_id == series_id)


def series_plot_svg(report: Report, series_id: str) -> str:
    plot = section(report, series_id).blocks[0].plot
    assert plot is not None and plot.title == "series"
    return plot.svg


def test_a_series_with_forecasts_shows_the_latest_issue_with_its_band(report: Report) -> None:
    svg = series_plot_svg(report, FORECAST_SERIES)
    assert LEGEND in svg
    assert f"{FORECAST_MODEL} v2" not in svg  # the older issue is not drawn
    assert dict(section(report, FORECAST_SERIES).facts)["forecast"] == FACT
    assert f"<dt>forecast</dt><dd>{FACT}</dd>" in render_html(report)


def test_a_series_without_forecasts_renders_exactly_as_without_the_table(report: Report,
                                                                         report_without_forecasts: Report) -> None:
    other = next(s for s in SERIES if s != FORECAST_SERIES)
    assert "forecast" not in series_plot_svg(report, other)
    assert "forecast" not in dict(section(report, other).facts)
    assert section(report, other) == section(report_without_forecasts, other)
    before = dict(section(report_without_forecasts, FORECAST_SERIES).facts)
    assert {k: v for k, v in section(report, FORECAST_SERIES).facts if k != "forecast"} == before
    assert report.plot_keys() == report_without_forecasts.plot_keys()


def legend_texts(axes: Axes) -> list[str]:
    legend = axes.get_legend()
    assert legend is not None
    return [text.get_text() for text in legend.get_texts()]


def _drawn(forecasts: pd.DataFrame | None) -> Figure:
    """A figure with the series plot of one synthetic series drawn, with ``forecasts`` rows."""
    tables = {name: rows.reset_index(drop=True) for name, rows in point_tables(grid("s", 0.0)).items()}
    figure = Figure()
    draw_series(figure.add_subplot(), build_layers(tables, "missing_marked", 1 / 1440, forecasts), "s")
    return figure


def test_the_time_axis_extends_to_the_end_of_the_forecast() -> None:
    rows = forecast_rows("s", 0.0)
    last = float(date_numbers(rows["ts"]).max())
    with_forecast = _drawn(rows).axes[0]
    assert with_forecast.get_xlim()[1] >= last
    bands = [c for c in with_forecast.collections if isinstance(c, FillBetweenPolyCollection)]
    assert len(bands) == 1
    assert legend_texts(with_forecast)[-1] == LEGEND
    without = _drawn(None).axes[0]
    assert without.get_xlim()[1] < last < with_forecast.get_xlim()[1]
    assert not [c for c in without.collections if isinstance(c, FillBetweenPolyCollection)]


def one_issue(**columns: object) -> pd.DataFrame:
    ts = END + pd.to_timedelta(np.arange(3), "h")
    base: dict[str, object] = {"series_id": "s", "ts": ts, "value": [1.0, 2.0, 3.0], "lo": [0.5, 1.0, 1.5],
                               "hi": [1.5, 3.0, 4.5], "model_name": "auto_ets", "model_version": 7,
                               "run_id": "r", "issued_at": END - pd.Timedelta(days=1)}
    return pd.DataFrame(base | columns)


@pytest.mark.parametrize(("columns", "label"), [
    ({}, "forecast (auto_ets v7, prediction band)"),
    ({"level": 0.8}, "forecast (auto_ets v7, 80 % band)"),
    ({"level": 95.0}, "forecast (auto_ets v7, 95 % band)"),
    ({"lo": np.nan, "hi": np.nan}, "forecast (auto_ets v7)"),
    ({"model_name": None, "model_version": None}, "forecast (unnamed model, prediction band)"),
])
def test_the_legend_says_which_model_and_band(columns: dict[str, object], label: str) -> None:
    forecast = latest_forecast(one_issue(**columns))
    assert forecast is not None and forecast_label(forecast) == label


def test_without_a_band_only_the_line_is_drawn() -> None:
    axes = _drawn(one_issue(lo=np.nan, hi=np.nan)).axes[0]
    assert not [c for c in axes.collections if isinstance(c, FillBetweenPolyCollection)]
    assert "forecast (auto_ets v7)" in legend_texts(axes)


def test_no_rows_mean_no_forecast() -> None:
    assert latest_forecast(None) is None
    assert latest_forecast(one_issue().iloc[:0]) is None
