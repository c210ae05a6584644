"""Descriptive statistics per series, computed for all series at once from one sort.

Conventions (chosen to match numpy/scipy defaults, so that results can be checked against them):
quantiles interpolate linearly (``numpy.quantile``'s default); ``std`` uses ``ddof=1``;
``skewness`` and ``kurtosis`` are the biased moment estimators (``scipy.stats.skew`` and
``scipy.stats.kurtosis`` with their defaults ``bias=True``; kurtosis is *excess* kurtosis, Fisher);
``mad`` is the unscaled median absolute deviation from the median; ``mode`` is the most frequent
value with ties broken towards the smallest. NaN values are missing: they are counted in
``n_missing`` and left out of every statistic.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sparkhu.analysis._columns import (
    FloatArray,
    Int64Array,
    float_values,
    segment_starts,
    series_codes,
    series_column,
)
from sparkhu.analysis._grid import values_by_segment
from sparkhu.frame import SERIES, VALUE, require_columns

#: The statistic columns of :func:`describe`, after ``series_id``.
STAT_COLUMNS = (
    "count",
    "n_missing",
    "min",
    "max",
    "mean",
    "median",
    "q1",
    "q3",
    "std",
    "skewness",
    "kurtosis",
    "mode",
    "cv",
    "mad",
)
# Order statistics computed by position in each series' sorted run.
_QUANTILES = {"min": 0.0, "q1": 0.25, "median": 0.5, "q3": 0.75, "max": 1.0}


def describe(frame: pd.DataFrame) -> pd.DataFrame:
    """One row of descriptive statistics per series.

    Args:
        frame: Long frame with series_id and value (other columns are ignored).

    Returns:
        A frame with ``series_id`` and :data:`STAT_COLUMNS`, sorted by series_id; ``count`` and
        ``n_missing`` are int64, the rest float64 (NaN where undefined, e.g. std of one value).

    Raises:
        ValueError: If ``frame`` lacks series_id or value, or a series_id is null.

    """
    require_columns(frame, [SERIES, VALUE])
    codes, ids = series_codes(frame[SERIES].astype("string"))
    if (codes < 0).any():
        raise ValueError("series_id has nulls; validate the points before describing them")
    values = float_values(frame[VALUE])
    present = ~np.isnan(values)
    sorted_codes, sorted_values = _sort_by_series_and_value(codes[present], values[present])
    stats = _order_statistics(sorted_codes, sorted_values, len(ids))
    stats.update(_moments(codes[present], values[present], stats))
    stats["n_missing"] = np.bincount(codes[~present], minlength=len(ids)).astype(np.float64)
    stats["mode"] = _modes(sorted_codes, sorted_values, len(ids))
    stats["mad"] = _median_absolute_deviation(codes[present], values[present], stats["median"], len(ids))
    mean = stats["mean"]
    with np.errstate(divide="ignore", invalid="ignore"):
        stats["cv"] = np.where(mean == 0, np.nan, stats["std"] / np.abs(mean))
    table = pd.DataFrame({name: stats[name] for name in STAT_COLUMNS})
    table.insert(0, SERIES, series_column(ids))
    return table.astype({"count": "int64", "n_missing": "int64"})


def _sort_by_series_and_value(codes: Int64Array, values: FloatArray) -> tuple[Int64Array, FloatArray]:
    """Values sorted by series code, then by value."""
    sizes = np.bincount(codes).astype(np.int64) if len(codes) else np.zeros(0, dtype=np.int64)
    return np.repeat(np.arange(len(sizes), dtype=np.int64), sizes), values_by_segment(codes, values, sizes)


def _group_offsets(sorted_codes: Int64Array, n_series: int) -> tuple[Int64Array, Int64Array]:
    """Start offset and size of each series' run in arrays sorted by series code."""
    sizes = np.bincount(sorted_codes, minlength=n_series).astype(np.int64)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
    return starts, sizes


def _quantile(sorted_values: FloatArray, starts: Int64Array, sizes: Int64Array, q: float) -> FloatArray:
    """Linear-interpolation quantile of every series' sorted run (NaN for empty runs)."""
    result = np.full(len(sizes), np.nan)
    filled = sizes > 0
    position = q * (sizes[filled] - 1)
    below = np.floor(position).astype(np.int64)
    above = np.minimum(below + 1, sizes[filled] - 1)
    low = sorted_values[starts[filled] + below]
    high = sorted_values[starts[filled] + above]
    result[filled] = low + (position - below) * (high - low)
    return result


def _order_statistics(
    sorted_codes: Int64Array, sorted_values: FloatArray, n_series: int
) -> dict[str, FloatArray]:
    """Count, min, max, median and quartiles from values sorted within each series."""
    starts, sizes = _group_offsets(sorted_codes, n_series)
    quantiles = {name: _quantile(sorted_values, starts, sizes, q) for name, q in _QUANTILES.items()}
    return {"count": sizes.astype(np.float64), **quantiles}


def _moments(
    codes: Int64Array, values: FloatArray, order_stats: dict[str, FloatArray]
) -> dict[str, FloatArray]:
    """Mean, std (ddof=1), biased skewness and biased excess kurtosis per series."""
    counts, low, high = order_stats["count"], order_stats["min"], order_stats["max"]
    n_series = len(counts)
    # A constant series' deviations are pure rounding noise: its spread is exactly 0 and its
    # shape (skewness, kurtosis) undefined, as scipy reports it.
    constant = ~(high > low)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(constant, low, np.bincount(codes, weights=values, minlength=n_series) / counts)
        deviation = values - mean[codes]
        m2, m3, m4 = (
            np.bincount(codes, weights=deviation**k, minlength=n_series) / counts for k in (2, 3, 4)
        )
        std = np.where(constant, 0.0, np.sqrt(m2 * counts / (counts - 1)))
        skewness = np.where(constant, np.nan, m3 / m2**1.5)
        kurtosis = np.where(constant, np.nan, m4 / m2**2 - 3.0)
    return {
        "mean": np.where(counts > 0, mean, np.nan),
        "std": np.where(counts > 1, std, np.nan),
        "skewness": skewness,
        "kurtosis": kurtosis,
    }


def _modes(sorted_codes: Int64Array, sorted_values: FloatArray, n_series: int) -> FloatArray:
    """Most frequent value per series; ties go to the smallest value."""
    modes = np.full(n_series, np.nan)
    if not sorted_codes.size:
        return modes
    run_start = segment_starts([sorted_codes, sorted_values])
    start_at = np.flatnonzero(run_start)
    run_length = np.diff(np.append(start_at, len(sorted_codes)))
    run_code, run_value = sorted_codes[start_at], sorted_values[start_at]
    # Longest runs first, then smallest value: the first run of each series is its mode.
    order = np.lexsort((run_value, -run_length, run_code))
    best = order[segment_starts([run_code[order]])]
    modes[run_code[best]] = run_value[best]
    return modes


def _median_absolute_deviation(
    codes: Int64Array, values: FloatArray, medians: FloatArray, n_series: int
) -> FloatArray:
    """Median of |value - series median| per series (unscaled)."""
    sorted_codes, deviations = _sort_by_series_and_value(codes, np.abs(values - medians[codes]))
    starts, sizes = _group_offsets(sorted_codes, n_series)
    return _quantile(deviations, starts, sizes, 0.5)
