"""How long does ``correlate`` take on many series of one group, and does it find the planted leaders?

Generates ``--series`` random-walk series of one group, sampled every 10 min to 1 h over ``--days`` days;
``--leaders`` of them lead a follower by a known lag (follower = leader shifted + noise, sampled hourly).
Runs the pure correlation (screen → at most ``--bound`` candidates per series → every pair measured once)
and reports the time, the pairs measured, and how many planted pairs were chosen with the right lag and sign.

Usage: python benchmarks/correlate/run.py [--series 1000] [--bound 20] [--days 60] [--leaders 20]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from sparkhu.analysis.correlation import correlate_series

START = pd.Timestamp("2026-01-01", tz="UTC")


def generate(series: int, days: int, leaders: int, seed: int = 0) -> tuple[pd.DataFrame, dict[str, float], dict]:
    """Points, periods, and the planted (leader, follower) → (lag seconds, sign)."""
    rng = np.random.default_rng(seed)
    frames, periods, planted = [], {}, {}
    minutes = days * 24 * 60
    for index in range(series - leaders):
        name = f"s{index:05d}"
        step = int(rng.choice([10, 15, 30, 60]))
        values = np.cumsum(rng.normal(size=minutes // step))
        frames.append(pd.DataFrame({"series_id": name, "ts": START + pd.to_timedelta(np.arange(len(values)) * step,
                                                                                      unit="min"), "value": values}))
        periods[name] = step * 60.0
    for index in range(leaders):
        leader, follower = f"s{index:05d}", f"f{index:05d}"
        lag_h, sign = int(rng.integers(1, 6)), float(rng.choice([-1.0, 1.0]))
        source = frames[index]
        hourly = source.set_index("ts")["value"].resample("1h").first().dropna()
        shifted = sign * hourly.shift(lag_h).bfill() + rng.normal(scale=0.3, size=len(hourly))
        frames.append(pd.DataFrame({"series_id": follower, "ts": hourly.index, "value": shifted.to_numpy()}))
        periods[follower] = 3600.0
        planted[(leader, follower)] = (lag_h * 3600.0 * 1, sign)
    return pd.concat(frames, ignore_index=True), periods, planted


def main() -> None:
    """Generate, run, and print the results row."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--bound", type=int, default=20)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--leaders", type=int, default=20)
    args = parser.parse_args()
    points, periods, planted = generate(args.series, args.days, args.leaders)
    groups = dict.fromkeys(periods, "plant")
    clock, cpu = time.perf_counter(), time.process_time()
    results = correlate_series(points, periods, groups, bound=args.bound)
    seconds, cpu_seconds = time.perf_counter() - clock, time.process_time() - cpu
    found = {(r.series_a, r.series_b): r for r in results}
    chosen = sum(1 for pair in planted if tuple(sorted(pair)) in found)
    right = 0
    for (leader, follower), (lag_s, sign) in planted.items():
        result = found.get(tuple(sorted((leader, follower))))
        if result is None:
            continue
        lead = result.best_lag_s if result.series_a == leader else -result.best_lag_s
        right += int(lead == lag_s and np.sign(result.best_lag_corr) == sign)
    print("| series | points | bound | pairs measured | seconds | CPU seconds | planted pairs chosen | "
          "lag and sign right |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| {args.series:,} | {len(points):,} | {args.bound} | {len(results):,} | {seconds:.1f} | "
          f"{cpu_seconds:.1f} | {chosen}/{len(planted)} | {right}/{len(planted)} |")


if __name__ == "__main__":
    main()
