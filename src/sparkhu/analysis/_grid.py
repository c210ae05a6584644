"""Many series on their regular grids as one sorted set of numpy arrays (the cleaning steps' common input).

Rows are sorted by series and timestamp; every series is one contiguous run ``[start, start + size)``.
The steps after detect-missing (outliers, imputation, pooling, scaling, windows) all work on this
layout: a per-row operation is one numpy call over every series at once, and a per-series one is a
``bincount`` or a ``reduceat`` over the runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from sparkhu.analysis._columns import (
    FloatArray,
    Int64Array,
    epoch_us,
    float_values,
    series_codes,
)
from sparkhu.frame import LONG_COLUMNS, SERIES, TS, VALUE, require_columns

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Grid:
    """A long frame's rows sorted by series and time, as arrays.

    Attributes:
        ids: The series ids, sorted; ``codes`` index into it.
        codes: Series code of every row.
        micros: Timestamp of every row, microseconds since the epoch.
        values: Value of every row (NaN where missing).
        order: Position in the input frame of every sorted row.
        starts: First row of every series.
        sizes: Row count of every series.

    """

    ids: pd.Index
    codes: Int64Array
    micros: Int64Array
    values: FloatArray
    order: Int64Array
    starts: Int64Array
    sizes: Int64Array

    @property
    def ends(self) -> Int64Array:
        """One past the last row of every series."""
        return self.starts + self.sizes

    def flag(self, frame: pd.DataFrame, column: str) -> BoolArray:
        """A boolean column of ``frame`` in grid order (all False when the frame lacks it)."""
        if column not in frame.columns:
            return np.zeros(len(self.codes), dtype=bool)
        return frame[column].fillna(False).to_numpy(dtype=bool)[self.order]

    def rows(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame``'s rows in grid order with a fresh index."""
        # Frames from the lake come sorted already: skip the copy-by-take then.
        if bool(np.all(self.order == np.arange(len(self.order)))):
            return frame.reset_index(drop=True)
        return frame.iloc[self.order].reset_index(drop=True)


def sorted_grid(frame: pd.DataFrame) -> Grid:
    """Sort a long frame by series and timestamp into a :class:`Grid`.

    Raises:
        ValueError: If the frame lacks the long columns or has null series ids or timestamps.

    """
    require_columns(frame, list(LONG_COLUMNS))
    codes, ids = series_codes(frame[SERIES].astype("string"))
    if (codes < 0).any() or frame[TS].isna().any():
        raise ValueError("series_id or ts has nulls; mark the missing points before cleaning them")
    micros = epoch_us(frame[TS])
    order = np.lexsort((micros, codes)).astype(np.int64)
    sizes = np.bincount(codes, minlength=len(ids)).astype(np.int64)
    starts = (np.cumsum(sizes) - sizes).astype(np.int64)
    values = float_values(frame[VALUE])[order]
    return Grid(ids, codes[order], micros[order], values, order, starts, sizes)


def segment_quantiles(codes: Int64Array, values: FloatArray, n_series: int, q: float) -> FloatArray:
    """Linear-interpolation quantile ``q`` of every series' non-NaN values (NaN for a series without any).

    Matches ``numpy.quantile``'s default method on each series.
    """
    return segment_quantile_table(codes, values, n_series, (q,))[0]


def segment_quantile_table(codes: Int64Array, values: FloatArray, n_series: int,
                           quantiles: tuple[float, ...]) -> list[FloatArray]:
    """Several quantiles of every series from one sort (``numpy.quantile``'s default method each).

    The extremes need no sort: ``0`` and ``1`` alone are the minimum and maximum.
    """
    known = ~np.isnan(values)
    codes, values = codes[known], values[known]
    sizes = np.bincount(codes, minlength=n_series).astype(np.int64)
    if set(quantiles) <= {0.0, 1.0}:
        return [_segment_extreme(codes, values, n_series, q == 1.0) for q in quantiles]
    ordered = values_by_segment(codes, values, sizes)
    starts = np.cumsum(sizes) - sizes
    filled = sizes > 0
    results = []
    for q in quantiles:
        result = np.full(n_series, np.nan)
        position = q * (sizes[filled] - 1)
        below = np.floor(position).astype(np.int64)
        above = np.minimum(below + 1, sizes[filled] - 1)
        low, high = ordered[starts[filled] + below], ordered[starts[filled] + above]
        result[filled] = low + (position - below) * (high - low)
        results.append(result)
    return results


def values_by_segment(codes: Int64Array, values: FloatArray, sizes: Int64Array) -> FloatArray:
    """``values`` sorted by segment code, then by value: ``values[np.lexsort((values, codes))]``, faster.

    ``sizes`` is the row count of every code (``np.bincount(codes)``). Grouping the rows by code first
    (a no-op when they already are) and then sorting each segment in place is 10x faster than
    ``lexsort`` on floats (measured: 3M values in 3,650 segments, 0.13 s against 1.63 s); with many tiny
    segments the per-segment loop would cost more, so ``lexsort`` stays for those.
    """
    if len(values) < 2:
        return values.copy()
    if len(sizes) * _MIN_ROWS_PER_SEGMENT > len(values):
        return values[np.lexsort((values, codes))]
    grouped = values.copy() if bool(np.all(codes[1:] >= codes[:-1])) else values[_stable_order(codes, len(sizes))]
    starts = np.cumsum(sizes) - sizes
    for start, size in zip(starts[sizes > 1].tolist(), sizes[sizes > 1].tolist(), strict=True):
        grouped[start:start + size].sort()
    return grouped


_MIN_ROWS_PER_SEGMENT = 16
"""Below this many rows per segment on average, one ``lexsort`` beats a loop of per-segment sorts."""


def _stable_order(codes: Int64Array, n_codes: int) -> Int64Array:
    """A stable argsort of non-negative codes (a radix sort when they fit 16 bits)."""
    narrow = codes.astype(np.uint16) if n_codes <= np.iinfo(np.uint16).max + 1 else codes
    return np.argsort(narrow, kind="stable").astype(np.int64)


def _segment_extreme(codes: Int64Array, values: FloatArray, n_series: int, largest: bool) -> FloatArray:
    """Per-series maximum (or minimum) of the values; NaN for a series without any."""
    result = np.full(n_series, -np.inf if largest else np.inf)
    (np.maximum if largest else np.minimum).at(result, codes, values)
    return np.where(np.bincount(codes, minlength=n_series) > 0, result, np.nan)


def previous_known(known: BoolArray, starts_of_rows: Int64Array) -> Int64Array:
    """For every row, the index of the last known row at or before it in its series (-1 if none)."""
    index = np.where(known, np.arange(len(known)), -1)
    latest = np.maximum.accumulate(index) if len(index) else index
    return np.where(latest >= starts_of_rows, latest, -1)


def next_known(known: BoolArray, ends_of_rows: Int64Array) -> Int64Array:
    """For every row, the index of the first known row at or after it in its series (-1 if none)."""
    size = len(known)
    index = np.where(known, np.arange(size), size)
    earliest = np.minimum.accumulate(index[::-1])[::-1] if size else index
    return np.where(earliest < ends_of_rows, earliest, -1)
