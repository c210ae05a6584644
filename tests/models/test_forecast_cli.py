"""`sparkhu forecast FILE...` through the real CLI: ingest, the univariate chain, tune, train and forecast.

One end-to-end run over a file that mixes good series with the bad inputs the issue names (too short for
the horizon, constant, a NaN-only tail); quick checks for the errors caught before anything runs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sparkhu.cli.main import app
from sparkhu.config import Settings

runner = CliRunner()
HORIZON = 12
START = pd.Timestamp("2026-01-01", tz="UTC")


def mixed_file(folder: Path) -> Path:
    """Three daily-seasonal hourly series of ten days, one of 5 points, one constant, one with a NaN tail."""
    rng = np.random.default_rng(1)
    stamps = pd.date_range(START, periods=240, freq="h")
    season = 3 * np.sin(2 * np.pi * np.arange(240) / 24)
    frames = [pd.DataFrame({"sensor": f"good{i}", "time": stamps, "reading": 10 + i + season +
                            rng.normal(0, 0.3, 240)}) for i in range(3)]
    frames.append(pd.DataFrame({"sensor": "short", "time": stamps[:5], "reading": [1.0, 2, 3, 4, 5]}))
    frames.append(pd.DataFrame({"sensor": "flat", "time": stamps, "reading": 7.0}))
    tail = 10 + season
    tail[-30:] = np.nan
    frames.append(pd.DataFrame({"sensor": "nantail", "time": stamps, "reading": tail}))
    path = folder / "mixed.csv"
    pd.concat(frames).to_csv(path, index=False)
    return path


def forecast(*argv: str) -> tuple[int, str]:
    result = runner.invoke(app, ["forecast", *argv])
    return result.exit_code, " ".join(result.output.split())


@pytest.mark.slow
def test_every_good_series_is_forecast_and_the_bad_ones_are_listed_with_a_reason(home: Settings, tmp_path: Path
                                                                                 ) -> None:
    out = tmp_path / "forecasts.csv"
    code, output = forecast(str(mixed_file(tmp_path)), "--series-column", "sensor", "--time-column", "time",
                            "--value-column", "reading", "--horizon", str(HORIZON), "--out", str(out),
                            "--families", "seasonal_naive,ridge", "--trials", "3", "--budget-seconds", "300",
                            "--home", str(tmp_path / "home"))
    assert code == 2, output  # some series could not be forecast: the others are in the CSV
    frame = pd.read_csv(out, parse_dates=["ts"])
    assert list(frame.columns) == ["series_id", "ts", "value", "lo", "hi"]
    by_series = {series: rows for series, rows in frame.groupby("series_id")}
    assert {"good0", "good1", "good2", "flat"} <= set(by_series)
    for series in ("good0", "good1", "good2"):
        rows = by_series[series]
        expected = pd.date_range(START + pd.Timedelta(hours=240), periods=HORIZON, freq="h")
        assert rows["ts"].tolist() == expected.tolist()  # on the decided hourly grid, after the last point
        truth = 10 + int(series[-1]) + 3 * np.sin(2 * np.pi * np.arange(240, 240 + HORIZON) / 24)
        assert np.abs(rows["value"].to_numpy() - truth).mean() < 1.0  # the daily cycle, not a flat line
        assert (rows["lo"] <= rows["value"]).all() and (rows["value"] <= rows["hi"]).all()
    assert np.allclose(by_series["flat"]["value"], 7.0)
    skipped = pd.read_csv(tmp_path / "forecasts.skipped.csv").set_index("series_id")["reason"]
    assert "short" in skipped.index and "short" not in by_series
    assert skipped["short"] == f"5 points: too short for a {HORIZON}-step horizon"
    assert "nantail" in by_series or "nantail" in skipped.index
    assert "not forecast" in output and "short" in output


@pytest.mark.parametrize(("extra", "message"), [
    (["--horizon", "0"], "--horizon must be at least 1 step, got 0"),
    (["--horizon", "-3"], "--horizon must be at least 1 step, got -3"),
    (["--horizon", "5", "--level", "150"], "Invalid value for '--level'"),
])
def test_bad_parameters_exit_2_before_anything_runs(home: Settings, tmp_path: Path, extra: list[str],
                                                     message: str) -> None:
    code, output = forecast(str(mixed_file(tmp_path)), "--series-column", "sensor", "--time-column", "time",
                            "--value-column", "reading", "--out", str(tmp_path / "f.csv"), *extra)
    assert code == 2 and message in output
    assert "Traceback" not in output and not (tmp_path / "f.csv").exists()


def test_missing_file_and_unknown_columns_exit_2(home: Settings, tmp_path: Path) -> None:
    code, output = forecast(str(tmp_path / "nope.csv"), "--time-column", "t", "--value-column", "v",
                            "--horizon", "3", "--out", str(tmp_path / "f.csv"))
    assert code == 2 and "no such file" in output
    code, output = forecast(str(mixed_file(tmp_path)), "--series-column", "sensor", "--time-column", "when",
                            "--value-column", "reading", "--horizon", "3", "--out", str(tmp_path / "f.csv"),
                            "--home", str(tmp_path / "home"))
    assert code == 2 and "when" in output and "Traceback" not in output
    assert not (tmp_path / "f.csv").exists()
