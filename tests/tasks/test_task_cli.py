"""`sparkhu task run|list` through the CLI: clear errors with exit code 2, outputs, report rows."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sparkhu.cli.main import app
from sparkhu.config import Settings
from sparkhu.storage.lake import Lake

runner = CliRunner()
DAY = ("--start", "2024-03-01", "--end", "2024-03-02")


@pytest.fixture()
def ingested(home: Settings, tmp_path: Path) -> Settings:
    ts = pd.date_range("2024-03-01", periods=288, freq="5min", tz="UTC")
    stamps = np.tile(ts.strftime("%Y-%m-%dT%H:%M:%SZ"), 2)
    frame = pd.DataFrame({"series": np.repeat(["a", "b"], 288), "timestamp": stamps,
                          "value": np.arange(576, dtype=float)})
    frame.to_csv(tmp_path / "two.csv", index=False)
    assert runner.invoke(app, ["ingest", str(tmp_path / "two.csv"), "--series-column", "series"]).exit_code == 0
    return home


@pytest.mark.parametrize(("argv", "message"), [
    (["task", "run", "nope", *DAY], "unknown task 'nope'"),
    (["task", "run", "deduplicate", *DAY, "--param", "policy=avg"], "must be one of"),
    (["task", "run", "deduplicate", *DAY, "--param", "colour=red"], "unknown parameter 'colour'"),
    (["task", "run", "regularity", *DAY, "--param", "lookback_days=-1"], "must be >="),
    (["task", "run", "validate", *DAY, "--shard", "2/2"], "0 <= K < N"),
    (["task", "run", "validate", "--start", "2024-03-02", "--end", "2024-03-01"], "after --start"),
    (["task", "run", "validate", "--start", "yesterday-ish", "--end", "2024-03-01"], "ISO-8601"),
    (["task", "run", "validate", *DAY, "--series", "ghost"], "unknown series ['ghost']"),
])
def test_bad_input_exits_2_with_a_clear_message(ingested: Settings, argv: list[str], message: str) -> None:
    result = runner.invoke(app, argv)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert Lake(ingested.lake).version("validated") is None, "nothing may be written on bad input"


def test_task_run_writes_outputs_and_one_report_row_per_rerun(ingested: Settings, tmp_path: Path) -> None:
    outputs = tmp_path / "outputs"
    for _ in range(2):
        result = runner.invoke(app, ["task", "run", "validate", *DAY, "--outputs-dir", str(outputs), "--json"])
        assert result.exit_code == 0, result.output
    assert (outputs / "rows_in").read_text() == "576"
    assert (outputs / "rows_out").read_text() == "576"
    assert (outputs / "n_series").read_text() == "2"
    reports = Lake(ingested.lake).read("reports")
    assert len(reports) == 1
    assert json.loads(reports.counts.iloc[0])["rows_in"] == 576


def test_shards_split_the_series_and_plan_writes_the_shard_list(ingested: Settings, tmp_path: Path) -> None:
    for shard in ("0/2", "1/2"):
        assert runner.invoke(app, ["task", "run", "validate", *DAY, "--shard", shard]).exit_code == 0
    assert Lake(ingested.lake).count("validated") == 576
    result = runner.invoke(app, ["task", "run", "plan", *DAY, "--param", "series_per_shard=1",
                                 "--outputs-dir", str(tmp_path / "plan")])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "plan" / "shards").read_text()) == ["0/2", "1/2"]


def test_task_list_names_every_task(home: Settings) -> None:
    output = runner.invoke(app, ["task", "list"], env={"COLUMNS": "250"}).output
    for name in ("plan", "validate", "deduplicate", "describe", "regularity", "regularity-decision",
                 "detect-missing"):
        assert name in output
