"""Anomalies in the residual of a decomposition: a robust score per point, few alarms per series.

Two scores per point, both in robust standard deviations of the series' residual (``1.4826 · MAD``):

* ``anomaly_score``: ``|r - median(r)| / scale``, the spike score of the issue;
* ``shift_score``: ``|median(r[t, t+w)) - median(r[t-w, t))| / scale``, how far the residual's level
  moves at ``t`` — level shifts and behaviour changes that no single point shows (``w`` =
  ``shift_window`` samples; medians so that a lone spike does not look like a shift).

``is_anomaly`` is kept for events worth an operator's attention, not for cleaning: points whose larger
score reaches ``threshold`` compete for at most ``max_alarms`` alarms per series: the highest point
raises one, the points less than ``min_separation`` samples from it fall silent (they are the same event),
and so on while a point still reaches the threshold (non-maximum suppression). The defaults were chosen
on the NAB benchmark (``benchmarks/nab``: F1 0.589 against 0.579 for flagging each file's most extreme raw
value) and are the same for every series; F1 stays within 0.55-0.59 for thresholds 5-8 and caps of 2-3.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import ndimage

from sparkhu.analysis._columns import FloatArray, Int64Array, float_values
from sparkhu.analysis._grid import BoolArray
from sparkhu.analysis._segments import split_series
from sparkhu.analysis.decompose import robust_scale
from sparkhu.frame import LONG_COLUMNS, require_columns

#: Robust standard deviations a score must reach to raise an alarm.
THRESHOLD = 6.0
#: Samples on each side of a level-shift comparison.
SHIFT_WINDOW = 12
#: Samples around an alarm that cannot raise another (a day of 5-minute data): one event, one alarm.
MIN_SEPARATION = 288
#: Alarms kept per series (the strongest events).
MAX_ALARMS = 2
DECOMPOSED_COLUMNS = (*LONG_COLUMNS, "trend", "seasonal", "residual")
ANOMALY_COLUMNS = ("anomaly_score", "shift_score", "is_anomaly", "expected")


def detect_anomalies(
    decomposed: pd.DataFrame,
    *,
    threshold: float = THRESHOLD,
    shift_window: int = SHIFT_WINDOW,
    min_separation: int = MIN_SEPARATION,
    max_alarms: int = MAX_ALARMS,
) -> pd.DataFrame:
    """Score every point's residual and raise a few alarms per series.

    Args:
        decomposed: Output of :func:`~sparkhu.analysis.decompose.decompose` (series_id, ts, value, trend,
            seasonal, residual; other columns kept), on a regular grid per series.
        threshold: Score (robust standard deviations) from which a point can raise an alarm.
        shift_window: Samples before and after a point compared by the level-shift score.
        min_separation: Samples around an alarm that cannot raise another one (the same event).
        max_alarms: Most alarms per series; the highest scores win.

    Returns:
        The rows sorted by series_id and ts plus ``anomaly_score`` and ``shift_score`` (NaN where the
        residual is NaN), ``is_anomaly`` (bool) and ``expected`` (trend + seasonal).

    Raises:
        ValueError: If a column is missing or a parameter is out of range.

    """
    require_columns(decomposed, list(DECOMPOSED_COLUMNS))
    _check_parameters(threshold, shift_window, min_separation, max_alarms)
    segments = split_series(decomposed)
    out = segments.frame.copy()
    residual = float_values(out["residual"])
    spike, shift = np.full(len(out), np.nan), np.full(len(out), np.nan)
    alarms = np.zeros(len(out), dtype=bool)
    for _, first, stop in segments.ranges():
        spike[first:stop], shift[first:stop] = residual_scores(residual[first:stop], shift_window)
        strongest = np.fmax(spike[first:stop], shift[first:stop])
        alarms[first + event_peaks(strongest, threshold, min_separation, max_alarms)] = True
    out["anomaly_score"], out["shift_score"], out["is_anomaly"] = spike, shift, alarms
    out["expected"] = float_values(out["trend"]) + float_values(out["seasonal"])
    return out


def residual_scores(residual: FloatArray, shift_window: int = SHIFT_WINDOW) -> tuple[FloatArray, FloatArray]:
    """The spike and level-shift scores of one series' residual (NaN where the residual is NaN).

    Args:
        residual: The residual on a regular grid.
        shift_window: Samples on each side of the level comparison.

    Returns:
        ``(anomaly_score, shift_score)``, both in robust standard deviations; the shift score is 0
        where a full window does not fit on both sides.

    """
    known = np.isfinite(residual)
    if not known.any():
        return np.full(len(residual), np.nan), np.full(len(residual), np.nan)
    centre = float(np.median(residual[known]))
    scale = robust_scale(residual[known])
    # A missing residual counts as typical, so it neither raises nor hides a shift.
    filled = np.where(known, residual, centre)
    spike = np.abs(filled - centre) / scale
    after = _window_medians(filled, shift_window, after=True)
    shift = np.abs(after - _window_medians(filled, shift_window, after=False))
    return np.where(known, spike, np.nan), np.where(known, shift / scale, np.nan)


def event_peaks(score: FloatArray, threshold: float, min_separation: int, max_alarms: int) -> Int64Array:
    """Positions of the alarms: repeatedly the highest remaining score, silencing its neighbourhood.

    Args:
        score: One score per sample (NaN never raises an alarm).
        threshold: Score an alarm must reach.
        min_separation: Samples on each side of an alarm that cannot raise another one.
        max_alarms: Most alarms returned.

    Returns:
        Sorted positions of the alarms.

    """
    remaining = np.nan_to_num(np.asarray(score, dtype=np.float64), nan=-np.inf)
    peaks: list[int] = []
    # At most max_alarms passes over the series: cheap for the few alarms this rule is meant for.
    while len(peaks) < max_alarms and len(remaining):
        peak = int(np.argmax(remaining))
        if remaining[peak] < threshold:
            break
        peaks.append(peak)
        remaining[max(0, peak - min_separation + 1) : peak + min_separation] = -np.inf
    return np.sort(np.array(peaks, dtype=np.int64))


def _window_medians(values: FloatArray, width: int, *, after: bool) -> FloatArray:
    """Median of the ``width`` samples starting at ``t`` (after) or ending just before ``t``; 0 off the edges."""
    n = len(values)
    result = np.zeros(n)
    if n < 2 * width:
        return result
    # median_filter centres a window of `width` on index i: it covers [i - width // 2, i - width // 2 + width).
    centred = ndimage.median_filter(values, size=width, mode="nearest")
    positions = np.arange(width, n - width + 1)
    offset = width // 2 if after else width // 2 - width
    result[positions] = centred[positions + offset]
    return result


def _check_parameters(threshold: float, shift_window: int, min_separation: int, max_alarms: int) -> None:
    """Reject parameters that cannot work, naming the culprit."""
    if not threshold > 0:
        raise ValueError(f"threshold must be positive, got {threshold}")
    if shift_window < 1:
        raise ValueError(f"shift_window must be at least 1 sample, got {shift_window}")
    if min_separation < 1:
        raise ValueError(f"min_separation must be at least 1 sample, got {min_separation}")
    if max_alarms < 0:
        raise ValueError(f"max_alarms must not be negative, got {max_alarms}")


def alarms_on_rows(rows: pd.Series, alarms: pd.Series) -> BoolArray:
    """Flags on ``rows`` (timestamps, any order) for alarm timestamps, each moved to its nearest row.

    The grid the detector runs on has points that were never observed (inserted missing rows); an alarm
    raised on one still belongs to the data the user has, so it goes to the nearest observed row (ties:
    the earlier one).

    Args:
        rows: Timestamps of the observed rows.
        alarms: Timestamps of the alarms.

    Returns:
        One boolean per row of ``rows``, in its order.
    """
    flags = np.zeros(len(rows), dtype=bool)
    if rows.empty or alarms.empty:
        return flags
    order = np.argsort(rows.to_numpy(), kind="stable")
    stamps, at = rows.to_numpy()[order], alarms.to_numpy()
    right = np.clip(np.searchsorted(stamps, at), 0, len(stamps) - 1)
    left = np.clip(right - 1, 0, len(stamps) - 1)
    nearer_left = np.abs(at - stamps[left]) <= np.abs(stamps[right] - at)
    flags[order[np.where(nearer_left, left, right)]] = True
    return flags
