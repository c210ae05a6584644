"""Generate the demo's raw files: several sensors with different periods and every kind of defect.

The files land in three layouts the loader supports: a long CSV, a day-partitioned JSON-lines folder,
and a wide CSV, plus a feature registry YAML with declared periods, ranges and timezones.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

DAY_S = 86_400


@dataclass(frozen=True)
class DemoFiles:
    """Paths of a generated demo data set."""

    features: Path
    long_csv: Path
    jsonl_root: Path
    wide_csv: Path


def _grid(start: pd.Timestamp, days: int, period_s: float, jitter_s: float, rng: np.random.Generator
          ) -> pd.DatetimeIndex:
    """A regular grid over ``days`` with uniform timestamp jitter of up to ``jitter_s`` seconds."""
    offsets = np.arange(0, days * DAY_S, period_s)
    offsets = offsets + rng.uniform(-jitter_s, jitter_s, len(offsets))
    offsets = np.clip(offsets, 0, days * DAY_S - 1)
    return start + pd.to_timedelta(np.round(offsets, 3), unit="s")


def _daily(index: pd.DatetimeIndex, base: float, amplitude: float, noise: float, rng: np.random.Generator
           ) -> np.ndarray:
    """A daily sine wave around ``base`` with Gaussian noise."""
    phase = (index.hour * 3600 + index.minute * 60 + index.second).to_numpy() / DAY_S
    return base + amplitude * np.sin(2 * np.pi * phase) + rng.normal(0, noise, len(index))


def _drop_window(frame: pd.DataFrame, start: pd.Timestamp, hours: float) -> pd.DataFrame:
    """Remove the points of an outage of ``hours`` from ``start`` (an unmarked gap)."""
    inside = (frame["timestamp"] >= start) & (frame["timestamp"] < start + pd.Timedelta(hours=hours))
    return frame.loc[~inside]


def temperature(start: pd.Timestamp, days: int, rng: np.random.Generator) -> pd.DataFrame:
    """1-minute temperature with 2 s jitter, spikes and a 3-hour outage."""
    index = _grid(start, days, 60, 2.0, rng)
    values = _daily(index, 21.0, 3.0, 0.2, rng)
    spikes = rng.choice(len(values), size=6, replace=False)
    values[spikes] += rng.choice([-15.0, 15.0], size=6)
    frame = pd.DataFrame({"sensor": "plant.temperature", "timestamp": index, "value": values})
    return _drop_window(frame, start + pd.Timedelta(days=days // 2, hours=3), 3)


def pressure(start: pd.Timestamp, days: int, rng: np.random.Generator) -> pd.DataFrame:
    """5-minute pressure with a level shift, exact duplicates and conflicting duplicates."""
    index = _grid(start, days, 300, 0.0, rng)
    values = 101.3 + rng.normal(0, 0.05, len(index))
    values[len(values) * 2 // 3:] += 1.5  # a level shift two thirds of the way through
    frame = pd.DataFrame({"sensor": "plant.pressure", "timestamp": index, "value": values})
    exact = frame.sample(40, random_state=1)
    conflicting = frame.sample(25, random_state=2).assign(value=lambda f: f["value"] + 0.4)
    return pd.concat([frame, exact, conflicting]).sort_values("timestamp", kind="stable")


def flow(start: pd.Timestamp, days: int, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """30-second flow with a random-walk trend, and a 6-hourly lab sample correlated with it."""
    index = _grid(start, days, 30, 0.5, rng)
    trend = np.cumsum(rng.normal(0, 0.05, len(index)))
    dense = pd.DataFrame({"sensor": "plant.flow", "timestamp": index,
                          "value": 50 + trend + _daily(index, 0.0, 4.0, 0.3, rng)})
    sparse_index = pd.date_range(start, periods=days * 4, freq="6h")
    nearest = np.clip(np.searchsorted(index, sparse_index), 0, len(index) - 1)
    lab = 0.8 * dense["value"].to_numpy()[nearest] + 5 + rng.normal(0, 0.5, len(sparse_index))
    return dense, pd.DataFrame({"sensor": "lab.flow_sample", "timestamp": sparse_index, "value": lab})


RIVER_LEAD_H = 10
"""Hours the upstream gauge leads the downstream one (the water's travel time)."""


def river(start: pd.Timestamp, days: int, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A 5-minute upstream gauge, and a half-hourly downstream gauge that follows it ``RIVER_LEAD_H`` later.

    The upstream level wanders (a slow random walk plus a daily melt cycle); downstream is a damped copy
    of it ten hours earlier plus noise: the rarely sampled series with a densely sampled leading partner.
    """
    lead = RIVER_LEAD_H * 12
    steps = days * 288 + lead
    wander = np.cumsum(rng.normal(0, 0.04, steps))
    phase = np.arange(steps) / 288
    level = 2.0 + wander + 0.3 * np.sin(2 * np.pi * phase) + rng.normal(0, 0.02, steps)
    index = pd.date_range(start, periods=days * 288, freq="5min")
    upstream = pd.DataFrame({"sensor": "river.upstream", "timestamp": index, "value": level[lead:].round(4)})
    sparse_index = index[::6]
    downstream = 0.8 * level[:-lead][::6] + 0.5 + rng.normal(0, 0.03, len(sparse_index))
    return upstream, pd.DataFrame({"sensor": "river.downstream", "timestamp": sparse_index,
                                   "value": downstream.round(4)})


def humidity(start: pd.Timestamp, days: int, rng: np.random.Generator) -> pd.DataFrame:
    """10-minute humidity in local time (Asia/Seoul, naive stamps), marked missing and impossible values."""
    index = _grid(start, days, 600, 0.0, rng)
    values = _daily(index, 55.0, 10.0, 1.0, rng)
    values[rng.choice(len(values), size=30, replace=False)] = np.nan
    values[rng.choice(len(values), size=3, replace=False)] = 140.0  # a faulty probe: above the 0-100 % range
    local = index.tz_convert("Asia/Seoul").tz_localize(None)
    return pd.DataFrame({"sensor": "plant.humidity", "timestamp": local, "value": values})


def wide_power(start: pd.Timestamp, days: int, rng: np.random.Generator) -> pd.DataFrame:
    """Hourly power of three lines in one wide table (like the ETT files), with one bad cell."""
    index = pd.date_range(start, periods=days * 24, freq="h")
    frame = pd.DataFrame({"date": index.strftime("%Y-%m-%d %H:%M:%S")})
    for line in ("line_a", "line_b", "line_c"):
        frame[f"power.{line}"] = _daily(index, 40.0, 8.0, 1.5, rng).round(3)
    frame = frame.astype({"power.line_b": "object"})
    frame.loc[5, "power.line_b"] = "n/a (meter reset)"
    return frame


def feature_registry() -> list[dict[str, object]]:
    """Declared metadata of the demo series (periods, ranges, units, timezones)."""
    return [
        {"id": "plant.temperature", "name": "Hall temperature", "unit": "degC", "type": "temperature",
         "group": "hall-1", "range_min": -40, "range_max": 80, "alert_levels": [30, 35, 40],
         "sampling_period": "1min", "tags": ["demo", "hvac"]},
        {"id": "plant.pressure", "name": "Line pressure", "unit": "kPa", "type": "pressure",
         "group": "hall-1", "range_min": 90, "range_max": 110, "tags": ["demo"]},
        {"id": "plant.flow", "name": "Inlet flow", "unit": "m3/h", "type": "flow", "group": "inlet",
         "sampling_period": "30s", "tags": ["demo"]},
        {"id": "lab.flow_sample", "name": "Lab flow sample", "unit": "m3/h", "type": "flow",
         "group": "inlet", "sampling_period": "6h", "tags": ["demo", "sparse"]},
        {"id": "river.upstream", "name": "Upstream gauge", "unit": "m", "type": "level", "group": "river",
         "sampling_period": "5min", "tags": ["demo"]},
        {"id": "river.downstream", "name": "Downstream gauge", "unit": "m", "type": "level", "group": "river",
         "sampling_period": "30min", "tags": ["demo", "sparse"]},
        {"id": "plant.humidity", "name": "Hall humidity", "unit": "%", "type": "humidity",
         "group": "hall-1", "range_min": 0, "range_max": 100, "timezone": "Asia/Seoul", "tags": ["demo"]},
    ]


def write_demo(folder: Path, days: int = 14, seed: int = 7) -> DemoFiles:
    """Write the demo data set under ``folder`` and return the paths."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp.now(tz="UTC").normalize() - pd.Timedelta(days=days)
    folder.mkdir(parents=True, exist_ok=True)
    files = DemoFiles(folder / "features.yaml", folder / "sensors.csv", folder / "humidity",
                      folder / "power_wide.csv")
    files.features.write_text(yaml.safe_dump({"features": feature_registry()}, sort_keys=False))
    dense, lab = flow(start, days, rng)
    upstream, downstream = river(start, days, np.random.default_rng([seed, 1]))  # its own stream: the rest unchanged
    long = pd.concat([temperature(start, days, rng), pressure(start, days, rng), dense, lab, upstream, downstream])
    long = long.assign(timestamp=long["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    long.to_csv(files.long_csv, index=False)
    _append_bad_rows(files.long_csv)
    _write_day_folders(humidity(start, days, rng), files.jsonl_root)
    wide_power(start, days, rng).to_csv(files.wide_csv, index=False)
    return files


def _append_bad_rows(path: Path) -> None:
    """Rows that validation and ingestion must quarantine with a reason."""
    with path.open("a") as handle:
        handle.write("plant.temperature,not-a-time,21.5\n")
        handle.write("plant.temperature,2024-02-30T10:00:00Z,21.5\n")
        handle.write("plant.pressure,2024-01-01T00:00:00Z,twelve\n")


def _write_day_folders(frame: pd.DataFrame, root: Path) -> None:
    """JSON lines in ``year=YYYY/month=MM/day=DD`` folders, one day missing (the loader warns)."""
    days = frame["timestamp"].dt.normalize()
    skipped = sorted(days.unique())[len(days.unique()) // 3]
    for day, part in frame.groupby(days):
        if day == skipped:
            continue
        folder = root / f"year={day:%Y}" / f"month={day:%m}" / f"day={day:%d}"
        folder.mkdir(parents=True, exist_ok=True)
        part.assign(timestamp=part["timestamp"].dt.strftime("%Y-%m-%d %H:%M:%S")).to_json(
            folder / "part-0.jsonl", orient="records", lines=True)
