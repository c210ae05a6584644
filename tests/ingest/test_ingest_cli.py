"""The ``sparkhu ingest`` command: exit codes, messages, and the real NAB and ETT files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from sparkhu.cli.main import app
from sparkhu.config import Settings
from sparkhu.storage.lake import Lake

SHARED = Path(__file__).parents[2].parent / "shared" / "data"
NAB_FILE = SHARED / "nab" / "data" / "realTraffic" / "speed_6005.csv"
ETT_FILE = SHARED / "ett" / "ETTh1.csv"


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["ingest", *args], env={"COLUMNS": "250"})
    return result.exit_code, result.output


def test_empty_file_exits_2_with_a_message(home: Settings, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    code, output = _invoke(str(empty), "--series-id", "x")
    assert code == 2
    assert "the file is empty" in output
    assert "nothing usable was found in 1 file(s)" in output


def test_all_rows_bad_exits_2(home: Settings, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,value\nnope,1\n2024-01-01,abc\n")
    code, output = _invoke(str(bad), "--series-id", "x")
    assert code == 2 and "2 row(s) quarantined, none accepted" in output
    assert Lake(home.lake).count("quarantine") == 2


@pytest.mark.parametrize(("args", "message"), [
    (["--series-id", "a", "--wide"], "choose one layout, not --series-id and --wide"),
    (["--series-id", "a", "--timezone", "Mars/Olympus"], "is not a known IANA timezone"),
])
def test_bad_options_exit_2(home: Settings, tmp_path: Path, args: list[str], message: str) -> None:
    path = tmp_path / "ok.csv"
    path.write_text("timestamp,value\n2024-01-01,1\n")
    code, output = _invoke(str(path), *args)
    assert code == 2 and message in output


def test_missing_path_exits_2(home: Settings, tmp_path: Path) -> None:
    code, output = _invoke(str(tmp_path / "absent.csv"), "--series-id", "a")
    assert code == 2 and "does not exist" in output


def test_partly_bad_input_exits_0_and_prints_totals(home: Settings, tmp_path: Path) -> None:
    (tmp_path / "good.csv").write_text("timestamp,value\n2024-01-01,1\n2024-01-02,oops\n")
    (tmp_path / "empty.csv").write_text("")
    code, output = _invoke(str(tmp_path), "--series-id", "a")
    assert code == 0
    assert "total: 2 file(s), 1 accepted, 2 quarantined, 1 new series" in output


@pytest.mark.skipif(not NAB_FILE.exists(), reason="NAB data not present")
def test_real_nab_file(home: Settings) -> None:
    code, output = _invoke(str(NAB_FILE), "--series-id", "speed_6005", "--time-column", "timestamp",
                           "--value-column", "value")
    assert code == 0, output
    expected = pd.read_csv(NAB_FILE)
    raw = Lake(home.lake).read("raw").sort_values("ts", ignore_index=True)
    assert len(raw) == len(expected) > 2000
    assert raw["ts"].iloc[0] == pd.Timestamp(expected["timestamp"].iloc[0], tz="UTC")
    assert raw["value"].sum() == expected["value"].sum()
    assert Lake(home.lake).count("quarantine") == 0


@pytest.mark.skipif(not ETT_FILE.exists(), reason="ETT data not present")
def test_real_ett_file_wide(home: Settings) -> None:
    code, output = _invoke(str(ETT_FILE), "--wide", "--time-column", "date")
    assert code == 0, output
    raw = Lake(home.lake).read("raw", columns=["series_id"])
    counts = raw["series_id"].value_counts().to_dict()
    assert counts == {name: 17420 for name in ["HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT"]}
