"""Forecast errors: MAE, RMSE, sMAPE and MASE (the M4 definitions), over the points that exist."""

from __future__ import annotations

import numpy as np

from sparkhu.models.panel import FloatArray


def mae(actual: FloatArray, forecast: FloatArray) -> float:
    """Mean absolute error over the finite pairs (NaN when there is none)."""
    error = _errors(actual, forecast)
    return float(np.mean(np.abs(error))) if len(error) else float("nan")


def rmse(actual: FloatArray, forecast: FloatArray) -> float:
    """Root mean squared error over the finite pairs."""
    error = _errors(actual, forecast)
    return float(np.sqrt(np.mean(error**2))) if len(error) else float("nan")


def smape(actual: FloatArray, forecast: FloatArray) -> float:
    """Symmetric MAPE in percent, ``mean 200·|y - ŷ| / (|y| + |ŷ|)`` (a pair of zeros counts 0)."""
    y, f = _pairs(actual, forecast)
    if not len(y):
        return float("nan")
    denominator = np.abs(y) + np.abs(f)
    share = np.divide(np.abs(y - f), denominator, out=np.zeros(len(y)), where=denominator > 0)
    return float(200 * np.mean(share))


def mase(actual: FloatArray, forecast: FloatArray, history: FloatArray, season: int = 1) -> float:
    """MAE scaled by the in-sample MAE of the seasonal naive forecast on ``history`` (NaN if that is 0)."""
    known = history[np.isfinite(history)]
    if len(known) <= season:
        return float("nan")
    scale = float(np.mean(np.abs(known[season:] - known[:-season])))
    return mae(actual, forecast) / scale if scale > 0 else float("nan")


def _pairs(actual: FloatArray, forecast: FloatArray) -> tuple[FloatArray, FloatArray]:
    y, f = np.asarray(actual, dtype=np.float64).ravel(), np.asarray(forecast, dtype=np.float64).ravel()
    keep = np.isfinite(y) & np.isfinite(f)
    return y[keep], f[keep]


def _errors(actual: FloatArray, forecast: FloatArray) -> FloatArray:
    y, f = _pairs(actual, forecast)
    return f - y
