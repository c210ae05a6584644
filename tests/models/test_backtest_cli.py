"""`sparkhu backtest` through the real CLI: a METRICS.json with the champion, clear errors with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sparkhu.cli.main import app
from sparkhu.config import Settings

runner = CliRunner()


@pytest.fixture()
def wide_csv(tmp_path: Path) -> Path:
    rng = np.random.default_rng(1)
    n = 24 * 40
    t = np.arange(n)
    load = 5 + 2 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 0.1, n)
    target = 30 + 3 * np.sin(2 * np.pi * (t - 2) / 24) + rng.normal(0, 0.2, n)
    frame = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=n, freq="h").strftime("%Y-%m-%d %H:%M:%S"),
                          "LOAD": load, "OT": target})
    path = tmp_path / "wide.csv"
    frame.to_csv(path, index=False)
    return path


def backtest(*argv: str) -> tuple[int, str]:
    result = runner.invoke(app, ["backtest", *argv])
    return result.exit_code, " ".join(result.output.split())


def test_backtest_writes_the_champion_and_every_family(home: Settings, wide_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "metrics.json"
    code, output = backtest(str(wide_csv), "--time-column", "date", "--target", "OT", "--horizon", "24",
                            "--covariates", "all", "--families", "seasonal_naive,ridge", "--out", str(out))
    assert code == 0, output
    metrics = json.loads(out.read_text())
    assert {"name", "MAE", "sMAPE", "MASE", "RMSE"} <= set(metrics["champion"])
    assert metrics["origins"] == len(range(768, 24 * 40 - 24 + 1, 24)) and metrics["points"] == metrics["origins"] * 24
    naive = next(row for row in metrics["models"].values() if row["family"] == "seasonal_naive")
    assert metrics["champion"]["MAE"] < naive["MAE"]
    assert 0 <= metrics["intervals"]["coverage"] <= 1 and metrics["intervals"]["level"] == 0.8
    assert "champion" in output


def test_a_target_kept_every_fourth_row_is_scored_on_its_kept_points(home: Settings, wide_csv: Path,
                                                                     tmp_path: Path) -> None:
    """The multi-rate protocol: OT only at rows i % 4 == 0, LOAD hourly; the same origins as hourly OT."""
    frame = pd.read_csv(wide_csv)
    frame.loc[frame.index % 4 != 0, "OT"] = np.nan
    sparse = tmp_path / "sparse.csv"
    frame.to_csv(sparse, index=False)
    documents = {}
    for covariates in ("none", "all"):
        out = tmp_path / f"{covariates}.json"
        code, output = backtest(str(sparse), "--time-column", "date", "--target", "OT", "--horizon", "24",
                                "--covariates", covariates, "--families", "seasonal_naive,ridge", "--out", str(out))
        assert code == 0, output
        documents[covariates] = json.loads(out.read_text())
    alone, fused = documents["none"], documents["all"]
    assert alone["origins"] == fused["origins"] == len(range(768, 24 * 40 - 24 + 1, 24))
    assert alone["points"] == fused["points"] == alone["origins"] * 6  # 6 kept points in 24 rows
    assert not any(row["uses_covariates"] for row in alone["models"].values())
    assert alone["champion"]["MAE"] < next(r["MAE"] for r in alone["models"].values()
                                          if r["family"] == "seasonal_naive")


@pytest.mark.parametrize(("extra", "message"), [
    (["--target", "TEMP"], "column 'TEMP' not found"),
    (["--target", "OT", "--covariates", "WIND"], "unknown columns ['WIND']"),
    (["--target", "OT", "--families", "prophet"], "--families: unknown ['prophet']"),
    (["--target", "OT", "--horizon", "0"], "Invalid value for '--horizon'"),
])
def test_bad_input_exits_2_with_a_clear_message(home: Settings, wide_csv: Path, tmp_path: Path, extra: list[str],
                                                message: str) -> None:
    argv = [str(wide_csv), "--time-column", "date", "--out", str(tmp_path / "m.json"), *extra]
    if "--horizon" not in extra:
        argv += ["--horizon", "24"]
    code, output = backtest(*argv)
    assert code == 2 and message in output, output
    assert not (tmp_path / "m.json").exists()


def test_a_horizon_longer_than_the_test_part_is_refused(home: Settings, wide_csv: Path, tmp_path: Path) -> None:
    code, output = backtest(str(wide_csv), "--time-column", "date", "--target", "OT", "--horizon", "500",
                            "--test-fraction", "0.1", "--out", str(tmp_path / "m.json"))
    assert code == 2 and "shorter than the horizon" in output


def test_non_numeric_values_and_bad_times_are_named(home: Settings, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("date,OT\n2024-01-01 00:00,1\n2024-01-01 01:00,warm\n2024-01-01 02:00,3\n")
    code, output = backtest(str(path), "--time-column", "date", "--target", "OT", "--horizon", "1",
                            "--out", str(tmp_path / "m.json"))
    assert code == 2 and "column 'OT' holds non-numeric values (first: 'warm')" in output
    path.write_text("date,OT\nyesterday,1\n2024-01-01 01:00,2\n2024-01-01 02:00,3\n")
    code, output = backtest(str(path), "--time-column", "date", "--target", "OT", "--horizon", "1",
                            "--out", str(tmp_path / "m.json"))
    assert code == 2 and "are not timestamps (first: 'yesterday')" in output
