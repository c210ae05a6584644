"""Retention at scale: plan and apply one policy on a lake of N rows over S series and D days.

The lake's ``validated`` table is written month by month (one commit per month); the policy deletes
everything older than ``--older-than`` after copying it (``archive``, or a ``downsample`` to 1 day).
Measured: the plan (a dry run), the apply with each stage's time (archive / downsample, delete), and the
second stage (vacuum) run as if its 168 h window had passed; bytes on disk before and after each.

Usage: python benchmarks/retention/run.py [--rows 10000000] [--series 1000] [--days 365]
           [--chain archive|downsample] [--writes month|day] [--out results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

END = datetime(2026, 12, 1, tzinfo=UTC)


def write_lake(lake: Any, rows: int, series: int, days: int, writes: str) -> None:
    """``rows`` points over ``series`` series, evenly spaced over ``days`` days ending at END.

    ``writes`` is ``month`` (one commit per month: few, large files) or ``day`` (one per day, as the daily
    pipeline writes: about 30 files per month partition).
    """
    from sparkhu.storage.lake import Slice

    per_series = rows // series
    step = pd.Timedelta(days=days) / per_series
    start = pd.Timestamp(END) - pd.Timedelta(days=days)
    stamps = start + step * np.arange(per_series)
    ids = np.array([f"sensor-{i:04d}" for i in range(series)])
    months = pd.DatetimeIndex(stamps).tz_convert(None).to_period("M" if writes == "month" else "D")
    for month in months.unique():
        inside = stamps[months == month]
        frame = pd.DataFrame({"series_id": np.repeat(ids, len(inside)), "ts": np.tile(inside, series),
                              "value": np.random.default_rng(len(inside)).normal(size=len(inside) * series)})
        low = month.start_time.tz_localize("UTC")
        high = (month + 1).start_time.tz_localize("UTC")
        lake.replace("validated", frame, Slice(start=low, end=high))


def disk_bytes(folder: Path) -> int:
    """Bytes of every file under ``folder``."""
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def run(rows: int, series: int, days: int, chain: str, older_than: str, writes: str) -> dict[str, Any]:
    """Build the lake, plan, apply, vacuum; return the measurements."""
    home = Path(tempfile.mkdtemp(prefix="sparkhu-retention-bench-"))
    os.environ["SPARKHU_HOME"] = str(home)
    from sparkhu.config import get_settings
    from sparkhu.retention.policy import load_policies
    from sparkhu.retention_engine.control import save_policies
    from sparkhu.retention_engine.engine import Engine
    from sparkhu.storage.lake import Lake
    from sparkhu.storage.retention import LakeStore

    settings = get_settings()
    lake = Lake(settings.lake)
    clock = time.perf_counter()
    write_lake(lake, rows, series, days, writes)
    write_s = time.perf_counter() - clock
    table = Path(settings.lake) / "validated"
    first = {"downsample": {"period": "1d", "aggregates": ["mean", "min", "max", "count"]}} if chain == "downsample" \
        else "archive"
    save_policies(settings, load_policies({"policies": [{
        "name": "bench", "scope": {"store": "lake", "table": "validated"}, "rules": {"older_than": older_than},
        "actions": [first, "delete"]}]}), actor="bench")
    engine = Engine(settings, "bench", stores={"lake": LakeStore(lake)})
    before = {"rows": lake.count("validated"), "disk": disk_bytes(table),
              "files": sum(1 for _ in table.rglob("*.parquet"))}
    clock = time.perf_counter()
    [plan] = engine.plan("bench", now=END)
    plan_s = time.perf_counter() - clock
    clock = time.perf_counter()
    record = engine.apply(plan.id, now=END)
    apply_s = time.perf_counter() - clock
    after_delete = {"rows": lake.count("validated"), "disk": disk_bytes(table)}
    later = Engine(settings, "bench", stores={"lake": LakeStore(lake, vacuum_window_hours=0)})
    [second] = later.plan("bench", now=END)
    clock = time.perf_counter()
    vacuum = later.apply(second.id, now=END)
    vacuum_s = time.perf_counter() - clock
    copies = Path(settings.lake) / ("_downsampled" if chain == "downsample" else "_archive")
    result = {
        "rows": before["rows"], "series": series, "days": days, "chain": f"{chain}+delete", "writes": writes,
        "files_before": before["files"],
        "older_than": older_than, "write_s": write_s, "plan_s": plan_s, "apply_s": apply_s,
        "stages_s": record["detail"]["timings"], "vacuum_s": vacuum_s,
        "vacuumed_files": vacuum["detail"]["vacuumed_files"], "planned": plan.totals(),
        "rows_deleted": record["detail"]["rows"]["deleted"], "rows_left": after_delete["rows"],
        "disk_before": before["disk"], "disk_after_delete": after_delete["disk"],
        "disk_after_vacuum": disk_bytes(table), "copy_disk": disk_bytes(copies), "units": len(plan.units),
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    shutil.rmtree(home, ignore_errors=True)
    return result


def table_row(result: dict[str, Any]) -> str:
    """One Markdown row of the results table."""
    stages = result["stages_s"]
    copy = stages["archive_s"] + stages["downsample_s"]
    freed = result["disk_before"] - result["disk_after_vacuum"]
    return (f"| {result['rows']:,} | {result['writes']} ({result['files_before']}) | {result['chain']} | "
            f"{result['units']} | {result['plan_s']:.1f} | "
            f"{copy:.1f} | {stages['delete_s']:.1f} | {result['apply_s']:.1f} | {result['vacuum_s']:.1f} | "
            f"{result['rows_deleted']:,} | {result['disk_before'] / 2**20:.0f} | "
            f"{result['disk_after_delete'] / 2**20:.0f} | {freed / 2**20:.0f} | {result['copy_disk'] / 2**20:.0f} | "
            f"{result['peak_mib']:.0f} |")


HEADER = ("| rows | writes (files) | chain | units | plan s | copy s | delete s | apply s | vacuum s | rows deleted | "
          "MiB before | MiB after delete | MiB freed by vacuum | MiB of copies | peak MiB |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")


def main() -> None:
    """Parse the arguments, run, print the table row and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--chain", choices=["archive", "downsample"], default="archive")
    parser.add_argument("--older-than", default="90d")
    parser.add_argument("--writes", choices=["month", "day"], default="month")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    result = run(args.rows, args.series, args.days, args.chain, args.older_than, args.writes)
    print(HEADER)
    print(table_row(result))
    print(json.dumps(result, indent=2, default=str))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
