"""IQR outlier fences: ``Q1 - k·IQR`` and ``Q3 + k·IQR`` per series, quartiles from a sample window.

Outliers here feed *cleaning*: imputation treats a flagged point as missing and replaces it. A point
wrongly flagged is real signal destroyed, so the fences must be wide enough to leave the normal range
of a skewed series alone. That is why the default is ``k = 3.0`` (Tukey's "far out" fence, also the
default of ADTK's ``InterQuartileRangeAD`` and Kats) and not the 1.5 of the seed.

Measured on the 30 NAB files (fences from each whole file; ``benchmarks/imputation/outlier_k.py``,
labelled windows hold 9.6 % of the points): ``k = 1.5`` doubles the median share of a file's points
flagged (3.3 % -> 6.8 %) and adds 1,042 flags of which only 18 % lie inside a labelled window, while
reaching 2 more of the 50 windows (44 instead of 42). Those extra flags are the ordinary tails of
skewed traffic and network series; cleaning would flatten them. What stays flagged at both k comes
from series whose middle half is (nearly) constant or that shift level (IQR about 0: idle CPU, disk
bursts): no k fixes those, the sample window (a look-back after the shift) does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sparkhu.analysis._columns import FloatArray, Int64Array, epoch_us, per_series_lookup, series_column
from sparkhu.analysis._grid import segment_quantile_table, sorted_grid
from sparkhu.frame import SERIES, TS, VALUE, require_columns

#: Default fence multiplier (see the module docstring for why not 1.5).
DEFAULT_K = 3.0
FENCE_COLUMNS = (SERIES, "q1", "q3", "lower", "upper")


def iqr_fences(sample: pd.DataFrame, k: float = DEFAULT_K) -> pd.DataFrame:
    """Outlier fences per series from a sample window.

    Args:
        sample: Long frame (series_id, ts, value[, is_missing]) holding the look-back sample the
            quartiles come from; NaN values and rows flagged ``is_missing`` are ignored.
        k: Fence multiplier: fences are ``q1 - k·(q3 - q1)`` and ``q3 + k·(q3 - q1)``.

    Returns:
        series_id, q1, q3, lower, upper (float64; NaN for a series without known values), one row
        per series, sorted by series_id. Quartiles interpolate linearly (``numpy.quantile``).

    Raises:
        ValueError: If ``k`` is negative or not finite, or the frame lacks the long columns.

    """
    if not np.isfinite(k) or k < 0:
        raise ValueError(f"fence multiplier k must be a finite number >= 0, got {k}")
    grid = sorted_grid(sample)
    values = np.where(grid.flag(sample, "is_missing"), np.nan, grid.values)
    q1, q3 = segment_quantile_table(grid.codes, values, len(grid.ids), (0.25, 0.75))
    lower, upper = tukey_fences(q1, q3, k)
    return pd.DataFrame({SERIES: series_column(grid.ids), "q1": q1, "q3": q3, "lower": lower, "upper": upper})


def tukey_fences(q1: FloatArray, q3: FloatArray, k: float) -> tuple[FloatArray, FloatArray]:
    """``(q1 - k·IQR, q3 + k·IQR)`` with ``IQR = q3 - q1``: the one definition of the fences."""
    spread = q3 - q1
    return q1 - k * spread, q3 + k * spread


def series_fences(values: FloatArray, k: float = DEFAULT_K) -> tuple[float, float]:
    """Fences of one series' finite values (open fences, ``(-inf, inf)``, when it has none)."""
    finite = values[np.isfinite(values)]
    if not len(finite):
        return -np.inf, np.inf
    q1, q3 = np.quantile(finite, [0.25, 0.75])
    lower, upper = tukey_fences(q1, q3, k)
    return float(lower), float(upper)


def flag_outliers(frame: pd.DataFrame, fences: pd.DataFrame) -> pd.DataFrame:
    """Flag the points outside their series' fences.

    Args:
        frame: Long frame (series_id, ts, value[, is_missing]); any other columns are kept.
        fences: As returned by :func:`iqr_fences`; a series without a row gets no flags.

    Returns:
        ``frame`` (same row order) plus ``is_outlier`` (bool; a missing or NaN value is never an
        outlier; a value exactly on a fence is not one), ``lower_fence`` and ``upper_fence``.

    Raises:
        ValueError: If a frame lacks its columns or ``fences`` has a series twice.

    """
    require_columns(frame, [SERIES, VALUE])
    require_columns(fences, [SERIES, "lower", "upper"])
    matched = per_series_lookup(frame, fences, "fences")
    lower = matched["lower"].to_numpy(dtype=np.float64, na_value=np.nan)
    upper = matched["upper"].to_numpy(dtype=np.float64, na_value=np.nan)
    return _flag_between(frame, lower, upper)


BLOCKS_PER_SAMPLE = 4
"""A long interval is judged in blocks a quarter of the sample window long (see :func:`trailing_outliers`)."""
MIN_SAMPLE_POINTS = 8
"""Fewest known sample values that give a block fences (fewer: no point of the block is flagged)."""


def trailing_outliers(sample: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, window: pd.Timedelta,
                      k: float = DEFAULT_K) -> pd.DataFrame:
    """Flag the points since ``start``, each against the fences of the ``window`` that ends with its block.

    A daily run judges its day with the quartiles of the ``window`` before its end. A run over a long
    interval (a first run over years of history) must judge every point the same way, not with quartiles
    of the whole history: a trending series would otherwise have its recent, real values flagged (and
    replaced by imputation). The interval is cut, from its end backwards, into blocks of
    ``window / BLOCKS_PER_SAMPLE``; a block's fences come from the sample rows in the ``window`` before the
    block's end. An interval no longer than a block is one block: exactly the daily run's fences.

    Args:
        sample: Long frame (series_id, ts, value[, is_missing]) from ``end - window`` (or ``start``, when
            earlier) to ``end``.
        start: First instant whose points are flagged (earlier rows only feed quartiles).
        end: End of the interval (exclusive).
        window: Length of the sample window.
        k: Fence multiplier.

    Returns:
        The rows at or after ``start``, in grid order, as :func:`flag_outliers` returns them.

    """
    if not np.isfinite(k) or k < 0:
        raise ValueError(f"fence multiplier k must be a finite number >= 0, got {k}")
    grid = sorted_grid(sample)
    values = np.where(grid.flag(sample, "is_missing"), np.nan, grid.values)
    step_us = max(int(window / pd.Timedelta(microseconds=1)) // BLOCKS_PER_SAMPLE, 1)
    # Block of each row counted back from the end (0 = last); a row exactly ``window`` before the end is in.
    before_end = (epoch_us(pd.Series([end])).item() - grid.micros - 1) // step_us
    blocks = int(max(before_end[grid.micros >= epoch_us(pd.Series([start])).item()].max(initial=0), 0)) + 1
    codes, sampled = _block_samples(grid.codes, before_end, values, blocks)
    q1, q3 = segment_quantile_table(codes, sampled, len(grid.ids) * blocks, (0.25, 0.75))
    lower, upper = tukey_fences(q1, q3, k)
    # Quartiles of a handful of points say little (a monthly series has two in 60 days): no fences there.
    known = np.bincount(codes[~np.isnan(sampled)], minlength=len(grid.ids) * blocks)
    lower[known < MIN_SAMPLE_POINTS], upper[known < MIN_SAMPLE_POINTS] = np.nan, np.nan
    rows = grid.rows(sample)
    own = grid.codes * blocks + np.clip(before_end, 0, blocks - 1)
    fences = pd.DataFrame({"lower": lower[own], "upper": upper[own]})
    flagged = _flag_between(rows, fences["lower"].to_numpy(), fences["upper"].to_numpy())
    return flagged[rows[TS] >= start].reset_index(drop=True)


def _block_samples(series: Int64Array, before_end: Int64Array, values: FloatArray, blocks: int
                   ) -> tuple[Int64Array, FloatArray]:
    """Every row once for each block whose sample window holds it: (series, block) codes and values."""
    codes, kept = [], []
    for lag in range(BLOCKS_PER_SAMPLE):
        block = before_end - lag
        inside = (block >= 0) & (block < blocks)
        codes.append(series[inside] * blocks + block[inside])
        kept.append(values[inside])
    return np.concatenate(codes), np.concatenate(kept)


def _flag_between(frame: pd.DataFrame, lower: FloatArray, upper: FloatArray) -> pd.DataFrame:
    """``frame`` plus ``is_outlier``, ``lower_fence`` and ``upper_fence`` from per-row fences."""
    values = pd.to_numeric(frame[VALUE], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    missing = frame["is_missing"].fillna(False).to_numpy(dtype=bool) if "is_missing" in frame else False
    # Comparisons with a NaN fence or value are False: no fences, no flags.
    outside = (values < lower) | (values > upper)
    out = frame.copy()
    out["is_outlier"] = pd.Series(outside & ~missing, index=frame.index, dtype="bool")
    out["lower_fence"] = pd.Series(lower, index=frame.index, dtype="float64")
    out["upper_fence"] = pd.Series(upper, index=frame.index, dtype="float64")
    return out
