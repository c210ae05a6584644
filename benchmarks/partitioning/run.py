"""Which partitioning for the time-series tables? Daily writes of many series, then typical reads.

Layouts compared (same data, same daily slice writes through delta-rs predicate overwrite):
  none          no partition column
  month         month=YYYY-MM (Sparkhu's choice)
  day           day=YYYY-MM-DD
  series_day    series_id + day (what the 2022 system did with Hive)

Usage: python benchmarks/partitioning/run.py [--series 100] [--days 30]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from deltalake import DeltaTable, write_deltalake

LAYOUTS = {"none": [], "month": ["month"], "day": ["day"], "series_day": ["series_id", "day"]}
T0 = pd.Timestamp("2024-01-01", tz="UTC")


def day_frame(n_series: int, day: int, step_s: int) -> pa.Table:
    start = T0 + pd.Timedelta(days=day)
    ts = pd.date_range(start, periods=86_400 // step_s, freq=f"{step_s}s", tz="UTC")
    ids = [f"sensor-{i:04d}" for i in range(n_series)]
    frame = pd.DataFrame({"series_id": np.repeat(ids, len(ts)), "ts": np.tile(ts, n_series),
                          "value": np.random.default_rng(day).normal(size=len(ts) * n_series)})
    frame["month"] = frame["ts"].dt.strftime("%Y-%m")
    frame["day"] = frame["ts"].dt.strftime("%Y-%m-%d")
    table = pa.Table.from_pandas(frame, preserve_index=False)
    return table.set_column(1, "ts", table["ts"].cast(pa.timestamp("us", tz="UTC")))


def predicate(day: int) -> str:
    start, end = T0 + pd.Timedelta(days=day), T0 + pd.Timedelta(days=day + 1)
    return f"ts >= '{start:%Y-%m-%dT%H:%M:%SZ}' AND ts < '{end:%Y-%m-%dT%H:%M:%SZ}'"


def between(first_day: int, last_day: int) -> pc.Expression:
    """Filter ``T0 + first_day <= ts < T0 + last_day``."""
    kind = pa.timestamp("us", tz="UTC")
    low = pa.scalar(T0 + pd.Timedelta(days=first_day), kind)
    high = pa.scalar(T0 + pd.Timedelta(days=last_day), kind)
    return (pc.field("ts") >= low) & (pc.field("ts") < high)


def measure(layout: str, root: Path, n_series: int, days: int, step_s: int) -> dict[str, object]:
    uri = str(root / layout)
    clock = time.perf_counter()
    for day in range(days):
        write_deltalake(uri, day_frame(n_series, day, step_s), mode="overwrite", predicate=predicate(day),
                        partition_by=LAYOUTS[layout] or None)
    write_s = time.perf_counter() - clock
    clock = time.perf_counter()
    write_deltalake(uri, day_frame(n_series, days // 2, step_s), mode="overwrite",
                    predicate=predicate(days // 2), partition_by=LAYOUTS[layout] or None)
    rerun_s = time.perf_counter() - clock
    table = DeltaTable(uri)
    dataset = table.to_pyarrow_dataset()
    week = (pc.field("series_id") == "sensor-0007") & between(7, 14)
    clock = time.perf_counter()
    rows_week = dataset.to_table(filter=week).num_rows
    read_series_s = time.perf_counter() - clock
    one_day = between(3, 4)
    clock = time.perf_counter()
    rows_day = dataset.to_table(filter=one_day).num_rows
    read_day_s = time.perf_counter() - clock
    files = table.file_uris()
    return {"layout": layout, "files": len(files), "rows": dataset.count_rows(),
            "write_s": round(write_s, 2), "rerun_day_s": round(rerun_s, 2),
            "read_1_series_week_s": round(read_series_s, 3), "rows_week": rows_week,
            "read_all_series_day_s": round(read_day_s, 3), "rows_day": rows_day}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--series", type=int, default=100)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--step-s", type=int, default=300)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="sparkhu-partitioning-"))
    try:
        results = [measure(layout, root, args.series, args.days, args.step_s) for layout in LAYOUTS]
    finally:
        shutil.rmtree(root, ignore_errors=True)
    header = list(results[0])
    print("| " + " | ".join(header) + " |\n|" + "---|" * len(header))
    for row in results:
        print("| " + " | ".join(str(row[key]) for key in header) + " |")


if __name__ == "__main__":
    main()
