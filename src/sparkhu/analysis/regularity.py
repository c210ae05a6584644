"""Sampling-period estimation, robust to timestamp jitter, gaps and duplicate timestamps.

The estimate works on the positive differences between consecutive distinct timestamps:

1. **Dominant step**: the difference with the most neighbours within ``±tolerance`` (relative),
   re-centred on the median of those neighbours. Unlike a plain mode, this finds the step of
   jittered timestamps whose differences are all slightly different.
2. **Approximate GCD**: when many differences fall *between* multiples of the dominant step and a
   fraction ``step / k`` explains them (and is itself a common difference), the series really has the
   finer period and its dominant step was a multiple (e.g. a sensor that mostly skips every other
   sample). Repeated until no finer grid is supported.
3. **Refinement**: the median of each on-grid difference divided by its multiple, so that gaps
   (multiples of the period) sharpen the estimate instead of biasing it.
4. **Snapping**: to a "nice" period (1 min, 5 min, 1 h...), else to whole seconds, else to
   milliseconds, whichever is first within three standard errors (at least 0.1 % of the period).

A difference is *on the grid* when it lies within ``tolerance`` periods of a non-zero multiple of
the period. ``regular_fraction`` is the share of differences on the grid; ``periodic_error`` is the
root-mean-square residual of the on-grid differences from their multiple, in periods: the jitter,
measured robustly because the differences off the grid (leftovers of gaps, extra points) are left
out of it and counted by ``regular_fraction`` instead. A series is regular when at least 90 % of
its differences are on the grid; below 50 % the grid explains too little and the status is
``no_decision``.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from sparkhu.analysis._columns import (
    US_PER_SECOND,
    FloatArray,
    epoch_us,
    segment_starts,
    series_codes,
    series_column,
)
from sparkhu.frame import SERIES, TS, require_columns

Status = Literal["ok", "too_few_points", "no_decision"]

#: Relative distance to a multiple of the period within which a difference is on the grid.
TOLERANCE = 0.1
#: Fewer distinct timestamps than this give ``too_few_points``.
MIN_POINTS = 5
#: Share of on-grid differences from which a series counts as regular.
REGULAR_FRACTION = 0.9
#: Share of on-grid differences below which no period is decided.
DECISION_FRACTION = 0.5
#: A finer grid must explain this share of all differences at its own first multiple...
MIN_FINER_SHARE = 0.1
#: ...and this share of the differences that the coarser grid leaves unexplained.
MIN_EXPLAINED_OFF_GRID = 0.5
#: Largest divisor of the dominant step tried by the approximate GCD.
MAX_DIVISOR = 10
# Float slack so that a difference exactly ``tolerance`` away still counts as on the grid.
_SLACK = 1e-9
# Periods that sensors and loggers actually use, in seconds.
_SUB_MINUTE = [0.001, 0.002, 0.005, 0.01, 0.02, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 15, 20, 30]
_MINUTES_AND_UP = [60, 120, 180, 300, 600, 900, 1200, 1800, 3600, 7200, 10800, 14400, 21600, 43200, 86400]
NICE_PERIODS = np.array([*_SUB_MINUTE, *_MINUTES_AND_UP, 604800], dtype=np.float64)
ESTIMATE_COLUMNS = (
    "n_points",
    "period_seconds",
    "is_regular",
    "regular_fraction",
    "periodic_error",
    "status",
)


@dataclass(frozen=True)
class PeriodEstimate:
    """A series' estimated sampling period over one window.

    Attributes:
        period_seconds: Estimated period (NaN when there are too few points; the best guess when
            the status is ``no_decision``).
        is_regular: At least 90 % of the differences are on the period's grid.
        regular_fraction: Share of differences within ``tolerance`` periods of a non-zero multiple.
        periodic_error: RMS residual of the on-grid differences from their multiple, in periods.
        n_points: Distinct timestamps seen.
        status: ``ok``, ``too_few_points`` or ``no_decision``.

    """

    period_seconds: float
    is_regular: bool
    regular_fraction: float
    periodic_error: float
    n_points: int
    status: Status


def estimate_period(ts: npt.ArrayLike, *, tolerance: float = TOLERANCE) -> PeriodEstimate:
    """Estimate the sampling period of one series' timestamps.

    Args:
        ts: Timestamps in any order: numbers (seconds since any origin) or datetime64 values.
        tolerance: Relative distance to a multiple of the period that still counts as on the grid.

    Returns:
        The :class:`PeriodEstimate`.

    """
    seconds = _as_seconds(ts)
    distinct = np.unique(seconds[~np.isnan(seconds)])
    if distinct.size < MIN_POINTS:
        return _too_few(distinct.size)
    return estimate_from_steps(np.diff(distinct), tolerance=tolerance)


def estimate_from_steps(steps: FloatArray, *, tolerance: float = TOLERANCE) -> PeriodEstimate:
    """Estimate the period from the differences of sorted timestamps, in seconds.

    Zero differences (duplicate timestamps) are left out: ``n_points`` counts distinct timestamps.

    """
    steps = steps[steps > 0]
    n_points = len(steps) + 1
    if n_points < MIN_POINTS:
        return _too_few(n_points)
    step = _dominant_step(steps, tolerance)
    step = _base_step(steps, step, tolerance)
    period = _snap(*_refine(steps, step, tolerance))
    fraction, error = _grid_fit(steps, period, tolerance)
    status: Status = "ok" if fraction >= DECISION_FRACTION else "no_decision"
    is_regular = status == "ok" and fraction >= REGULAR_FRACTION
    return PeriodEstimate(period, is_regular, fraction, error, n_points, status)


def estimate_periods(frame: pd.DataFrame, *, tolerance: float = TOLERANCE) -> pd.DataFrame:
    """Estimate the period of every series in a long frame.

    Args:
        frame: Long frame with series_id and ts (any order; rows with a null ts are ignored).
        tolerance: As in :func:`estimate_period`.

    Returns:
        One row per series, sorted by series_id: series_id and :data:`ESTIMATE_COLUMNS`.

    """
    require_columns(frame, [SERIES, TS])
    usable = frame[TS].notna() & frame[SERIES].notna()
    codes, ids = series_codes(frame.loc[usable, SERIES].astype("string"))
    micros = epoch_us(frame.loc[usable, TS])
    order = np.lexsort((micros, codes))
    codes, micros = codes[order], micros[order]
    # Keep one row per distinct (series, ts): duplicates carry no timing information.
    keep = segment_starts([codes, micros])
    codes, micros = codes[keep], micros[keep]
    bounds = np.searchsorted(codes, np.arange(len(ids) + 1))
    rows = [
        asdict(estimate_from_steps(np.diff(micros[low:high]) / US_PER_SECOND, tolerance=tolerance))
        for low, high in itertools.pairwise(bounds)
    ]
    table = pd.DataFrame(rows, columns=list(ESTIMATE_COLUMNS))
    table.insert(0, SERIES, series_column(ids))
    return table.astype({"n_points": "int64", "is_regular": "bool", "status": "string"})


def _too_few(n_points: int) -> PeriodEstimate:
    """The estimate of a series with fewer than :data:`MIN_POINTS` distinct timestamps."""
    return PeriodEstimate(np.nan, False, np.nan, np.nan, n_points, "too_few_points")


def _as_seconds(ts: npt.ArrayLike) -> FloatArray:
    """Timestamps as float seconds; datetime-like values go through integer microseconds."""
    array = np.asarray(ts)
    if np.issubdtype(array.dtype, np.number):
        return array.astype(np.float64)
    micros = epoch_us(pd.Series(array))
    seconds = micros.astype(np.float64) / US_PER_SECOND
    seconds[pd.isna(array)] = np.nan
    return seconds


def _on_grid(steps: FloatArray, period: float, tolerance: float) -> npt.NDArray[np.bool_]:
    """Differences within ``tolerance`` periods of a non-zero multiple of ``period``."""
    ratio = steps / period
    multiple = np.rint(ratio)
    return (multiple >= 1) & (np.abs(ratio - multiple) <= tolerance + _SLACK)


def _dominant_step(steps: FloatArray, tolerance: float) -> float:
    """The difference with the most others within ``±tolerance`` of it, re-centred on their median."""
    values, counts = np.unique(steps, return_counts=True)
    cumulative = np.concatenate(([0], np.cumsum(counts)))
    above = np.searchsorted(values, values * (1 + tolerance + _SLACK), side="right")
    below = np.searchsorted(values, values * (1 - tolerance - _SLACK), side="left")
    # argmax takes the first maximum: ties go to the smaller step, the finer grid.
    centre = float(values[np.argmax(cumulative[above] - cumulative[below])])
    for _ in range(2):
        near = steps[np.abs(steps - centre) <= (tolerance + _SLACK) * centre]
        centre = float(np.median(near))
    return centre


def _base_step(steps: FloatArray, step: float, tolerance: float) -> float:
    """Divide ``step`` while a finer grid explains the differences that fall between its multiples."""
    for _ in range(MAX_DIVISOR):
        finer = _finer_grid(steps, step, tolerance)
        if finer is None:
            return step
        step = finer
    return step


def _finer_grid(steps: FloatArray, step: float, tolerance: float) -> float | None:
    """The coarsest ``step / k`` that explains the off-grid differences, or None."""
    off_grid = ~_on_grid(steps, step, tolerance)
    common = MIN_FINER_SHARE * len(steps)
    if off_grid.sum() < common:
        return None
    needed = max(common, MIN_EXPLAINED_OFF_GRID * off_grid.sum())
    for divisor in range(2, MAX_DIVISOR + 1):
        finer = step / divisor
        at_first_multiple = np.abs(steps / finer - 1) <= tolerance + _SLACK
        # The finer period must itself be a common difference, not only fit leftovers by
        # chance: any grid fine enough (e.g. the 60 s resolution of a clock) fits everything.
        if at_first_multiple.sum() < common:
            continue
        if (off_grid & _on_grid(steps, finer, tolerance)).sum() >= needed:
            return finer
    return None


def _refine(steps: FloatArray, step: float, tolerance: float) -> tuple[float, float]:
    """Median of the on-grid differences divided by their multiple, and its standard error."""
    on_grid = _on_grid(steps, step, tolerance)
    if not on_grid.any():
        return step, 0.0
    per_step = steps[on_grid] / np.rint(steps[on_grid] / step)
    period = float(np.median(per_step))
    spread = 1.4826 * float(np.median(np.abs(per_step - period)))
    # Standard error of a median: sqrt(pi / 2) times that of a mean.
    return period, 1.2533 * spread / np.sqrt(len(per_step))


def _snap(period: float, standard_error: float) -> float:
    """The first of nice period, whole seconds and milliseconds that lies within the allowance."""
    allowance = max(3 * standard_error, 1e-3 * period)
    nice = float(NICE_PERIODS[np.argmin(np.abs(NICE_PERIODS - period))])
    for candidate in (nice, float(round(period)), round(period, 3)):
        if candidate > 0 and abs(candidate - period) <= allowance:
            return candidate
    return round(period, 6)


def _grid_fit(steps: FloatArray, period: float, tolerance: float) -> tuple[float, float]:
    """Share of on-grid differences and the RMS residual of those differences, in periods."""
    on_grid = _on_grid(steps, period, tolerance)
    ratio = steps[on_grid] / period
    residual = ratio - np.rint(ratio)
    error = float(np.sqrt(np.mean(residual**2))) if residual.size else np.nan
    return float(on_grid.mean()), error
