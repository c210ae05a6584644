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

from sparkhu.analysis._columns import FloatArray, per_series_lookup, series_column
from sparkhu.analysis._grid import segment_quantile_table, sorted_grid
from sparkhu.frame import SERIES, VALUE, require_columns

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
    values = pd.to_numeric(frame[VALUE], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    missing = frame["is_missing"].fillna(False).to_numpy(dtype=bool) if "is_missing" in frame else False
    # Comparisons with a NaN fence or value are False: no fences, no flags.
    outside = (values < lower) | (values > upper)
    out = frame.copy()
    out["is_outlier"] = pd.Series(outside & ~missing, index=frame.index, dtype="bool")
    out["lower_fence"] = pd.Series(lower, index=frame.index, dtype="float64")
    out["upper_fence"] = pd.Series(upper, index=frame.index, dtype="float64")
    return out
