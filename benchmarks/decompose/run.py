"""Decomposition speed on dense data: statsmodels STL against Sparkhu's O(n) decomposition.

Usage: python benchmarks/decompose/run.py [--weeks 3] [--series 100] [--points 1000000] [--full]

Part 1: one series of 1-minute data over ``--weeks`` weeks (daily season = 1,440 samples): statsmodels
STL (period 1440), with ``--full`` also robust STL and MSTL (1440 and 10080), and ``decompose_values``;
each timed and compared on a planted signal (mean absolute error of the seasonal part against the true
daily + weekly seasonal part; STL with one period cannot see the weekly part).
Part 2: ``decompose`` + ``detect_anomalies`` over ``--points`` points in ``--series`` series of
5-minute data (the issue's speed target: a few seconds at most).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sparkhu.analysis.anomalies import detect_anomalies
from sparkhu.analysis.decompose import decompose, decompose_values

DAY_MIN = 1440


def planted(n: int, period: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A daily sine + weekday step + slow trend + noise, and its true seasonal part (daily + weekly)."""
    i = np.arange(n)
    rng = np.random.default_rng(seed)
    seasonal = 5 * np.sin(2 * np.pi * i / period) + np.where((i // period) % 7 >= 5, -2.0, 2 * 2 / 5)
    seasonal = seasonal - seasonal.mean()
    return 100 + 0.0005 * i + seasonal + rng.normal(0, 1, n), seasonal


def timed(function: Callable[[], np.ndarray]) -> tuple[float, np.ndarray]:
    clock = time.perf_counter()
    seasonal = function()
    return time.perf_counter() - clock, seasonal


def dense_table(weeks: int, full: bool) -> list[str]:
    from statsmodels.tsa.seasonal import MSTL, STL

    n = weeks * 7 * DAY_MIN
    values, truth = planted(n, DAY_MIN)
    methods: dict[str, Callable[[], np.ndarray]] = {
        "statsmodels STL(period=1440)": lambda: STL(values, period=DAY_MIN).fit().seasonal,
        "sparkhu decompose_values (1440, 10080)": lambda: decompose_values(values, 60.0).seasonal,
    }
    if full:
        methods["statsmodels STL(period=1440, robust)"] = lambda: STL(values, DAY_MIN, robust=True).fit().seasonal
        weekly = (DAY_MIN, 7 * DAY_MIN)
        methods["statsmodels MSTL(1440, 10080)"] = lambda: MSTL(values, periods=weekly).fit().seasonal.sum(1)
    lines = [f"One series, 1-minute data, {weeks} weeks ({n:,} points)", "",
             "| method | seconds | seasonal MAE vs truth |", "|---|---|---|"]
    for name, method in methods.items():
        seconds, seasonal = timed(method)
        lines.append(f"| {name} | {seconds:.3f} | {np.mean(np.abs(np.asarray(seasonal) - truth)):.3f} |")
    return lines


def many_series(points: int, series: int) -> list[str]:
    per = points // series
    ts = pd.date_range("2024-01-01", periods=per, freq="5min", tz="UTC").astype("datetime64[us, UTC]")
    frames = []
    for index in range(series):
        values, _ = planted(per, 288, seed=index)
        values[np.random.default_rng(index).integers(0, per, 3)] += 25
        frames.append(pd.DataFrame({"series_id": f"s{index:03d}", "ts": ts, "value": values}))
    frame = pd.concat(frames, ignore_index=True)
    frame["series_id"] = frame["series_id"].astype("string")
    periods = {f"s{index:03d}": 300.0 for index in range(series)}
    clock = time.perf_counter()
    decomposed = decompose(frame, periods)
    middle = time.perf_counter()
    detected = detect_anomalies(decomposed)
    end = time.perf_counter()
    return [f"{len(frame):,} points in {series} series of 5-minute data ({per:,} each)", "",
            "| step | seconds |", "|---|---|",
            f"| decompose | {middle - clock:.2f} |", f"| detect_anomalies | {end - middle:.2f} |",
            f"| total | {end - clock:.2f} |", "", f"alarms raised: {int(detected['is_anomaly'].sum())}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weeks", type=int, default=3)
    parser.add_argument("--series", type=int, default=100)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--full", action="store_true", help="also robust STL and MSTL (about 10 minutes)")
    args = parser.parse_args()
    print("\n".join(dense_table(args.weeks, args.full)))
    print()
    print("\n".join(many_series(args.points, args.series)))


if __name__ == "__main__":
    main()
