"""`sparkhu demo` (what `make run` runs) end to end: it ends with the HTML report, which a real
headless Chromium opens offline with every plot rendered; then the committed manifest reruns cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser
from typer.testing import CliRunner

from sparkhu.cli.main import app
from sparkhu.config import Settings
from sparkhu.storage.lake import Lake
from sparkhu.storage.tables import TABLES
from tests.reporting.test_browser import chromium  # noqa: F401  (the Debian Chromium fixture)

runner = CliRunner()
MANIFEST = Path(__file__).resolve().parents[2] / "manifests" / "workflowtemplate-sparkhu-daily-univariate.yaml"


@pytest.fixture()
def demo_output(home: Settings) -> str:
    result = runner.invoke(app, ["demo", "--days", "3"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def test_demo_ends_with_a_report_that_renders_in_chromium(demo_output: str, home: Settings,
                                                          chromium: Browser) -> None:  # noqa: F811
    report = home.home / "report.html"
    assert demo_output.rstrip().splitlines()[-1].endswith(str(report.resolve()))
    page = chromium.new_context(offline=True, viewport={"width": 1300, "height": 900}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(report.as_uri(), wait_until="load")
    plots = page.locator("figure.plot > svg")
    assert plots.count() >= 8  # run summary, imputation comparison, and per-series plots
    for index in range(plots.count()):
        box = plots.nth(index).bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 80
    assert page.locator("section.series").count() == 10
    assert errors == []
    committed_manifest_reruns_without_changing_any_table(home)


def committed_manifest_reruns_without_changing_any_table(home: Settings) -> None:
    """After the demo (`make run`, models included), the committed univariate manifest changes nothing."""
    lake = Lake(home.lake)
    before = {name: lake.count(name) for name in TABLES}
    intervals = lake.read("reports")[["interval_start", "interval_end"]].drop_duplicates()
    start, end = (moment.isoformat() for moment in intervals.iloc[0])
    result = runner.invoke(app, ["workflow", "run", str(MANIFEST), "-p", f"start={start}", "-p", f"end={end}"])
    assert result.exit_code == 0, result.output
    assert {name: lake.count(name) for name in TABLES} == before
