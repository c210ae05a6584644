"""The physical floor of the chain on this machine: the work no implementation of it can avoid.

Three parts, each timed on the real inputs and outputs of a run:

1. **read**: parse the long CSV (text, ISO timestamps) with pyarrow's multithreaded reader;
2. **numeric**: the chain as a handful of vectorised numpy passes over all series at once (sort, dedup,
   snap to the grid, IQR fences, linear fill, moving-average trend, seasonal profile, robust residual
   flags, min-max, windows): one pass of the arithmetic, without any per-series Python loop;
3. **write**: every Delta table the run wrote, written once (one commit, same partitioning) from its
   final contents: the I/O a chain that keeps these tables must do, with no re-reads or slice replaces.
   The part of it that only ``raw`` and ``windows`` need is reported too (a chain that kept nothing else).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.csv as pacsv
from deltalake import DeltaTable, write_deltalake

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
INPUT_LENGTH, OUTPUT_LENGTH = 60, 20


@dataclass(frozen=True)
class Floor:
    """Seconds of each unavoidable part, and of each table's single write."""

    read_s: float
    numeric_s: float
    table_write_s: dict[str, float]

    @property
    def write_s(self) -> float:
        """All tables written once."""
        return sum(self.table_write_s.values())

    @property
    def total_s(self) -> float:
        """Read + numeric + every table written once."""
        return self.read_s + self.numeric_s + self.write_s

    @property
    def minimal_s(self) -> float:
        """Read + numeric + only ``raw`` and ``windows`` written."""
        kept = ("raw", "windows")
        return self.read_s + self.numeric_s + sum(self.table_write_s.get(name, 0.0) for name in kept)


def timed(work: Callable[[], object]) -> tuple[float, object]:
    """Seconds ``work`` took, and its result."""
    clock = time.perf_counter()
    result = work()
    return time.perf_counter() - clock, result


def read_csv(path: Path) -> pa.Table:
    """The long CSV with typed columns (the timestamp parsed as UTC microseconds)."""
    types = {"series": pa.string(), "timestamp": pa.timestamp("us", tz="UTC"), "value": pa.float64()}
    return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=types))


def group_starts(keys: Ints) -> Ints:
    """Start offset of each run of equal keys in a sorted key array."""
    return np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])


def per_group(values: Floats, starts: Ints, reduce: np.ufunc) -> Floats:
    """``reduce`` over each group, broadcast back to the group's rows."""
    reduced = reduce.reduceat(values, starts)
    return np.repeat(reduced, np.diff(np.r_[starts, len(values)]))


def series_steps(series: Ints, seconds: Floats) -> Floats:
    """Each series' median step between consecutive points, rounded to whole seconds (rows sorted)."""
    same = series[1:] == series[:-1]
    owner, gaps = series[1:][same], np.diff(seconds)[same]
    order = np.lexsort((gaps, owner))
    starts = group_starts(owner[order])
    sizes = np.diff(np.r_[starts, len(order)])
    steps = np.ones(int(series.max()) + 1 if len(series) else 0)
    steps[owner[order][starts]] = np.maximum(np.rint(gaps[order][starts + sizes // 2]), 1.0)
    return steps


def on_grid(series: Ints, seconds: Floats) -> tuple[Ints, Ints, Ints, Floats]:
    """Sort, drop duplicates and snap each point to its series' grid slot; series, slot, rows, step per series."""
    order = np.lexsort((seconds, series)).astype(np.int64)
    series, seconds = series[order], seconds[order]
    steps = series_steps(series, seconds)
    first = per_group(seconds, group_starts(series), np.minimum)
    slot = np.rint((seconds - first) / steps[series]).astype(np.int64)
    keep = np.r_[True, (slot[1:] != slot[:-1]) | (series[1:] != series[:-1])]
    return series[keep], slot[keep], order[keep], steps


def fences(series: Ints, values: Floats, k: float = 3.0) -> npt.NDArray[np.bool_]:
    """IQR outliers per series, from one sort of ``(series, value)``."""
    order = np.lexsort((values, series))
    starts = group_starts(series[order])
    sizes = np.diff(np.r_[starts, len(values)])
    q1 = values[order][starts + sizes // 4]
    q3 = values[order][starts + (3 * sizes) // 4]
    low, high = np.repeat(q1 - k * (q3 - q1), sizes), np.repeat(q3 + k * (q3 - q1), sizes)
    flagged = np.empty(len(values), dtype=bool)
    flagged[order] = (values[order] < low) | (values[order] > high)
    return flagged


def fill(series: Ints, slot: Ints, values: Floats) -> tuple[Ints, Floats]:
    """Every grid slot of every series, gaps and outliers filled linearly (series laid end to end)."""
    starts = group_starts(series)
    length = np.maximum.reduceat(slot, starts) + 1
    offset = np.r_[0, np.cumsum(length)[:-1]]
    position = np.repeat(offset, np.diff(np.r_[starts, len(series)])) + slot
    known = ~np.isnan(values)
    filled = np.interp(np.arange(length.sum()), position[known], values[known])
    return np.repeat(series[starts], length), filled


def residual_flags(grid_series: Ints, filled: Floats, samples_per_day: Ints) -> npt.NDArray[np.bool_]:
    """Trend (centred daily moving average), seasonal profile (phase means), residual beyond 3 robust SDs."""
    starts = group_starts(grid_series)
    sizes = np.diff(np.r_[starts, len(filled)])
    first, end = np.repeat(starts, sizes), np.repeat(starts + sizes, sizes)
    index = np.arange(len(filled))
    lo = np.maximum(index - samples_per_day // 2, first)
    hi = np.minimum(index + samples_per_day // 2 + 1, end)
    csum = np.r_[0.0, np.cumsum(filled)]
    detrended = filled - (csum[hi] - csum[lo]) / (hi - lo)
    phase = grid_series * samples_per_day.max() + (index - first) % samples_per_day
    profile = np.bincount(phase, detrended) / np.maximum(np.bincount(phase), 1)
    residual = detrended - profile[phase]
    scale = 1.4826 * np.median(np.abs(residual - np.median(residual)))
    flagged: npt.NDArray[np.bool_] = np.abs(residual) > 3 * scale
    return flagged


def windows(grid_series: Ints, scaled: Floats) -> tuple[Floats, Floats]:
    """Sliding windows of T inputs and N outputs that do not cross a series boundary (materialised)."""
    view = np.lib.stride_tricks.sliding_window_view(scaled, INPUT_LENGTH + OUTPUT_LENGTH)
    # Windows whose first and last step belong to the same series; each is copied once, as a write needs.
    starts = np.flatnonzero(grid_series[: len(view)] == grid_series[INPUT_LENGTH + OUTPUT_LENGTH - 1:])
    return view[starts, :INPUT_LENGTH], view[starts, INPUT_LENGTH:]


def numeric_chain(table: pa.Table) -> int:
    """One vectorised pass of the chain's arithmetic over every series; returns the number of windows."""
    series = table["series"].combine_chunks().dictionary_encode().indices.to_numpy().astype(np.int64)
    seconds = table["timestamp"].combine_chunks().cast(pa.int64()).to_numpy() / 1e6
    values = table["value"].to_numpy()
    series, slot, order, steps = on_grid(series, seconds)
    kept = values[order].copy()
    kept[fences(series, kept)] = np.nan
    grid_series, filled = fill(series, slot, kept)
    per_day = np.maximum(86_400 // steps[grid_series], 1).astype(np.int64)
    residual_flags(grid_series, filled, per_day)
    starts = group_starts(grid_series)
    low = per_group(filled, starts, np.minimum)
    high = per_group(filled, starts, np.maximum)
    scaled = (filled - low) / np.where(high > low, high - low, 1.0)
    inputs, _ = windows(grid_series, scaled)
    return len(inputs)


def write_tables(lake: Path, scratch: Path) -> dict[str, float]:
    """Seconds to write each Delta table of ``lake`` once, from its current contents, into ``scratch``."""
    seconds: dict[str, float] = {}
    for folder in sorted(path for path in lake.iterdir() if (path / "_delta_log").is_dir()):
        source = DeltaTable(str(folder))
        data = source.to_pyarrow_table()
        partitions = source.metadata().partition_columns or None
        clock = time.perf_counter()
        write_deltalake(str(scratch / folder.name), data, mode="overwrite", partition_by=partitions)
        seconds[folder.name] = time.perf_counter() - clock
    return seconds


def measure_floor(csv: Path, lake: Path, scratch: Path) -> Floor:
    """Time the three unavoidable parts on ``csv`` and the tables a run wrote into ``lake``."""
    read_s = best_of(lambda: read_csv(csv))
    table = read_csv(csv)
    numeric_s = best_of(lambda: numeric_chain(table))
    return Floor(read_s, numeric_s, write_tables(lake, scratch))


def best_of(work: Callable[[], object], repeats: int = 3) -> float:
    """The fastest of ``repeats`` timings: a floor is what the machine can do, not its noise."""
    return min(timed(work)[0] for _ in range(repeats))
