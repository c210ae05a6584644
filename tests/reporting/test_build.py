from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sparkhu.reporting import ReportRequest, build_report, write_report
from sparkhu.reporting.html import render_html
from sparkhu.reporting.layers import build_layers
from sparkhu.reporting.model import Report, SeriesSection
from sparkhu.storage.lake import Lake, Slice
from tests.reporting.synthetic import (
    END,
    FUSION_PLOTS,
    RELATION_PLOTS,
    RUN_ID,
    SERIES,
    SPIKES,
    START,
    Truth,
    grid,
    point_tables,
    populate,
)

NOW = datetime(2024, 3, 4, 7, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def report(full_lake: tuple[Lake, Truth]) -> Report:
    return build_report(full_lake[0], ReportRequest(), now=NOW)


def facts(section: SeriesSection) -> dict[str, str]:
    return dict(section.facts)


def test_header_and_scope(report: Report) -> None:
    header = dict(report.header)
    assert header["run"] == RUN_ID
    assert header["interval (UTC)"] == "2024-03-01 00:00 → 2024-03-03 00:00"
    assert header["generated at"] == "2024-03-04 07:30"
    assert header["series"] == "2 shown of 2"
    assert report.omitted == ()


def test_every_plot_is_present_once(report: Report) -> None:
    assert report.plot_keys() == [
        "plot-run-durations", "plot-pool-missing-errors", *RELATION_PLOTS, *FUSION_PLOTS,
        "plot-series-1-series", "plot-series-1-decomposition",
        "plot-series-2-series", "plot-series-2-decomposition", "plot-series-2-imputation",
    ]


def test_series_facts_are_the_planted_ones(report: Report, full_lake: tuple[Lake, Truth]) -> None:
    truth = full_lake[1]
    flow = facts(report.series[0])
    assert report.series[0].series_id == "plant.flow"
    assert flow["points"] == f"{truth.points_per_series:,} from `missing_marked`"
    assert flow["missing"] == f"{truth.n_missing} (unmarked {truth.n_missing})"
    assert flow["outliers"] == str(truth.n_outliers)
    assert flow["anomalies"] == f"{truth.n_anomalies} (highest score 9.5)"
    assert flow["sampling"] == "1 min, regular, confidence 0.98"
    assert flow["imputation"] == "linear"
    assert flow["anomaly handling"] == "expected-flow"
    assert flow["scaler"].startswith("z-score: center 10.5, scale 2.25, fitted on 2024-03-01 00:00 → 2024-03-02 00:00")
    assert flow["windows"] == "T=24, N=1: 5 (1 with missing)"


def test_run_summary_and_imputation_comparison(report: Report) -> None:
    summary, comparison = report.run_blocks
    table = summary.table
    assert table is not None
    assert [row[0] for row in table.rows] == ["describe", "detect-missing", "pool-missing"]
    assert [row[6] for row in table.rows] == ["250 ms", "500 ms", "1.50 s"]
    assert table.rows[1][7] == "unmarked=60"
    assert summary.notes == ("3 tasks, 2.25 s of task time in total.",)
    assert comparison.title == "Imputation comparison"
    assert comparison.table is not None
    assert comparison.table.rows[0] == ("linear", "0.11", "2")
    assert comparison.notes == ("Chosen most often: linear.",)


def test_per_series_imputation_errors_only_where_recorded(report: Report) -> None:
    flow_blocks = {block.title: block for block in report.series[0].blocks}
    temperature_blocks = {block.title: block for block in report.series[1].blocks}
    assert flow_blocks["Imputation"].plot is None
    assert "see Imputation comparison" in flow_blocks["Imputation"].notes[0]
    plot = temperature_blocks["Imputation"].plot
    assert plot is not None and "0.84" in plot.svg  # locf: 2 x 0.42, recorded per series
    stats = report.series[1].statistics
    assert stats is not None and stats.columns == ("statistic", "2024-03-01 00:00")
    assert dict((r[0], r[1]) for r in stats.rows)["count"] == "2,850"


def test_overview_has_every_series_with_its_period(report: Report) -> None:
    table = report.overview.table
    assert table is not None
    assert [row[0] for row in table.rows] == list(SERIES)
    assert table.links == ("series-1", "series-2")
    row = dict(zip(table.columns, table.rows[0], strict=True))
    values = grid("plant.flow", 10.0)["value"].dropna()
    assert row["count"] == "2,850" and row["period"] == "1 min" and row["regular"] == "yes"
    assert row["max"] == f"{values.max():.4g}"


def test_series_plot_layers_hold_the_overlays() -> None:
    tables = {name: rows.reset_index(drop=True) for name, rows in point_tables(grid("s", 0.0)).items()}
    layers = build_layers(tables, "missing_marked", pixel=1 / 1440)
    starts, ends = layers.missing_spans
    assert len(starts) == 1 and (ends[0] - starts[0]) * 1440 == pytest.approx(30.0)
    assert layers.imputed is not None and len(layers.imputed) == 30 and np.isfinite(layers.imputed.y).all()
    assert layers.outliers is not None and len(layers.outliers) == len(SPIKES)
    assert layers.scores is not None and layers.scores.tolist() == [9.5, 7.25]
    assert layers.fences is not None and set(layers.fences[1].y) == {9.0}


def test_series_plot_shows_legend_counts_and_scores(report: Report) -> None:
    svg = report.series[0].blocks[0].plot.svg  # type: ignore[union-attr]
    for text in ("missing (30)", "outliers (3)", "anomalies (2)", "imputed: linear", "outlier fences", "9.5"):
        assert text in svg, text


def test_html_is_self_contained_and_ids_are_unique(report: Report) -> None:
    html = render_html(report)
    assert html.count("<svg ") == 7 + len(RELATION_PLOTS) + len(FUSION_PLOTS)
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert re.findall(r'(?:src|href)="(?!#)[^"]*"', html) == []
    assert set(re.findall(r"https?://[^\"' )]+", html)) <= {"http://www.w3.org/2000/svg",
                                                           "http://www.w3.org/1999/xlink"}
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    references = set(re.findall(r'(?:href="#|url\(#)([^")]+)', html))
    assert references <= set(ids)


def test_missing_tables_are_omitted_with_a_note(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path / "lake"))
    populate(lake, tables=("deduplicated", "reports"))
    written = write_report(lake, ReportRequest(), tmp_path / "out" / "r.html", now=NOW)
    report = written.report
    assert "No `decomposed` table in the lake: decomposition plots omitted." in report.omitted
    assert "No `stats` table in the lake: descriptive statistics omitted." in report.omitted
    assert "No `forecasts` table in the lake: forecast lines and bands omitted." in report.omitted
    # + correlations and fusion, once they are declared
    assert len(report.omitted) == 11 + (1 if RELATION_PLOTS else 0) + (1 if FUSION_PLOTS else 0)
    assert report.plot_keys() == ["plot-run-durations", "plot-pool-missing-errors", "plot-series-1-series",
                                  "plot-series-2-series", "plot-series-2-imputation"]
    assert dict(report.series[0].facts) == {"points": "2,850 from `deduplicated`"}
    assert report.overview.notes == ("No `stats` table in the lake (the describe task has not run).",)
    html = written.path.read_text()
    assert "decomposition plots omitted" in html and written.size_bytes == len(html.encode())


def test_series_ids_and_methods_are_escaped(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path))
    nasty = '<b>x&"y</b>'
    frame = grid(nasty, 0.0)
    lake_tables = point_tables(frame)
    lake.replace("deduplicated", lake_tables["deduplicated"], Slice(START, END))
    lake.replace("imputed", lake_tables["imputed"].assign(method="<i>m</i>"), Slice(START, END))
    html = render_html(build_report(lake, ReportRequest(), now=NOW))
    assert "<b>" not in html and "<i>" not in html
    assert "&lt;b&gt;x&amp;" in html


def test_empty_lake_still_renders(tmp_path: Path) -> None:
    report = build_report(Lake(str(tmp_path)), ReportRequest(), now=NOW)
    assert report.series == () and report.plot_keys() == []
    assert report.run_blocks[0].notes == ("No task report rows for this run or interval.",)
    assert "No task report rows in the lake." in report.notes
    assert "<h2>Run summary</h2>" in render_html(report)


def test_a_series_without_points_in_the_interval_says_so(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path))
    lake.replace("deduplicated", point_tables(grid("real", 0.0))["deduplicated"], Slice(START, END))
    stats = pd.DataFrame({"series_id": ["ghost", "real"], "interval_start": START, "interval_end": END, "count": 1})
    lake.replace("stats", stats.reindex(columns=[*stats.columns, "n_missing", "min", "max", "mean", "median", "q1",
                                                 "q3", "std", "skewness", "kurtosis", "mode", "cv", "mad"]),
                 Slice(START, END))
    ghost, real = build_report(lake, ReportRequest(), now=NOW).series
    assert ghost.series_id == "ghost" and ghost.notes == ("No points of this series in the interval.",)
    assert ghost.blocks == () and real.blocks[0].plot is not None


def test_a_narrower_interval_reads_only_its_points(full_lake: tuple[Lake, Truth]) -> None:
    report = build_report(full_lake[0], ReportRequest(start=START, end=START + pd.Timedelta(hours=1)), now=NOW)
    assert dict(report.series[0].facts)["points"] == "60 from `missing_marked`"
