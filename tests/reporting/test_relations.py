"""The "Relations between series" section: heat-maps, lead-lag chart, pairs table and not-comparable notes."""

from __future__ import annotations

import html as html_text
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from sparkhu.reporting import ReportRequest, build_report
from sparkhu.reporting.formatting import duration, duration_unit
from sparkhu.reporting.html import render_html
from sparkhu.reporting.model import Block, Report, Section
from sparkhu.reporting.relations import (
    HEATMAP_SERIES,
    correlation_matrix,
    group_series,
    latest_pairs,
    lead_text,
    relations_section,
)
from sparkhu.storage.lake import Lake, Slice
from sparkhu.storage.tables import TABLES
from tests.reporting.synthetic import END, PAIRS, START, Truth, correlation_rows, populate

NOW = datetime(2024, 3, 4, 7, 30, tzinfo=UTC)
declared = pytest.mark.skipif("correlations" not in TABLES, reason="the `correlations` table is not declared yet")
PLANT = ("plant.flow", "plant.meter", "plant.pressure", "plant.temperature", "plant.valve")


def block(section: Section, title: str) -> Block:
    return next(b for b in section.blocks if b.title.startswith(title))


@pytest.fixture(scope="module")
def section() -> Section:
    built = relations_section(correlation_rows())
    assert built is not None
    return built


@pytest.fixture(scope="module")
def report(full_lake: tuple[Lake, Truth]) -> Report:
    return build_report(full_lake[0], ReportRequest(), now=NOW)


def test_each_group_has_a_heat_map_of_the_differences_with_its_series_names(section: Section) -> None:
    plant = block(section, "Group plant")
    assert plant.plot is not None and plant.plot.svg.startswith("<svg")
    for name in PLANT:
        assert f">{name}<" in plant.plot.svg  # tick labels stay text
    assert "correlation of differences (diff_corr)" in plant.plot.svg
    assert "data:image" not in plant.plot.svg  # the colour bar is vector too: nothing embedded
    assert plant.notes == ("5 pairs of 5 series; grey: pair not measured or not comparable.",)
    site = block(section, "Group site")
    assert site.plot is not None and ">site.a<" in site.plot.svg and "plant.flow" not in site.plot.svg
    assert "1 pair of 2 series" in site.notes[0]
    assert "correlation of differences (diff_corr)" in section.notes[1]


def test_the_lead_lag_chart_says_who_leads_and_by_how_many_hours(section: Section) -> None:
    lead = block(section, "Lead and lag")
    assert lead.plot is not None
    assert "plant.flow leads plant.temperature" in lead.plot.svg
    assert "plant.pressure leads plant.flow" in lead.plot.svg  # a negative lag: b leads a
    assert "lead (h)" in lead.plot.svg and "3 h, r = +0.71" in lead.plot.svg
    assert lead.notes[0] == "plant.flow leads plant.temperature by 3 h (r = +0.71, p = 1e-12)"
    assert "plant.pressure leads plant.flow by 30 min (r = -0.45, p = 0.001)" in lead.notes
    assert not any("plant.pressure and plant.temperature" in note for note in lead.notes)  # p = 0.3


def test_the_pairs_table_is_ordered_by_strength_with_lags_in_human_units(section: Section) -> None:
    table = block(section, "Pairs").table
    assert table is not None
    first = dict(zip(table.columns, table.rows[0], strict=True))
    assert first == {"group": "plant", "series a": "plant.flow", "series b": "plant.temperature", "n": "2,880",
                     "pearson": "0.82", "spearman": "0.77", "diff corr": "0.62", "best lag": "3 h",
                     "lag corr": "0.71", "p-value": "1e-12", "grid": "1 min", "note": "—"}
    assert [row[7] for row in table.rows[:4]] == ["3 h", "-30 min", "2 h", "0 s"]
    assert table.rows[-1][11] == "only 0 common grid points (at least 8 needed)"
    assert len(table.rows) == len(PAIRS)


def test_pairs_that_are_not_comparable_are_listed_line_by_line(section: Section) -> None:
    bad = block(section, "Pairs not comparable")
    assert bad.title == "Pairs not comparable (2)"
    assert bad.notes == (
        "plant.flow and plant.valve (group plant) not comparable: series b is constant on the common grid",
        "plant.meter and plant.temperature (group plant) not comparable: only 0 common grid points (at least 8 "
        "needed)")
    assert section.notes[0] == "6 pairs measured in 2 groups: 3 significant (p < 0.05), 2 not comparable."


@declared
def test_the_report_of_a_lake_with_correlations_shows_the_section(report: Report) -> None:
    assert report.relations is not None and report.relations.title == "Relations between series"
    assert "plot-relations-lead-lag" in report.plot_keys()
    page = html_text.unescape(render_html(report))
    assert '<section class="relations" id="relations">' in page
    assert '<a href="#relations">Relations between series</a>' in page
    assert "<li>plant.flow leads plant.temperature by 3 h (r = +0.71, p = 1e-12)</li>" in page
    assert "<li>plant.flow and plant.valve (group plant) not comparable: series b is constant on the common grid</li>" \
        in page
    assert page.index('id="overview"') < page.index('id="relations"') < page.index('id="series-1"')


@declared
def test_without_the_table_the_section_is_absent(tmp_path_factory: pytest.TempPathFactory) -> None:
    lake = Lake(str(tmp_path_factory.mktemp("lake-without-correlations")))
    populate(lake, tables=tuple(name for name in TABLES if name != "correlations"))
    report = build_report(lake, ReportRequest(), now=NOW)
    assert report.relations is None
    assert "No `correlations` table in the lake: relations between series omitted." in report.omitted
    assert not any(key.startswith("plot-relations") for key in report.plot_keys())
    assert "Relations between series</h2>" not in render_html(report)


@declared
def test_a_table_without_pairs_in_the_interval_says_none_were_computed(tmp_path_factory: pytest.TempPathFactory
                                                                       ) -> None:
    lake = Lake(str(tmp_path_factory.mktemp("lake-earlier-correlations")))
    populate(lake, tables=("deduplicated", "reports"))
    earlier = START - pd.Timedelta(days=30)
    lake.replace("correlations", correlation_rows().assign(interval_start=earlier, interval_end=earlier),
                 Slice(earlier, START))
    report = build_report(lake, ReportRequest(), now=NOW)
    assert report.relations == Section("Relations between series", "relations",
                                       ("No correlations computed for this interval.",))
    assert "<li>No correlations computed for this interval.</li>" in render_html(report)


def test_no_table_gives_no_section() -> None:
    assert relations_section(None) is None


def test_the_matrix_is_symmetric_with_unmeasured_pairs_blank() -> None:
    pairs = latest_pairs(correlation_rows())
    matrix = correlation_matrix(pairs[pairs["group"] == "plant"], list(PLANT), "diff_corr")
    assert matrix.loc["plant.flow", "plant.temperature"] == matrix.loc["plant.temperature", "plant.flow"] == 0.62
    assert matrix.loc["plant.pressure", "plant.flow"] == -0.4
    assert np.isnan(matrix.loc["plant.flow", "plant.valve"])  # not comparable
    assert np.isnan(matrix.loc["plant.meter", "plant.pressure"])  # never measured
    assert (np.diag(matrix) == 1.0).all()
    levels = correlation_matrix(pairs[pairs["group"] == "plant"], list(PLANT), "pearson")
    assert levels.loc["plant.flow", "plant.temperature"] == pytest.approx(0.82)


def test_a_large_group_shows_the_series_with_most_significant_pairs() -> None:
    hub = [("big", "big.hub", f"big.s{i:02d}", 0.5, 3600.0, 0.5, 0.001, "") for i in range(30)]
    quiet = [("big", f"big.s{i:02d}", f"big.s{i + 1:02d}", 0.1, 0.0, 0.1, 0.5, "") for i in range(29)]
    extra = [("big", "big.s05", f"big.t{i:02d}", 0.3, 0.0, 0.3, 0.5, "") for i in range(5)]
    pairs = latest_pairs(correlation_rows((*hub, *quiet, *extra)))
    shown, total = group_series(pairs)
    assert total == 36 and len(shown) == HEATMAP_SERIES
    assert "big.hub" in shown and not any(series.startswith("big.t") for series in shown)
    section = relations_section(pairs)
    assert section is not None
    heatmap = block(section, "Group big")
    assert heatmap.notes[1] == "Showing the 30 of 36 series with the most significant pairs."
    assert heatmap.plot is not None and all(f">{series}<" in heatmap.plot.svg for series in shown)
    assert len(heatmap.plot.svg) < 400_000  # 900 vector cells
    lead = block(section, "Lead and lag")
    assert lead.notes[0] == "The 15 strongest of 30 significant pairs."


def test_the_latest_measurement_of_a_pair_wins() -> None:
    older = correlation_rows(PAIRS[:1]).assign(interval_start=START - pd.Timedelta(days=1), best_lag_s=60.0,
                                                interval_end=END - pd.Timedelta(days=1))
    pairs = latest_pairs(pd.concat([correlation_rows(PAIRS[:1]), older], ignore_index=True))
    assert len(pairs) == 1 and pairs["best_lag_s"].iloc[0] == 10_800.0


def test_lead_texts_and_durations() -> None:
    assert lead_text("a", "b", 5400.0) == "a leads b by 1.5 h"
    assert lead_text("a", "b", -900.0) == "b leads a by 15 min"
    assert lead_text("a", "b", 0.0) == "a and b move together (no lag)"
    assert lead_text("a", "b", float("nan")) == "—"
    assert duration(-172_800.0) == "-2 d" and duration(45.0) == "45 s" and duration(None) == "—"
    assert duration_unit(7200.0) == (3600.0, "h") and duration_unit(0.0) == (1.0, "s")
