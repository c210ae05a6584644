"""Pipeline benchmark: ingest and the daily workflow on generated data, points per second and peak memory.

Each size (points over series) gets a fresh SPARKHU_HOME; the data is a long CSV with timestamp jitter,
gaps and duplicates. Measured in one process tree with psutil sampling (RSS summed over the tree):
  ingest      `sparkhu ingest FILE --series-column series`
  workflow    `sparkhu run --workflow univariate` (the cleaning chain into the feature store: plan, validate, ...,
              window; a plain `sparkhu run` also tunes, trains and forecasts)
  workflow    the same with --no-warm (a fresh interpreter per task process) at the smallest size

Usage: python benchmarks/pipeline/run.py [--sizes 1000000 10000000] [--series 1000] [--out FILE.md]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.cli import UNIVARIATE_RUN, sparkhu_cli
from benchmarks.memory import PeakSampler

PERIODS_S = np.array([30, 60, 300])


def generate(path: Path, points: int, n_series: int, seed: int = 0) -> None:
    """Write ``points`` rows over ``n_series`` series (jitter, 2 % gaps, 0.5 % duplicates) as a long CSV."""
    rng = np.random.default_rng(seed)
    per_series = points // n_series
    chunks = []
    for index in range(n_series):
        period = PERIODS_S[index % len(PERIODS_S)]
        offsets = np.arange(int(per_series * 1.02)) * period + rng.uniform(-1, 1, int(per_series * 1.02))
        keep = np.sort(rng.choice(len(offsets), per_series, replace=False))
        chunks.append(pd.DataFrame({"series": f"sensor-{index:05d}", "offset": offsets[keep]}))
    frame = pd.concat(chunks, ignore_index=True)
    duplicates = frame.sample(frac=0.005, random_state=seed)
    frame = pd.concat([frame, duplicates], ignore_index=True).iloc[:points]
    stamps = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(frame["offset"].round(3), unit="s")
    out = pd.DataFrame({"series": frame["series"], "timestamp": stamps.dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                        "value": rng.normal(20, 5, len(frame)).round(4)})
    out.to_csv(path, index=False)


@dataclass
class Measured:
    """Wall time and peak resident memory of a command's process tree."""

    seconds: float
    peak_mib: float


def measure(argv: list[str], env: dict[str, str]) -> Measured:
    """Run ``argv`` and sample the RSS of its whole process tree every 50 ms."""
    clock = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with PeakSampler(process.pid, every_s=0.05) as sampler:
        _, stderr = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({process.returncode}):\n{stderr.decode()[-3000:]}")
    return Measured(time.perf_counter() - clock, sampler.peak_mib)


def bench_size(points: int, n_series: int, work: Path, cold: bool) -> list[dict[str, object]]:
    """Generate, ingest and run the pipeline for one size; return the result rows."""
    home = work / f"home-{points}"
    shutil.rmtree(home, ignore_errors=True)
    csv = work / f"data-{points}.csv"
    if not csv.exists():
        generate(csv, points, n_series)
    env = {**os.environ, "SPARKHU_HOME": str(home)}
    sparkhu = sparkhu_cli()
    rows = []
    ingest = measure([sparkhu, "ingest", str(csv), "--series-column", "series"], env)
    rows.append(_row("ingest", points, n_series, ingest))
    chain = [sparkhu, *UNIVARIATE_RUN]
    rows.append(_row("workflow (warm workers)", points, n_series, measure(chain, env)))
    if cold:
        rows.append(_row("workflow (fresh processes)", points, n_series, measure([*chain, "--no-warm"], env)))
    return rows


def _row(step: str, points: int, n_series: int, measured: Measured) -> dict[str, object]:
    return {"step": step, "points": f"{points:,}", "series": n_series, "seconds": round(measured.seconds, 1),
            "points/s": f"{points / measured.seconds:,.0f}", "peak MiB": round(measured.peak_mib)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--work", type=Path, default=None, help="Folder for data and homes (temporary by default)")
    parser.add_argument("--out", type=Path, default=None, help="Also write the table (Markdown) here")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="sparkhu-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    for index, size in enumerate(args.sizes):
        rows += bench_size(size, args.series, work, cold=index == 0)
        print(pd.DataFrame(rows).to_string(index=False), flush=True)
    table = _markdown(rows)
    print(table)
    if args.out:
        args.out.write_text(table + "\n")


def _markdown(rows: list[dict[str, object]]) -> str:
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(row[key]) for key in header) + " |" for row in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
