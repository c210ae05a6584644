"""Delta slices: reruns replace, reads filter, a killed writer leaves the previous version intact."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sparkhu.storage.lake import Lake, Slice
from sparkhu.storage.tables import TABLES

T0 = pd.Timestamp("2024-01-30", tz="UTC")


def points(series: list[str], start: pd.Timestamp, n: int, value: float = 1.0) -> pd.DataFrame:
    ts = pd.date_range(start, periods=n, freq="5min", tz="UTC")
    return pd.DataFrame({
        "series_id": np.repeat(series, n), "ts": np.tile(ts, len(series)), "value": value,
        "source": "s", "line": 1, "ingested_at": T0,
    })


def day(start: pd.Timestamp, days: int = 1, series: tuple[str, ...] | None = None) -> Slice:
    return Slice(start=start, end=start + pd.Timedelta(days=days), series=series)


def test_rerun_replaces_its_slice_and_keeps_others(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path))
    lake.replace("validated", points(["a", "b"], T0, 288), day(T0))
    lake.replace("validated", points(["a", "b"], T0 + pd.Timedelta(days=1), 288), day(T0 + pd.Timedelta(days=1)))
    assert lake.count("validated") == 4 * 288
    lake.replace("validated", points(["a"], T0, 288, value=2.0), day(T0, series=("a",)))
    lake.replace("validated", points(["a"], T0, 288, value=2.0), day(T0, series=("a",)))
    frame = lake.read("validated")
    assert len(frame) == 4 * 288
    first_day_a = frame[(frame.series_id == "a") & (frame.ts < T0 + pd.Timedelta(days=1))]
    assert (first_day_a.value == 2.0).all() and len(first_day_a) == 288
    assert (frame[frame.series_id == "b"].value == 1.0).all()


def test_read_filters_by_series_and_range(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path))
    lake.replace("validated", points(["a", "b", "c"], T0, 288 * 3), day(T0, 3))
    got = lake.read("validated", Slice(start=T0 + pd.Timedelta(days=1), end=T0 + pd.Timedelta(days=2),
                                       series=("b",)))
    assert len(got) == 288
    assert set(got.series_id) == {"b"}
    assert got.ts.min() == T0 + pd.Timedelta(days=1)
    assert str(got.ts.dtype) == "datetime64[us, UTC]"


def test_month_partitions_across_a_month_border(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path))
    lake.replace("validated", points(["a"], T0, 288 * 4), day(T0, 4))
    months = {p["month"] for p in lake.table("validated").partitions()}  # type: ignore[union-attr]
    assert months == {"2024-01", "2024-02"}
    assert len(lake.read("validated", day(pd.Timestamp("2024-02-01", tz="UTC")))) == 288


def test_rows_outside_the_slice_are_refused(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path))
    with pytest.raises(ValueError, match="outside its slice"):
        lake.replace("validated", points(["a"], T0, 400), day(T0))
    assert lake.version("validated") is None


def test_empty_write_clears_the_slice(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path))
    lake.replace("validated", points(["a"], T0, 288 * 2), day(T0, 2))
    lake.replace("validated", points(["a"], T0, 0), day(T0))
    assert lake.count("validated") == 288


def test_missing_table_reads_empty_with_declared_columns(tmp_path: Path) -> None:
    frame = Lake(str(tmp_path)).read("stats")
    assert frame.empty
    assert list(frame.columns) == TABLES["stats"].schema.names


WRITER = textwrap.dedent("""
    import sys, numpy as np, pandas as pd
    from sparkhu.storage.lake import Lake, Slice
    n = int(sys.argv[2])
    ts = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(np.arange(n), unit="s")
    frame = pd.DataFrame({"series_id": "a", "ts": ts, "value": 9.0, "source": "s", "line": 1,
                          "ingested_at": ts[0]})
    print("ready", flush=True)
    Lake(sys.argv[1]).replace("validated", frame, Slice(start=ts[0], end=ts[-1] + pd.Timedelta(1, "s")))
""")


def _kill_during_write(root: Path, rows: int) -> bool:
    """Start a big write and SIGKILL it once data files exist but before its commit; True if that happened."""
    log = root / "validated" / "_delta_log"
    before_logs = set(log.iterdir())
    before_files = set((root / "validated").rglob("*.parquet"))
    process = subprocess.Popen([sys.executable, "-c", WRITER, str(root), str(rows)], stdout=subprocess.PIPE)
    assert process.stdout is not None and process.stdout.readline().strip() == b"ready"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if set((root / "validated").rglob("*.parquet")) - before_files:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            return set(log.iterdir()) == before_logs
        time.sleep(0.002)
    process.wait()
    return False


def test_writer_killed_mid_write_leaves_previous_version(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path))
    lake.replace("validated", points(["a"], pd.Timestamp("2024-01-01", tz="UTC"), 1000),
                 Slice(start=pd.Timestamp("2024-01-01", tz="UTC"), end=pd.Timestamp("2024-02-01", tz="UTC")))
    version, rows = lake.version("validated"), lake.count("validated")
    killed = any(_kill_during_write(tmp_path, rows_) for rows_ in (3_000_000, 6_000_000, 12_000_000))
    assert killed, "could not catch the writer between its data files and its commit"
    assert lake.version("validated") == version
    frame = lake.read("validated")
    assert len(frame) == rows and (frame.value == 1.0).all()


def test_empty_series_selection_reads_nothing(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path))
    lake.replace("validated", points(["a"], T0, 10), day(T0))
    assert lake.read("validated", Slice(series=())).empty


def test_among_keeps_rows_with_one_of_the_values(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path))
    frame = pd.concat([points(["a"], T0, 10).assign(variant=v) for v in ("locf", "linear", "leave")])
    lake.replace("imputed_variants", frame.assign(is_missing=False), day(T0))
    got = lake.read("imputed_variants", Slice(among={"variant": ("linear", "leave")}))
    assert sorted(got.variant.unique()) == ["leave", "linear"] and len(got) == 20
    lake.replace("imputed_variants", frame.iloc[:0].assign(is_missing=False), Slice(among={"variant": ("locf",)}))
    assert lake.count("imputed_variants") == 20
