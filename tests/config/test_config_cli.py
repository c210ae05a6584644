"""`sparkhu config` through the real CLI app: every setting with value and source; a misspelt or refused
SPARKHU_* variable stops every command with one line and exit code 2."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from sparkhu.cli.main import app
from sparkhu.config import Settings, get_settings, known_variables

runner = CliRunner()


@pytest.fixture()
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wide terminal keeps each table row on one line, so rows can be matched."""
    monkeypatch.setenv("COLUMNS", "240")


def _cells(output: str) -> list[list[str]]:
    """The cells of each table body line (continuation lines of wrapped rows included)."""
    lines = [line.strip() for line in output.splitlines()]
    return [[cell.strip() for cell in line.split("│")[1:-1]] for line in lines if line.startswith("│")]


def _rows(output: str) -> dict[str, list[str]]:
    """Table rows by setting name (on a terminal wide enough for one line per row)."""
    return {cells[0]: cells[1:] for cells in _cells(output) if cells[0] in Settings.model_fields}


def test_config_shows_every_setting_with_value_and_source(
    home: Settings, wide: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPARKHU_DATABASE_URL", "postgresql+psycopg2://app:s3cret@db:5432/ts")
    monkeypatch.setenv("SPARKHU_RAY_ADDRESS", "ray://head:10001")
    get_settings.cache_clear()
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 0, result.output
    rows = _rows(result.output)
    assert [variable for variable, _, _ in rows.values()] == known_variables()
    assert rows["home"] == ["SPARKHU_HOME", str(home.home), "environment"]
    assert rows["mlflow_uri"] == ["SPARKHU_MLFLOW_URI", f"sqlite:///{home.home / 'mlflow.db'}", "default"]
    assert rows["engine"] == ["SPARKHU_ENGINE", "local", "default"]
    assert rows["ray_address"] == ["SPARKHU_RAY_ADDRESS", "ray://head:10001", "environment"]
    assert rows["database_url"] == ["SPARKHU_DATABASE_URL", "postgresql+psycopg2://app:***@db:5432/ts", "environment"]
    assert rows["lake_uri"] == ["SPARKHU_LAKE_URI", str(home.home / "lake"), "default"]
    assert "s3cret" not in result.output


def test_config_never_cuts_long_values_on_a_narrow_terminal(home: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    monkeypatch.setenv("SPARKHU_LAKE_URI", "s3://a-rather-long-bucket-name/with/a/deep/prefix/for/the/lake")
    get_settings.cache_clear()
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 0, result.output
    assert "…" not in result.output
    values = "".join(cells[2] for cells in _cells(result.output))
    assert "s3://a-rather-long-bucket-name/with/a/deep/prefix/for/the/lake" in values


@pytest.mark.parametrize("argv", [["config"], ["tables"], ["task", "list"], ["runs", "list"], ["manifests", "check"]])
def test_a_misspelt_variable_stops_every_command_with_one_line_and_exit_2(
    home: Settings, monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    monkeypatch.setenv("SPARKHU_LAKE_URL", "s3://lake")
    get_settings.cache_clear()
    result = runner.invoke(app, argv)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: unknown environment variable SPARKHU_LAKE_URL (did you mean SPARKHU_LAKE_URI?)")
    assert "SPARKHU_MLFLOW_URI" in lines[0]
    assert not home.home.exists(), "the command must not have started"


def test_a_refused_value_stops_the_command_with_exit_2(home: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPARKHU_ENGINE", "spark")
    get_settings.cache_clear()
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 2
    expected = "error: invalid setting SPARKHU_ENGINE='spark': unknown engine 'spark'; known engines: local"
    assert result.output.strip() == expected


def test_other_components_variables_do_not_disturb_the_cli(
    home: Settings, wide: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPARKHU_SYNC_GIT_TOKEN_FILE", "/var/run/token")
    monkeypatch.setenv("SPARKHU_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
    get_settings.cache_clear()
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 0, result.output
    assert "SPARKHU_SYNC_GIT_TOKEN_FILE" not in result.output  # not a setting of this CLI
