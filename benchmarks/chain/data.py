"""Generated long CSVs for the chain benchmark, with the history span as a parameter.

``points`` rows over ``n_series`` series, each series the same number of points. The history span fixes
the slowest series' period: ``period_max = span / points_per_series``; the periods spread geometrically
from ``period_max / 60`` to ``period_max`` (rounded to whole seconds, at least 1 s), so a span of 15
months at 10,000 points per series gives periods from 1 minute to 1 hour: one-minute sensors with a week
of history next to hourly ones with more than a year, as in a real plant. Each point has sub-period
timestamp jitter (up to a tenth of the period, at most 1 s), 2 % of the grid slots are gaps and 0.5 % of
the rows are exact duplicates; values are a daily cycle plus noise and rare spikes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

EPOCH = pd.Timestamp("2024-01-01", tz="UTC")


def periods_for_span(span_days: float, points_per_series: int, n_series: int) -> np.ndarray:
    """The sampling period of each series, in whole seconds, slowest series spanning ``span_days``."""
    slowest = span_days * 86_400 / points_per_series
    return np.maximum(np.round(np.geomspace(slowest / 60, slowest, n_series)), 1.0)


def generate(path: Path, points: int, n_series: int, span_days: float, seed: int = 0) -> np.ndarray:
    """Write the CSV (columns ``series, timestamp, value``); return the periods used."""
    rng = np.random.default_rng(seed)
    per_series = points // n_series
    periods = periods_for_span(span_days, per_series, n_series)
    parts = [_series(rng, f"sensor-{index:05d}", period, per_series) for index, period in enumerate(periods)]
    frame = pd.concat(parts, ignore_index=True)
    duplicates = frame.sample(frac=0.005, random_state=seed)
    frame = pd.concat([frame, duplicates], ignore_index=True).iloc[:points]
    stamps = EPOCH + pd.to_timedelta(frame["offset"].round(3), unit="s")
    out = pd.DataFrame({"series": frame["series"], "timestamp": stamps.dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                        "value": frame["value"].round(4)})
    out.to_csv(path, index=False)
    return periods


def _series(rng: np.random.Generator, name: str, period: float, points: int) -> pd.DataFrame:
    """One series: ``points`` of its grid slots (2 % gaps), jittered timestamps, cycle + noise + spikes."""
    slots = int(points * 1.02)
    keep = np.sort(rng.choice(slots, points, replace=False))
    offsets = keep * period + rng.uniform(-1, 1, points) * min(1.0, period / 10)
    day = (offsets % 86_400) / 86_400
    values = 20 + 5 * np.sin(2 * np.pi * day) + rng.normal(0, 1, points)
    spikes = rng.random(points) < 0.0005
    values[spikes] += rng.choice([-1, 1], spikes.sum()) * rng.uniform(15, 30, spikes.sum())
    return pd.DataFrame({"series": name, "offset": offsets, "value": values})
