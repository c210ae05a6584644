"""Per-series scaling ``x' = (x - center) / scale`` fitted on a training window only.

Methods (``METHODS``):

- ``minmax``: center = min, scale = max - min (training values land in [0, 1]).
- ``zscore``: center = mean, scale = population standard deviation (``ddof=0``, as scikit-learn's
  ``StandardScaler``).
- ``robust``: center = median, scale = interquartile range (linear-interpolation quartiles, as
  scikit-learn's ``RobustScaler``).

Only points with ``ts < train_end`` (and ``ts >= train_start`` when given) are fitted: the seed fitted
its scaler on the whole series, so the test part leaked into the model's inputs. A scale that is 0
or undefined (a constant training window) becomes 1, so the series is only shifted; a series
without training points gets NaN parameters and NaN scaled values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sparkhu.analysis._columns import (
    FloatArray,
    Int64Array,
    per_series_lookup,
    series_column,
    to_epoch_us,
    utc_timestamps,
)
from sparkhu.analysis._grid import Grid, segment_quantile_table, sorted_grid
from sparkhu.frame import SERIES, VALUE, require_columns

METHODS = ("minmax", "zscore", "robust")
SCALER_COLUMNS = (SERIES, "method", "center", "scale", "train_start", "train_end", "n_train")


def fit_scalers(
    frame: pd.DataFrame, method: str, train_end: object, train_start: object | None = None
) -> pd.DataFrame:
    """Fit one scaler per series on its training window.

    Args:
        frame: Long frame (series_id, ts, value); NaN values are not fitted.
        method: One of :data:`METHODS`.
        train_end: Exclusive end of the training window (timestamp-like; naive means UTC).
        train_start: Inclusive start of the training window; None fits from each series' start.

    Returns:
        series_id, method, center, scale, train_start (first training timestamp used; NaT if none),
        train_end (the given bound), n_train (int64), one row per series, sorted by series_id.

    Raises:
        ValueError: On an unknown method or a frame without the long columns.

    """
    if method not in METHODS:
        raise ValueError(f"unknown scaling method {method!r}; choose one of {', '.join(METHODS)}")
    grid = sorted_grid(frame)
    low = to_epoch_us(train_start) if train_start is not None else np.iinfo(np.int64).min
    bounds = np.full(len(grid.ids), to_epoch_us(train_end), dtype=np.int64)
    return _fit(grid, np.full(len(grid.ids), low, dtype=np.int64), bounds, method)


def fit_on_leading_share(frame: pd.DataFrame, method: str, fraction: float) -> pd.DataFrame:
    """Fit one scaler per series on the leading ``fraction`` of that series' own history.

    A series that started late is fitted on its own first part, never on points of the others' spans.

    Args:
        frame: Long frame (series_id, ts, value); NaN values are not fitted.
        method: One of :data:`METHODS`.
        fraction: Share of each series' time span (first to last timestamp) used for fitting, in (0, 1].

    Returns:
        As :func:`fit_scalers`, with each series' own ``train_end`` (exclusive: just after the share).

    Raises:
        ValueError: On an unknown method, a fraction outside (0, 1] or a frame without the long columns.
    """
    if method not in METHODS:
        raise ValueError(f"unknown scaling method {method!r}; choose one of {', '.join(METHODS)}")
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    grid = sorted_grid(frame)
    present = grid.sizes > 0
    first = np.where(present, grid.micros[np.minimum(grid.starts, max(len(grid.micros) - 1, 0))], 0)
    last = np.where(present, grid.micros[np.maximum(grid.ends - 1, 0)], 0) if len(grid.micros) else first
    # One microsecond past the share, so that the last training point itself is included.
    high = first + np.floor((last - first) * fraction).astype(np.int64) + 1
    return _fit(grid, first, high, method)


def _fit(grid: Grid, low: Int64Array, high: Int64Array, method: str) -> pd.DataFrame:
    """Scalers from the values with ``low <= ts < high`` of each series (bounds per series code)."""
    training = (grid.micros >= low[grid.codes]) & (grid.micros < high[grid.codes]) & ~np.isnan(grid.values)
    values = np.where(training, grid.values, np.nan)
    center, scale = _parameters(grid, values, method)
    n_train = np.bincount(grid.codes[training], minlength=len(grid.ids)).astype(np.int64)
    scale = np.where((n_train > 0) & ~(scale > 0), 1.0, scale)
    return pd.DataFrame(
        {
            SERIES: series_column(grid.ids),
            "method": pd.Series([method] * len(grid.ids), dtype="string"),
            "center": center,
            "scale": scale,
            "train_start": _first_times(grid, training),
            "train_end": pd.Series(utc_timestamps(high)),
            "n_train": n_train,
        }
    )


def _parameters(grid: Grid, values: FloatArray, method: str) -> tuple[FloatArray, FloatArray]:
    """Center and scale per series from the training values (NaN elsewhere)."""
    n = len(grid.ids)
    if method == "robust":
        q1, median, q3 = segment_quantile_table(grid.codes, values, n, (0.25, 0.5, 0.75))
        return median, q3 - q1
    if method == "minmax":
        low, high = segment_quantile_table(grid.codes, values, n, (0.0, 1.0))
        return low, high - low
    known = ~np.isnan(values)
    count = np.bincount(grid.codes[known], minlength=n).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(grid.codes[known], values[known], n) / count
        deviation = values[known] - mean[grid.codes[known]]
        return mean, np.sqrt(np.bincount(grid.codes[known], deviation**2, n) / count)


def _first_times(grid: Grid, training: np.ndarray) -> pd.Series:
    """Earliest training timestamp per series (NaT where a series has none)."""
    first = np.full(len(grid.ids), np.iinfo(np.int64).max)
    np.minimum.at(first, grid.codes[training], grid.micros[training])
    stamps = pd.Series(utc_timestamps(np.where(first == np.iinfo(np.int64).max, 0, first)))
    return stamps.where(first != np.iinfo(np.int64).max)


def apply_scalers(frame: pd.DataFrame, scalers: pd.DataFrame) -> pd.DataFrame:
    """Scale every series with its fitted parameters: ``(value - center) / scale``.

    Args:
        frame: Long frame (series_id, value, ...); other columns are kept, row order too.
        scalers: As returned by :func:`fit_scalers`, one row per series.

    Returns:
        ``frame`` with ``value`` scaled and ``method`` (string) set; a series without a scaler gets
        NaN values and a null method.

    Raises:
        ValueError: If a frame lacks its columns or ``scalers`` has a series twice.

    """
    center, scale, method = _lookup(frame, scalers)
    out = frame.copy()
    out[VALUE] = (pd.to_numeric(frame[VALUE]).to_numpy(dtype=np.float64) - center) / scale
    out["method"] = pd.Series(method, index=frame.index, dtype="string")
    return out


def invert_scalers(frame: pd.DataFrame, scalers: pd.DataFrame) -> pd.DataFrame:
    """Undo :func:`apply_scalers`: ``value * scale + center`` (e.g. for a model's forecasts).

    Args:
        frame: Long frame of scaled values (series_id, value, ...).
        scalers: The parameters the values were scaled with.

    Returns:
        ``frame`` with ``value`` back in the original units (other columns unchanged).

    Raises:
        ValueError: If a frame lacks its columns or ``scalers`` has a series twice.

    """
    center, scale, _ = _lookup(frame, scalers)
    out = frame.copy()
    out[VALUE] = pd.to_numeric(frame[VALUE]).to_numpy(dtype=np.float64) * scale + center
    return out


def _lookup(frame: pd.DataFrame, scalers: pd.DataFrame) -> tuple[FloatArray, FloatArray, np.ndarray]:
    """Center, scale and method of every row's series."""
    require_columns(frame, [SERIES, VALUE])
    require_columns(scalers, [SERIES, "method", "center", "scale"])
    matched = per_series_lookup(frame, scalers, "scalers (select one method and interval first)")
    center = matched["center"].to_numpy(dtype=np.float64, na_value=np.nan)
    scale = matched["scale"].to_numpy(dtype=np.float64, na_value=np.nan)
    return center, scale, matched["method"].to_numpy(dtype=object)
