from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from sparkhu.cli import report
from sparkhu.config import Settings
from sparkhu.storage.lake import Lake
from tests.reporting.synthetic import OLD_RUN_ID, populate

runner = CliRunner()


def cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """Group mode, as in sparkhu's own app."""

    report.register(app)
    return app


@pytest.fixture()
def lake(home: Settings) -> Lake:
    lake = Lake(home.lake)
    populate(lake, tables=("missing_marked", "stats", "reports"))
    return lake


def test_report_writes_the_file_and_ends_with_its_path(lake: Lake, tmp_path: Path) -> None:
    out = tmp_path / "reports" / "run.html"
    result = runner.invoke(cli(), ["report", "--out", str(out), "--series", "plant.flow"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == str(out.resolve())
    assert "1 series with 3 plots" in result.output
    html = out.read_text()
    assert "Series chosen with --series: 1." in html and 'id="plot-series-1-series"' in html
    # both series are in the statistics overview; only the plotted one links to its section
    assert '<a href="#series-1">plant.flow</a>' in html and "<td>plant.temperature</td>" in html


def test_run_and_interval_options(lake: Lake, tmp_path: Path) -> None:
    out = tmp_path / "old.html"
    result = runner.invoke(cli(), ["report", "--out", str(out), "--run", OLD_RUN_ID[:8],
                                   "--start", "2024-03-01T12:00", "--end", "2024-03-02", "--limit", "1"])
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert f"run {OLD_RUN_ID}" in html and "2024-03-01 12:00 → 2024-03-02 00:00" in html
    assert "Showing the first 1 of 2 series by id" in html


@pytest.mark.parametrize(("argv", "message"), [
    (["--out", "x.pdf"], "--out must be an .html file"),
    (["--out", "x.html", "--run", "nope"], "matches no run"),
    (["--out", "x.html", "--start", "yesterday-ish"], "--start expects an ISO-8601 time"),
    (["--out", "x.html", "--series", "missing.series"], "no data for series"),
])
def test_bad_options_fail_with_a_clear_message(lake: Lake, tmp_path: Path, argv: list[str], message: str) -> None:
    result = runner.invoke(cli(), ["report", *argv])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
