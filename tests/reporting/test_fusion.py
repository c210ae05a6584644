"""The "Fusion: forecasts helped by leading partners" section: decisions table, note lines, MAE charts."""

from __future__ import annotations

import html as html_text
from datetime import UTC, datetime

import pandas as pd
import pytest

from sparkhu.reporting import ReportRequest, build_report
from sparkhu.reporting.fusion import CHART_TARGETS, MINUS, fusion_section, gain_text, latest_targets, partners_text
from sparkhu.reporting.html import render_html
from sparkhu.reporting.model import Block, Report, Section
from sparkhu.storage.lake import Lake, Slice
from sparkhu.storage.tables import TABLES
from tests.reporting.synthetic import END, FUSION, START, Truth, fusion_rows, populate

NOW = datetime(2024, 3, 4, 7, 30, tzinfo=UTC)
declared = pytest.mark.skipif("fusion" not in TABLES, reason="the `fusion` table is not declared yet")


def block(section: Section, title: str) -> Block:
    return next(b for b in section.blocks if b.title.startswith(title))


@pytest.fixture(scope="module")
def section() -> Section:
    built = fusion_section(fusion_rows())
    assert built is not None
    return built


@pytest.fixture(scope="module")
def report(full_lake: tuple[Lake, Truth]) -> Report:
    return build_report(full_lake[0], ReportRequest(), now=NOW)


def test_the_table_shows_each_targets_decision_scores_and_gain(section: Section) -> None:
    table = block(section, "Decisions").table
    assert table is not None
    rows = [dict(zip(table.columns, row, strict=True)) for row in table.rows]
    assert [row["target"] for row in rows] == ["plant.flow", "plant.temperature"]  # river.x: a note, not a row
    assert rows[1] == {
        "group": "plant", "target": "plant.temperature",
        "partners (lead)": "plant.flow (leads by 3 h), plant.pressure (leads by 30 min)",
        "decision": "partners used", "model alone": "ridge", "model fused": "ridge+partners",
        "validation alone": "0.9", "validation fused": "0.31", "held-out MAE alone": "2",
        "held-out MAE fused": "0.52", "gain": f"{MINUS}74 % MAE with partners", "MLflow run": "mlflow-fusion-0"}
    assert rows[0]["decision"] == "alone kept" and rows[0]["gain"] == "+5 % MAE with partners"
    assert rows[0]["partners (lead)"] == "plant.pressure (leads by 30 min)"


def test_a_target_with_a_note_gets_one_line(section: Section) -> None:
    noted = block(section, "Targets with a note")
    assert noted.title == "Targets with a note (1)"
    assert noted.notes == ("river.x: no significant leading partner",)
    assert section.notes[0] == "3 targets: partners used for 1, alone kept for 2 (2 had partners to try)."


def test_each_target_with_partners_has_a_chart_of_its_held_out_mae(section: Section) -> None:
    charts = [b for b in section.blocks if b.plot is not None]
    assert [b.plot.key for b in charts if b.plot] == ["plot-fusion-1-mae", "plot-fusion-2-mae"]
    temperature = block(section, "Target plant.temperature")
    assert temperature.plot is not None and temperature.plot.svg.startswith("<svg")
    svg = temperature.plot.svg
    for text in ("alone (ridge)", "with partners (ridge+partners)", "plant.temperature: held-out MAE, partners used",
                 ">0.52<", ">2<"):
        assert text in svg
    assert temperature.notes == (f"{MINUS}74 % MAE with partners; dark: the model validation chose.",)
    assert "#2b6cb0" in svg  # the chosen bar in the highlight colour


def test_no_table_gives_no_section_and_no_rows_say_so() -> None:
    assert fusion_section(None) is None
    assert fusion_section(fusion_rows()[:0]) == Section(
        "Fusion: forecasts helped by leading partners", "fusion", ("No fusion decisions for this interval.",))


def test_the_latest_interval_of_a_target_wins() -> None:
    older = fusion_rows(FUSION[:1]).assign(interval_start=START - pd.Timedelta(days=1),
                                           interval_end=END - pd.Timedelta(days=1), used=False)
    targets = latest_targets(pd.concat([fusion_rows(FUSION[:1]), older], ignore_index=True))
    assert len(targets) == 1 and bool(targets["used"].iloc[0])


def test_gain_and_partner_texts() -> None:
    assert gain_text(0.74) == f"{MINUS}74 % MAE with partners"
    assert gain_text(-0.125) == "+12 % MAE with partners"
    assert gain_text(0.001) == "±0 % MAE with partners"
    assert gain_text(None) == gain_text(float("nan")) == gain_text(pd.NA) == "—"
    assert partners_text("a, b", "5400,-") == "a (leads by 1.5 h), b (leads by —)"
    assert partners_text("a,b", "60") == "a (leads by 1 min), b (leads by —)"
    assert partners_text("", "") == "—"


def test_charts_are_capped() -> None:
    many = tuple(("g", f"g.s{i:02d}", "g.p", "3600", True, 0.5, 0.4, 1.0, 0.5, "") for i in range(CHART_TARGETS + 3))
    section = fusion_section(fusion_rows(many))
    assert section is not None
    assert sum(b.plot is not None for b in section.blocks) == CHART_TARGETS
    assert block(section, "Held-out MAE charts").notes == (
        f"Charts of the first {CHART_TARGETS} of {CHART_TARGETS + 3} targets with partners.",)


@declared
def test_the_report_of_a_lake_with_fusion_shows_the_section(report: Report) -> None:
    assert report.fusion is not None and report.fusion.title == "Fusion: forecasts helped by leading partners"
    keys = report.plot_keys()
    assert keys.index("plot-relations-lead-lag") < keys.index("plot-fusion-1-mae") < keys.index("plot-fusion-2-mae") \
        < keys.index("plot-series-1-series")
    page = html_text.unescape(render_html(report))
    assert '<section class="fusion" id="fusion">' in page
    assert '<a href="#fusion">Fusion: forecasts helped by leading partners</a>' in page
    assert "<li>river.x: no significant leading partner</li>" in page
    assert "<td class=\"text\">partners used</td>" in page and "<td class=\"text\">alone kept</td>" in page
    assert f"{MINUS}74 % MAE with partners" in page
    assert page.index('id="relations"') < page.index('id="fusion"') < page.index('id="series-1"')


@declared
def test_without_the_table_the_section_is_absent(tmp_path_factory: pytest.TempPathFactory) -> None:
    lake = Lake(str(tmp_path_factory.mktemp("lake-without-fusion")))
    populate(lake, tables=tuple(name for name in TABLES if name != "fusion"))
    report = build_report(lake, ReportRequest(), now=NOW)
    assert report.fusion is None and report.relations is not None
    assert "No `fusion` table in the lake: forecasts helped by leading partners omitted." in report.omitted
    assert not any(key.startswith("plot-fusion") for key in report.plot_keys())
    assert "leading partners</h2>" not in render_html(report)


@declared
def test_a_table_without_rows_in_the_interval_says_no_decisions(tmp_path_factory: pytest.TempPathFactory) -> None:
    lake = Lake(str(tmp_path_factory.mktemp("lake-earlier-fusion")))
    populate(lake, tables=("deduplicated", "reports"))
    earlier = START - pd.Timedelta(days=30)
    lake.replace("fusion", fusion_rows().assign(interval_start=earlier, interval_end=earlier), Slice(earlier, START))
    report = build_report(lake, ReportRequest(), now=NOW)
    assert report.fusion == Section("Fusion: forecasts helped by leading partners", "fusion",
                                    ("No fusion decisions for this interval.",))
    assert "<li>No fusion decisions for this interval.</li>" in render_html(report)
