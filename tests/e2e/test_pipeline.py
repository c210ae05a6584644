"""The whole spine end to end: demo data -> features -> ingest -> daily WorkflowTemplate -> tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from sparkhu.cli.main import app
from sparkhu.cli.pipeline import DAILY_TEMPLATE, MODELS_TEMPLATE, MULTIVARIATE_TEMPLATE, WORKFLOWS, demo_commands
from sparkhu.config import Settings
from sparkhu.demo.generate import write_demo
from sparkhu.storage.lake import Lake
from sparkhu.storage.tables import TABLES
from sparkhu.tasks.spec import all_tasks
from sparkhu.workflows.daily import NODES

runner = CliRunner()


UNIVARIATE = ("--workflow", "univariate")
"""These tests are about the univariate spine; the model DAG has its own (tests/models)."""


def univariate(commands: list[list[str]]) -> list[list[str]]:
    """The demo's commands with its `run` limited to the univariate DAG (no model parameters)."""
    return [[*argv[:1], *UNIVARIATE] if argv[0] == "run" else argv for argv in commands]


def sparkhu(*argv: str) -> str:
    result = runner.invoke(app, list(argv))
    assert result.exit_code == 0, f"sparkhu {' '.join(argv)} -> {result.exit_code}\n{result.output}"
    return result.output


def row_counts(lake: Lake) -> dict[str, int]:
    return {name: lake.count(name) for name in TABLES}


@pytest.fixture()
def demo_lake(home: Settings, tmp_path: Path) -> Lake:
    for argv in univariate(demo_commands(write_demo(tmp_path / "demo", days=3))):
        sparkhu(*argv)
    return Lake(home.lake)


def test_demo_pipeline_fills_every_table(demo_lake: Lake) -> None:
    counts = row_counts(demo_lake)
    univariate_tasks = {node.task for node in NODES}
    produced = {"raw", "reports"} | {table for name, spec in all_tasks().items() if name in univariate_tasks
                                     for table in spec.outputs}
    assert [name for name in produced if counts[name] == 0] == [], counts
    decided = demo_lake.read("regularity").set_index("series_id")
    assert decided.loc["plant.temperature", "period_seconds"] == 60
    assert decided.loc["plant.pressure", "period_seconds"] == 300
    assert decided.loc["plant.flow", "period_seconds"] == 30
    assert decided.loc["plant.humidity", "period_seconds"] == 600
    missing = demo_lake.read("missing_marked")
    humidity = missing[missing.series_id == "plant.humidity"]
    assert (humidity.missing_kind == "marked").sum() > 0
    temperature = missing[missing.series_id == "plant.temperature"]
    # the demo cuts a 3-hour outage into the 1-minute temperature series: ~180 unmarked points
    assert 170 <= (temperature.missing_kind == "unmarked").sum() <= 190
    dedup = demo_lake.read("deduplicated")
    assert dedup.groupby(["series_id", "ts"]).size().max() == 1
    quarantine = demo_lake.read("quarantine")
    assert set(quarantine.stage) == {"ingest", "validate"}
    assert quarantine.reason.str.contains("above physical maximum 100").any()
    assert demo_lake.read("reports").run_id.notna().all(), "report rows carry the workflow run id"


def test_rerun_same_interval_changes_no_row_count(demo_lake: Lake) -> None:
    before = row_counts(demo_lake)
    sparkhu("run", *UNIVARIATE)
    assert row_counts(demo_lake) == before


def test_the_multivariate_workflow_relates_each_group_and_reruns_in_place(demo_lake: Lake) -> None:
    assert WORKFLOWS["all"] == (DAILY_TEMPLATE, MULTIVARIATE_TEMPLATE, MODELS_TEMPLATE)  # before the models
    sparkhu("run", "--workflow", "multivariate")
    correlations = demo_lake.read("correlations")
    assert {"hall-1", "inlet"} <= set(correlations["group"])  # the demo's feature groups of several series
    inlet = correlations[correlations["group"] == "inlet"].iloc[0]  # a 6-hourly lab sample of the 30 s flow
    assert (inlet["series_a"], inlet["series_b"], inlet["grid_s"]) == ("lab.flow_sample", "plant.flow", 6 * 3600)
    assert inlet["pearson"] > 0.5 and np.isfinite(inlet["best_lag_corr"])
    assert (correlations["series_a"] < correlations["series_b"]).all()
    reports = demo_lake.read("reports")
    assert (reports.loc[reports["task"] == "correlate", "status"] == "succeeded").all()
    sparkhu("run", "--workflow", "multivariate")
    assert demo_lake.count("correlations") == len(correlations)


def test_daily_runs_match_one_big_run_at_the_borders(home: Settings, tmp_path: Path) -> None:
    """Unmarked missing across a day border is found once, from the previous day's last point."""
    ts = pd.date_range("2024-03-01", "2024-03-03", freq="10min", tz="UTC", inclusive="left")
    gap = (ts >= "2024-03-01T23:00Z") & (ts < "2024-03-02T01:00Z")  # 2 h outage over midnight
    frame = pd.DataFrame({"timestamp": ts[~gap].strftime("%Y-%m-%dT%H:%M:%SZ"),
                          "value": np.arange((~gap).sum(), dtype=float)})
    path = tmp_path / "s.csv"
    frame.to_csv(path, index=False)
    sparkhu("ingest", str(path), "--series-id", "s")
    for start, end in (("2024-03-01", "2024-03-02"), ("2024-03-02", "2024-03-03"),
                       ("2024-03-02", "2024-03-03")):
        sparkhu("run", *UNIVARIATE, "--start", start, "--end", end, "-p", "regularity-lookback-days=1")
    marked = Lake(home.lake).read("missing_marked")
    assert marked.ts.is_unique
    # 22:50 -> 01:00 is 13 periods: 12 missing slots, 6 owned by each day, none duplicated by the rerun
    assert int(marked.is_missing.sum()) == 12
    assert (marked[marked.is_missing].ts.diff().dropna() == pd.Timedelta("10min")).all()


def test_pipeline_on_postgresql_metadata(home: Settings, tmp_path: Path, postgres_url: str,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The same spine with the feature registry and run store in PostgreSQL instead of SQLite."""
    from sparkhu.config import get_settings

    monkeypatch.setenv("SPARKHU_DATABASE_URL", postgres_url)
    get_settings.cache_clear()
    for argv in univariate(demo_commands(write_demo(tmp_path / "demo", days=2))):
        sparkhu(*argv)
    assert "Succeeded" in sparkhu("runs", "list")
    assert "10 feature(s)" in sparkhu("features", "list")
    with create_engine(postgres_url).connect() as connection:  # really in PostgreSQL, not a SQLite file
        assert connection.execute(text("SELECT count(*) FROM features")).scalar() == 10
        assert connection.execute(text("SELECT count(*) FROM workflow_runs")).scalar() == 1
    assert Lake(home.lake).count("missing_marked") > 0
