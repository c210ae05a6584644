"""The M4 organisers' accuracy measures, plus interval coverage and MSIS, in plain numpy.

Per series (``y`` the test values, ``f`` the forecasts, ``x`` the training values, ``m`` the seasonal lag):

* ``sMAPE = mean_h 200 |y - f| / (|y| + |f|)`` (a step where both are 0 contributes 0),
* ``MASE  = mean_h |y - f| / mean_t |x_t - x_{t-m}|`` (``m = 1`` for the Weekly set),
* ``MSIS  = mean_h [(U - L) + 2/a (L - y) 1{y < L} + 2/a (y - U) 1{y > U}] / mean_t |x_t - x_{t-m}|``
  with ``a = 1 - level/100`` (the organisers used ``a = 0.05``; here the level is a parameter),
* coverage: the share of test points inside ``[L, U]`` (borders inclusive).

Each measure is averaged over series; ``OWA = (sMAPE / sMAPE_Naive2 + MASE / MASE_Naive2) / 2`` on those
averages. Naive2 is computed from the data here (:func:`naive2`), and the published Weekly values are kept
as constants so the two can be compared.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

# The organisers' published Naive2 scores for the Weekly set ("Evaluation and Ranks"; README of the data).
PUBLISHED_NAIVE2_WEEKLY_SMAPE = 9.161
PUBLISHED_NAIVE2_WEEKLY_MASE = 2.777
WEEKLY_HORIZON = 13
WEEKLY_SEASONAL_LAG = 1


@dataclass(frozen=True)
class Published:
    """One method's published Weekly scores."""

    method: str
    smape: float
    mase: float
    owa: float


# The rows of the organisers' table quoted in /work/shared/data/m4/README.md (Weekly set).
PUBLISHED_WEEKLY: tuple[Published, ...] = (
    Published("Darin (best Weekly)", 6.582, 2.107, 0.739),
    Published("Petropoulos", 6.726, 2.133, 0.751),
    Published("Pawlikowski", 6.919, 2.158, 0.766),
    Published("Doornik (best Hourly)", 6.728, 2.302, 0.782),
    Published("Theta (benchmark)", 9.093, 2.637, 0.971),
    Published("SES (benchmark)", 9.012, 2.685, 0.975),
    Published("Naive / Naive2 / seasonal naive", PUBLISHED_NAIVE2_WEEKLY_SMAPE, PUBLISHED_NAIVE2_WEEKLY_MASE, 1.000),
    Published("RNN (ML benchmark)", 15.220, 5.132, 1.755),
)


@dataclass(frozen=True)
class Scores:
    """Measures averaged over series (coverage and MSIS are ``None`` without intervals)."""

    series: int
    smape: float
    mase: float
    mae: float
    coverage: float | None = None
    msis: float | None = None

    def owa(self, smape_naive2: float, mase_naive2: float) -> float:
        """Overall weighted average relative to Naive2's averages (1.0 = Naive2's accuracy)."""
        return owa(self.smape, self.mase, smape_naive2, mase_naive2)


def _as_float(values: npt.ArrayLike) -> FloatArray:
    return np.asarray(values, dtype=np.float64)


def _check_same_length(actual: FloatArray, other: FloatArray, name: str) -> None:
    if actual.shape != other.shape:
        raise ValueError(f"{len(actual)} test values but {len(other)} {name}")


def smape(actual: npt.ArrayLike, forecast: npt.ArrayLike) -> float:
    """Symmetric MAPE of one series in percent (0 to 200).

    Args:
        actual: The test values.
        forecast: One forecast per test value.

    Returns:
        ``mean_h 200 |y - f| / (|y| + |f|)``; a step where both are 0 is a perfect forecast (0), not NaN.

    Raises:
        ValueError: If the lengths differ.

    """
    y, f = _as_float(actual), _as_float(forecast)
    _check_same_length(y, f, "forecasts")
    denominator = np.abs(y) + np.abs(f)
    # Guarded division: 0/0 would be NaN although y == f == 0 is an exact forecast.
    ratio = np.divide(np.abs(y - f), denominator, out=np.zeros_like(y), where=denominator > 0)
    return float(200.0 * ratio.mean())


def mase_scale(insample: npt.ArrayLike, m: int = 1) -> float:
    """In-sample mean absolute ``m``-step difference, the MASE and MSIS denominator.

    Args:
        insample: The training values in time order.
        m: The seasonal lag (1 for the M4 Weekly set).

    Returns:
        ``mean_t |x_t - x_{t-m}|`` over ``t = m+1 .. n`` (0 for a constant series).

    Raises:
        ValueError: If ``m < 1`` or the series has no more than ``m`` values.

    """
    x = _as_float(insample)
    if m < 1:
        raise ValueError(f"seasonal lag must be at least 1, got {m}")
    if len(x) <= m:
        raise ValueError(f"{len(x)} training values cannot be differenced at lag {m}")
    return float(np.abs(x[m:] - x[:-m]).mean())


def mase(actual: npt.ArrayLike, forecast: npt.ArrayLike, insample: npt.ArrayLike, m: int = 1) -> float:
    """Mean absolute scaled error of one series.

    Args:
        actual: The test values.
        forecast: One forecast per test value.
        insample: The training values in time order.
        m: The seasonal lag of the scaling naive forecast.

    Returns:
        Forecast MAE over :func:`mase_scale`; NaN when the training part is constant (scale 0).

    """
    y, f = _as_float(actual), _as_float(forecast)
    _check_same_length(y, f, "forecasts")
    scale = mase_scale(insample, m)
    # A constant training part has no scale; NaN keeps it out of the averages instead of an infinite mean.
    return float(np.abs(y - f).mean() / scale) if scale > 0 else float("nan")


def coverage(actual: npt.ArrayLike, lower: npt.ArrayLike, upper: npt.ArrayLike) -> float:
    """Share of test values inside their interval, borders inclusive.

    Raises:
        ValueError: If the lengths differ or there are no values.

    """
    y, lo, hi = _as_float(actual), _as_float(lower), _as_float(upper)
    _check_same_length(y, lo, "lower bounds")
    _check_same_length(y, hi, "upper bounds")
    if not len(y):
        raise ValueError("no test values")
    return float(((y >= lo) & (y <= hi)).mean())


def msis(actual: npt.ArrayLike, lower: npt.ArrayLike, upper: npt.ArrayLike, insample: npt.ArrayLike,
         m: int = 1, level: float = 95.0) -> float:
    """Mean scaled interval score of one series (the organisers' MSIS with ``a = 1 - level/100``).

    Args:
        actual: The test values.
        lower: Lower interval bounds, one per test value.
        upper: Upper interval bounds, one per test value.
        insample: The training values in time order.
        m: The seasonal lag of the scaling naive forecast.
        level: The interval's nominal level in percent (M4 used 95).

    Returns:
        Width plus ``2/a`` times each miss, averaged over the horizon and divided by :func:`mase_scale`;
        NaN when the training part is constant.

    Raises:
        ValueError: If the level is not strictly between 0 and 100, or lengths differ.

    """
    if not 0 < level < 100:
        raise ValueError(f"level must lie strictly between 0 and 100, got {level}")
    y, lo, hi = _as_float(actual), _as_float(lower), _as_float(upper)
    _check_same_length(y, lo, "lower bounds")
    _check_same_length(y, hi, "upper bounds")
    alpha = 1.0 - level / 100.0
    penalty = (hi - lo) + 2.0 / alpha * (np.clip(lo - y, 0, None) + np.clip(y - hi, 0, None))
    scale = mase_scale(insample, m)
    return float(penalty.mean() / scale) if scale > 0 else float("nan")


def owa(smape_value: float, mase_value: float, smape_naive2: float, mase_naive2: float) -> float:
    """``(sMAPE / sMAPE_Naive2 + MASE / MASE_Naive2) / 2`` on series-averaged measures.

    Raises:
        ValueError: If a Naive2 reference is not positive.

    """
    if smape_naive2 <= 0 or mase_naive2 <= 0:
        raise ValueError("Naive2 references must be positive")
    return 0.5 * (smape_value / smape_naive2 + mase_value / mase_naive2)


def naive(insample: npt.ArrayLike, horizon: int) -> FloatArray:
    """The last training value repeated ``horizon`` times."""
    x = _as_float(insample)
    if not len(x):
        raise ValueError("empty training series")
    return np.full(horizon, x[-1])


def seasonal_naive(insample: npt.ArrayLike, horizon: int, m: int) -> FloatArray:
    """The last full season of the training values repeated over the horizon.

    Args:
        insample: The training values in time order.
        horizon: Steps to forecast.
        m: The season length in steps.

    Returns:
        ``f_h = x_{n - m + ((h - 1) mod m) + 1}`` for ``h = 1 .. horizon``.

    Raises:
        ValueError: If the series is shorter than one season.

    """
    x = _as_float(insample)
    if m < 1 or len(x) < m:
        raise ValueError(f"{len(x)} training values hold no full season of {m}")
    return np.resize(x[-m:], horizon).astype(np.float64)


def naive2(insample: npt.ArrayLike, horizon: int, m: int = 1) -> FloatArray:
    """The organisers' Naive2 benchmark for a set without seasonal adjustment.

    For ``m = 1`` (Weekly, and the yearly data) the organisers' seasonality test never applies, so Naive2
    is the plain naive forecast. The seasonally adjusted variant (classical multiplicative decomposition
    after a 90 % autocorrelation test) is not needed by these benchmarks and is deliberately not guessed.

    Raises:
        ValueError: For ``m > 1`` (the Weekly set has m = 1; seasonal Naive2 is out of scope).

    """
    if m != 1:
        raise ValueError(f"naive2 supports m = 1 only (the M4 Weekly protocol), got m = {m}")
    return naive(insample, horizon)


def score(
    train: Mapping[str, npt.ArrayLike],
    test: Mapping[str, npt.ArrayLike],
    forecast: Mapping[str, npt.ArrayLike],
    lower: Mapping[str, npt.ArrayLike] | None = None,
    upper: Mapping[str, npt.ArrayLike] | None = None,
    m: int = 1,
    level: float = 80.0,
    keys: Sequence[str] | None = None,
) -> Scores:
    """Average every measure over the series of ``keys`` (default: every series of ``test``).

    Args:
        train: Series id to its training values.
        test: Series id to its test values.
        forecast: Series id to its point forecasts (same length as the test values).
        lower: Series id to lower interval bounds, or ``None`` without intervals.
        upper: Series id to upper interval bounds, or ``None`` without intervals.
        m: The seasonal lag of MASE and MSIS.
        level: The intervals' nominal level in percent (for MSIS).
        keys: The series to score; each must have a forecast (and bounds when given).

    Returns:
        The averages. Coverage pools the test points of all series (equal to the mean of per-series
        coverage when every series has the same horizon). Series whose MASE is NaN (constant training
        part) are left out of the MASE and MSIS means only.

    Raises:
        ValueError: If a series has no forecast, or no series is scored.

    """
    ids = list(test) if keys is None else list(keys)
    if not ids:
        raise ValueError("no series to score")
    missing = [key for key in ids if key not in forecast]
    if missing:
        raise ValueError(f"{len(missing)} series have no forecast, e.g. {missing[0]}")
    smapes = [smape(test[key], forecast[key]) for key in ids]
    mases = [mase(test[key], forecast[key], train[key], m) for key in ids]
    maes = [float(np.abs(_as_float(test[key]) - _as_float(forecast[key])).mean()) for key in ids]
    cover: float | None = None
    msis_mean: float | None = None
    if lower is not None and upper is not None:
        actual = np.concatenate([_as_float(test[key]) for key in ids])
        cover = coverage(actual, np.concatenate([_as_float(lower[key]) for key in ids]),
                         np.concatenate([_as_float(upper[key]) for key in ids]))
        msis_mean = float(np.nanmean([msis(test[key], lower[key], upper[key], train[key], m, level) for key in ids]))
    return Scores(series=len(ids), smape=float(np.mean(smapes)), mase=float(np.nanmean(mases)),
                  mae=float(np.mean(maes)), coverage=cover, msis=msis_mean)


def naive2_scores(train: Mapping[str, npt.ArrayLike], test: Mapping[str, npt.ArrayLike],
                  keys: Sequence[str] | None = None) -> Scores:
    """Naive2 (``m = 1``) computed from the data and scored on ``keys`` (default: all of ``test``)."""
    ids = list(test) if keys is None else list(keys)
    forecast = {key: naive2(train[key], len(_as_float(test[key]))) for key in ids}
    return score(train, test, forecast, keys=ids)
