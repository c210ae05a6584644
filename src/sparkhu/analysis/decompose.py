"""Seasonal-trend decomposition in O(n) per series: moving-average trend, per-phase median seasonals.

Why not STL: its loess trend smoother costs O(n·window) and the trend window grows with the season, so a
daily season of 1-minute data (1,440 samples) makes it slow (see ``benchmarks/decompose``). Here:

* **Seasonal lengths** come from the decided sampling period: a day is ``86400 / period`` samples and a
  week ``604800 / period``; a length is used when it is a whole number of at least 2 and the series
  covers at least :data:`MIN_CYCLES` full cycles. Several lengths give a multi-seasonal (MSTL-like) fit.
* **Trend**: a centred moving average over one cycle of the longest season (a 2xL average for even L),
  computed with cumulative sums. Over a whole cycle every season sums to a constant, so the trend carries
  no seasonality; near the ends, where the window does not fit, the trend continues linearly with the
  slope of the nearest fitted stretch.
* **Seasonals**: per phase, the median of the detrended values over all cycles (after removing the
  other seasonals), iterated :data:`SEASONAL_PASSES` times; centred to mean zero. When few cycles back a
  phase, neighbouring phases are averaged (circularly) so that each value rests on at least
  :data:`MIN_SUPPORT` observations — otherwise a season seen twice would absorb half of every spike.
* **Robustness**: after a first fit, points whose residual exceeds :data:`ROBUST_Z` robust standard
  deviations are replaced by their fitted value and the fit is repeated, so spikes and shifts bend
  neither the trend nor the seasonals.

The input must be a regular grid per series (the ``detect-missing`` step inserts NaN rows for gaps):
positions stand for time. NaN values are filled linearly for the fit; their residual stays NaN while
trend and seasonal (the expected value there) are still given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sparkhu.analysis._columns import FloatArray, float_values
from sparkhu.analysis._segments import split_series
from sparkhu.frame import LONG_COLUMNS, VALUE, require_columns

DAY_SECONDS = 86_400.0
WEEK_SECONDS = 604_800.0
#: A season is fitted only when the series covers this many full cycles of it. Two are not enough: a
#: season seen twice takes half of every anomaly into its profile (and echoes it into the other cycle),
#: which cut the NAB F1 from 0.59 to 0.52 (``benchmarks/nab``) for two-week files with a weekly season.
MIN_CYCLES = 3
#: Each seasonal value rests on at least this many observations (phases are pooled to get there).
MIN_SUPPORT = 12
#: Alternations between the seasonal components (the MSTL-like loop).
SEASONAL_PASSES = 2
#: Residuals beyond this many robust standard deviations are refitted as outliers.
ROBUST_Z = 5.0
#: Scale factor making the median absolute deviation a standard deviation for normal data.
MAD_TO_SD = 1.4826
COMPONENT_COLUMNS = ("trend", "seasonal", "residual", "seasonal_periods")


@dataclass(frozen=True)
class Components:
    """The decomposition of one series (arrays as long as the series)."""

    trend: FloatArray
    seasonal: FloatArray
    residual: FloatArray
    lengths: tuple[int, ...]


def seasonal_lengths(period_seconds: float | None, n_points: int, min_cycles: int = MIN_CYCLES) -> tuple[int, ...]:
    """The daily and weekly season lengths (in samples) that a series supports, shortest first.

    Args:
        period_seconds: The decided sampling period; None, NaN or non-positive gives no seasons.
        n_points: Length of the series on its regular grid.
        min_cycles: Full cycles the series must cover for a season to be used.

    Returns:
        The usable lengths: whole numbers of at least 2 samples covered ``min_cycles`` times.

    """
    if period_seconds is None or not np.isfinite(period_seconds) or period_seconds <= 0:
        return ()
    lengths = []
    for cycle in (DAY_SECONDS, WEEK_SECONDS):
        samples = cycle / period_seconds
        length = round(samples)
        if abs(samples - length) < 1e-6 and length >= 2 and n_points >= min_cycles * length:
            lengths.append(length)
    return tuple(lengths)


def decompose(
    frame: pd.DataFrame, periods: Mapping[str, float | None], *, min_cycles: int = MIN_CYCLES
) -> pd.DataFrame:
    """Split every series into trend, seasonal and residual.

    Args:
        frame: Long frame (series_id, ts, value, other columns kept) on a regular grid per series.
        periods: Decided sampling period in seconds per series (absent or None: no seasons, and a
            trend window of a tenth of the series).
        min_cycles: Full cycles a series must cover for a season to be fitted.

    Returns:
        The rows sorted by series_id and ts plus ``trend``, ``seasonal`` (sum of the seasons),
        ``residual`` (NaN where the value is NaN) and ``seasonal_periods`` (the season lengths in
        samples, e.g. ``"288,2016"``; empty when none).

    Raises:
        ValueError: If ``frame`` lacks series_id, ts or value.

    """
    require_columns(frame, list(LONG_COLUMNS))
    segments = split_series(frame)
    out = segments.frame.copy()
    values = float_values(out[VALUE])
    trend, seasonal, residual = (np.full(len(values), np.nan) for _ in range(3))
    labels = np.full(len(values), "", dtype=object)
    for series_id, first, stop in segments.ranges():
        part = decompose_values(values[first:stop], periods.get(series_id), min_cycles=min_cycles)
        trend[first:stop], seasonal[first:stop], residual[first:stop] = part.trend, part.seasonal, part.residual
        labels[first:stop] = ",".join(str(length) for length in part.lengths)
    out["trend"], out["seasonal"], out["residual"] = trend, seasonal, residual
    out["seasonal_periods"] = pd.Series(labels, dtype="string")
    return out


def decompose_values(
    values: FloatArray, period_seconds: float | None, *, min_cycles: int = MIN_CYCLES
) -> Components:
    """Decompose one regular series given as an array (NaN allowed).

    Args:
        values: The series on its regular grid.
        period_seconds: Its sampling period in seconds (None: no seasons).
        min_cycles: Full cycles needed for a season.

    Returns:
        The :class:`Components`; all NaN when the series has no real value.

    """
    values = np.asarray(values, dtype=np.float64)
    known = np.isfinite(values)
    lengths = seasonal_lengths(period_seconds, len(values), min_cycles)
    if not known.any():
        nothing = np.full(len(values), np.nan)
        return Components(nothing, nothing.copy(), nothing.copy(), lengths)
    filled = fill_linear(values)
    window = lengths[-1] if lengths else _plain_window(period_seconds, len(values))
    trend, seasonal = _fit(filled, lengths, window)
    residual = filled - trend - seasonal
    scale = robust_scale(residual)
    outliers = np.abs(residual - np.median(residual)) > ROBUST_Z * scale
    if outliers.any():
        trend, seasonal = _fit(np.where(outliers, trend + seasonal, filled), lengths, window)
        residual = filled - trend - seasonal
    return Components(trend, seasonal, np.where(known, residual, np.nan), lengths)


def fill_linear(values: FloatArray) -> FloatArray:
    """NaN replaced by linear interpolation between positions (the nearest value at the ends)."""
    known = np.isfinite(values)
    if known.all():
        return values.copy()
    positions = np.arange(len(values))
    return np.interp(positions, positions[known], values[known])


def robust_scale(values: FloatArray) -> float:
    """The MAD as a standard deviation; the mean absolute deviation (as SD) when the MAD is 0; else tiny.

    Args:
        values: Finite values.

    Returns:
        A positive scale, so that dividing by it never fails.

    """
    centred = np.abs(values - np.median(values)) if len(values) else np.zeros(1)
    mad = float(np.median(centred)) * MAD_TO_SD
    if mad > 0:
        return mad
    # Mostly constant data (MAD 0): the mean deviation still sees the few points that move.
    mean_deviation = float(np.mean(centred)) * np.sqrt(np.pi / 2)
    return mean_deviation if mean_deviation > 0 else float(np.finfo(np.float64).tiny)


def moving_average(values: FloatArray, length: int) -> FloatArray:
    """Centred moving average over ``length`` samples (2xL for even L), linearly continued at the ends.

    Args:
        values: Finite values.
        length: Window length, at least 1.

    Returns:
        The average; where the window does not fit, the line through the nearest fitted stretch.

    """
    n = len(values)
    half = length // 2
    if n < length + 1 or length < 2:
        return np.full(n, float(np.mean(values))) if length >= 2 else values.copy()
    sums = np.concatenate(([0.0], np.cumsum(values)))
    means = (sums[length:] - sums[:-length]) / length
    # An odd window is centred on a sample; an even one on a half step, so average two neighbours.
    centred = means if length % 2 else (means[:-1] + means[1:]) / 2
    trend = np.empty(n)
    trend[half : half + len(centred)] = centred
    _continue_ends(trend, half, half + len(centred) - 1, length)
    return trend


def _continue_ends(trend: FloatArray, first: int, last: int, length: int) -> None:
    """Fill ``trend`` before ``first`` and after ``last`` along the slope of the fitted stretch's ends."""
    span = min(length, last - first)
    if span <= 0:
        trend[:first], trend[last + 1 :] = trend[first], trend[last]
        return
    left_slope = (trend[first + span] - trend[first]) / span
    right_slope = (trend[last] - trend[last - span]) / span
    trend[:first] = trend[first] + left_slope * (np.arange(first) - first)
    trend[last + 1 :] = trend[last] + right_slope * np.arange(1, len(trend) - last)


def _plain_window(period_seconds: float | None, n_points: int) -> int:
    """Trend window of a series without seasons: a day of samples or a tenth of the series, at least 3."""
    tenth = max(3, n_points // 10)
    if period_seconds is None or not np.isfinite(period_seconds) or period_seconds <= 0:
        return tenth
    return int(np.clip(round(DAY_SECONDS / period_seconds), 3, max(3, n_points // 2)))


def _fit(values: FloatArray, lengths: Sequence[int], window: int) -> tuple[FloatArray, FloatArray]:
    """Trend and summed seasonals of finite ``values`` (the MSTL-like alternation over the seasons)."""
    trend = moving_average(values, window)
    detrended = values - trend
    seasons = [np.zeros(len(values)) for _ in lengths]
    for _ in range(SEASONAL_PASSES if len(lengths) > 1 else 1):
        for index, length in enumerate(lengths):
            others = sum((seasons[j] for j in range(len(lengths)) if j != index), np.zeros(len(values)))
            seasons[index] = seasonal_profile(detrended - others, length)
    return trend, sum(seasons, np.zeros(len(values)))


def seasonal_profile(values: FloatArray, length: int) -> FloatArray:
    """The season of ``values``: per-phase medians over the cycles, pooled across phases if few cycles.

    Args:
        values: Detrended finite values (phase 0 at the first sample).
        length: Season length in samples.

    Returns:
        The season repeated over the series, centred to mean zero over a cycle.

    """
    n = len(values)
    cycles = -(-n // length)
    padded = np.full(cycles * length, np.nan)
    padded[:n] = values
    profile = np.nanmedian(padded.reshape(cycles, length), axis=0)
    support = max(1, n // length)
    profile = _circular_mean(profile, -(-MIN_SUPPORT // support))
    profile -= profile.mean()
    return np.tile(profile, cycles)[:n]


def _circular_mean(profile: FloatArray, width: int) -> FloatArray:
    """Circular moving average over an odd number of phases (at least ``width``, at most the profile)."""
    width = min(width + (1 - width % 2), len(profile) - (1 - len(profile) % 2))
    if width <= 1:
        return profile
    half = width // 2
    wrapped = np.concatenate((profile[-half:], profile, profile[:half]))
    sums = np.concatenate(([0.0], np.cumsum(wrapped)))
    return (sums[width:] - sums[:-width]) / width


def observed_residual(decomposed: pd.DataFrame, observed: pd.Series) -> pd.Series:
    """Residual of what was observed against the fitted trend + seasonal.

    The decomposition is fitted on the cleaned (imputed) series so that spikes cannot bend it; the
    residual that anomaly detection scores must still see the spikes, so it is taken from the values as
    observed before imputation (outliers included). Points that were never observed get NaN.

    Args:
        decomposed: Output of :func:`decompose` (``trend`` and ``seasonal`` columns).
        observed: The observed value of each row of ``decomposed`` (NaN where missing), same index.

    Returns:
        ``observed - trend - seasonal`` aligned with ``decomposed``.
    """
    return observed - decomposed["trend"] - decomposed["seasonal"]
