"""`sparkhu models list` through the real CLI: a version registered and promoted through ModelStore is listed."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sparkhu.cli import models
from sparkhu.cli.main import app
from sparkhu.config import Settings

pytest.importorskip("mlflow")

runner = CliRunner()
METRICS = {"MAE": 0.125, "RMSE": 0.25, "sMAPE": 3.5, "MASE": 0.75}


@pytest.fixture()
def champion(home: Settings) -> tuple[str, int]:
    """A seasonal-naive version of group ``plant`` registered and promoted in the home's store: (run id, version)."""
    from sparkhu.models.base import build
    from sparkhu.models.panel import Series
    from sparkhu.tasks._modeling import model_store

    series = Series("plant.flow", np.sin(np.arange(48) / 3.0), pd.Timestamp("2024-03-01", tz="UTC"), 3600.0)
    forecaster = build("seasonal_naive", 3).fit([series])
    store = model_store(home)
    run_id = store.start_run("plant", "train")
    version = store.register("plant", run_id, forecaster, METRICS)
    store.finish(run_id)
    store.promote("plant", version.version)
    return run_id, version.version


def listed(*argv: str) -> tuple[int, str, str]:
    """Exit code, stdout and everything printed (whitespace collapsed) of ``sparkhu models list ARGV``."""
    result = runner.invoke(app, ["models", "list", *argv], env={"COLUMNS": "240"})
    return result.exit_code, result.stdout, " ".join(result.output.split())


def test_the_table_shows_the_champion_with_its_metrics(champion: tuple[str, int]) -> None:
    run_id, version = champion
    code, _, output = listed()
    assert code == 0, output
    assert "MAE ┃ RMSE ┃ sMAPE ┃ MASE ┃ run id" in output
    assert f"│ sparkhu-plant │ {version} │ champion │ seasonal_naive │ 0.125 │ 0.25 │ 3.5 │ 0.75 │ {run_id} │" in output


def test_json_lists_every_version(champion: tuple[str, int]) -> None:
    run_id, version = champion
    code, stdout, output = listed("--json")
    assert code == 0, output
    assert json.loads(stdout) == [{"model": "sparkhu-plant", "version": version, "aliases": ["champion"],
                                   "forecaster": "seasonal_naive", "run_id": run_id, "metrics": METRICS}]


def test_no_registered_model_is_a_helpful_line(home: Settings) -> None:
    code, _, output = listed()
    assert code == 0 and "No registered models in" in output and "train task" in output
    code, stdout, _ = listed("--json")
    assert code == 0 and json.loads(stdout) == []
    assert not (home.home / "mlflow.db").exists()  # listing creates no store


def test_without_the_models_extra_it_says_what_to_install(home: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(models.importlib.util, "find_spec",
                        lambda name, *args: None if name == "mlflow" else find_spec(name, *args))
    code, _, output = listed()
    assert code == 2 and "pip install 'sparkhu[models]'" in output
