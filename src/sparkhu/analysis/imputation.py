"""Missing-value imputation: one mechanism, many registered variants, every one vectorized over all series.

A point is *missing* for imputation when its value is NaN, it is flagged ``is_missing``, or it is
flagged ``is_outlier`` (an outlier is a value we do not trust, so it is replaced like a missing one).
Every variant receives the series on their regular grids as one sorted set of arrays
(:class:`~sparkhu.analysis._grid.Grid`) and returns a value for every row.

Variants (``VARIANTS``):

- ``locf`` / ``nocb``: last observation carried forward / next observation carried backward.
- ``linear``: straight line between the known neighbours, in *time* (not row number).
- ``spline``: shape-preserving cubic (PCHIP, Fritsch-Carlson derivatives) on time. Chosen over a
  natural cubic spline or Akima because between two known points a PCHIP curve is monotone: a filled
  gap never overshoots the values around it, however long the gap (a cubic spline swings far out on a
  24-hour gap, which is worse than a straight line for cleaning).
- ``seasonal``: seasonal profile plus local level. The cycle is one day (``86400 / period`` points)
  when the series spans at least two days, else the longest natural cycle (an hour, a minute) seen
  twice. The series is detrended by a centred moving mean one cycle wide (``2 x m`` for an even
  cycle, only where the window is complete, so a gap cannot tilt it); the profile of a point is the
  mean detrended value at the same phase in up to :data:`SEASONAL_CYCLES` cycles (a week for a daily
  cycle) on either side: a *local* profile, so it follows slow changes of the daily shape. The rest
  (the level) is interpolated linearly in time across the gap and the profile added back. A series
  without a usable cycle gets ``linear``.
- ``partners``: cross-series: a gap is regressed on the best-correlated other series observed through it,
  anchored to both gap edges (:mod:`sparkhu.analysis.partner_imputation`); ``seasonal`` where no partner
  covers a gap.
- ``mean`` / ``median``: the series' mean / median of known values.
- ``leave``: keep the NaN.

Every variant except ``leave`` fills every row of a series that has at least one known value: the
edges that a method cannot reach (before the first or after the last known point) take the nearest
known value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

import numpy as np
import pandas as pd

from sparkhu.analysis._columns import US_PER_SECOND, FloatArray, Int64Array
from sparkhu.analysis._grid import BoolArray, Grid, next_known, previous_known, segment_quantiles, sorted_grid
from sparkhu.analysis.partner_imputation import fill_from_partners
from sparkhu.frame import VALUE

#: Cycles tried for the seasonal variant, longest first (seconds); one must fit twice in the series.
NATURAL_CYCLES_S = (86_400.0, 3_600.0, 60.0)
#: Cycles on either side of a point that its seasonal profile averages over.
SEASONAL_CYCLES = 7

Imputer = Callable[[Grid, FloatArray], FloatArray]
_REGISTRY: dict[str, Imputer] = {}


def register(name: str) -> Callable[[Imputer], Imputer]:
    """Register an imputer under ``name``; it gets a grid whose missing values are NaN and the periods."""

    def decorate(function: Imputer) -> Imputer:
        _REGISTRY[name] = function
        return function

    return decorate


def impute(frame: pd.DataFrame, variant: str, periods: Mapping[str, float | None]) -> pd.DataFrame:
    """Fill the missing points (and outliers) of every series with one variant.

    Args:
        frame: Long frame on the regular grid (series_id, ts, value[, is_missing, is_outlier]); other
            columns are kept.
        variant: One of :data:`VARIANTS`.
        periods: Decided period in seconds per series (only ``seasonal`` uses it; a series without
            one gets the median step of its timestamps).

    Returns:
        ``frame``'s rows sorted by series_id and ts, ``value`` filled, plus ``variant`` (string).
        ``is_missing`` and ``is_outlier`` keep their input flags: they say which values are imputed.

    Raises:
        ValueError: On an unknown variant or a frame without the long columns.

    """
    grid = sorted_grid(frame)
    missing = missing_mask(grid, frame)
    filled = fill(grid, missing, variant, period_seconds(grid, periods))
    out = grid.rows(frame).copy()
    out[VALUE] = pd.Series(filled, dtype="float64")
    out["variant"] = pd.Series(variant, index=out.index, dtype="string")
    return out


def missing_mask(grid: Grid, frame: pd.DataFrame) -> BoolArray:
    """Rows (grid order) that imputation replaces: NaN values, ``is_missing`` and ``is_outlier`` rows."""
    flagged: BoolArray = grid.flag(frame, "is_missing") | grid.flag(frame, "is_outlier")
    return flagged | np.isnan(grid.values)


def fill(grid: Grid, missing: BoolArray, variant: str, periods: FloatArray) -> FloatArray:
    """Impute the ``missing`` rows of a grid with one variant (the array form of :func:`impute`).

    Args:
        grid: The series, sorted.
        missing: Rows to replace.
        variant: One of :data:`VARIANTS`.
        periods: Period in seconds per series code.

    Returns:
        One value per grid row.

    Raises:
        ValueError: On an unknown variant.

    """
    if variant not in _REGISTRY:
        raise ValueError(f"unknown imputation variant {variant!r}; choose one of {', '.join(_REGISTRY)}")
    hidden = replace(grid, values=np.where(missing, np.nan, grid.values))
    return _REGISTRY[variant](hidden, periods)


def period_seconds(grid: Grid, periods: Mapping[str, float | None]) -> FloatArray:
    """Period per series code: the decided one where usable, else the median timestamp step (NaN if none)."""
    decided = np.array([_positive(periods.get(str(series_id))) for series_id in grid.ids], dtype=np.float64)
    steps = np.diff(grid.micros).astype(np.float64) / US_PER_SECOND
    same = grid.codes[1:] == grid.codes[:-1]
    fallback = segment_quantiles(grid.codes[1:][same], steps[same], len(grid.ids), 0.5)
    return np.where(np.isnan(decided), fallback, decided)


def _positive(period: float | None) -> float:
    """A period as a positive float, or NaN."""
    if period is None or not np.isfinite(period) or period <= 0:
        return np.nan
    return float(period)


def _row_bounds(grid: Grid) -> tuple[Int64Array, Int64Array]:
    """First row and one-past-last row of every row's series."""
    return grid.starts[grid.codes], grid.ends[grid.codes]


def _neighbours(grid: Grid) -> tuple[Int64Array, Int64Array]:
    """Previous and next known row of every row (itself when known, -1 when none)."""
    known = ~np.isnan(grid.values)
    low, high = _row_bounds(grid)
    return previous_known(known, low), next_known(known, high)


def _take(values: FloatArray, index: Int64Array) -> FloatArray:
    """``values[index]`` with NaN where ``index`` is -1."""
    return np.where(index >= 0, values[np.maximum(index, 0)], np.nan)


def _nearest_edges(grid: Grid, filled: FloatArray) -> FloatArray:
    """Fill what a method left NaN at a series' edges with the nearest known value."""
    before, after = _neighbours(grid)
    carried = np.where(np.isnan(filled), _take(grid.values, before), filled)
    return np.where(np.isnan(carried), _take(grid.values, after), carried)


@register("locf")
def _locf(grid: Grid, periods: FloatArray) -> FloatArray:
    """Last observation carried forward."""
    before, _ = _neighbours(grid)
    return _nearest_edges(grid, _take(grid.values, before))


@register("nocb")
def _nocb(grid: Grid, periods: FloatArray) -> FloatArray:
    """Next observation carried backward."""
    _, after = _neighbours(grid)
    return _nearest_edges(grid, _take(grid.values, after))


@register("linear")
def _linear(grid: Grid, periods: FloatArray) -> FloatArray:
    """Straight line in time between the known neighbours."""
    return _nearest_edges(grid, _interpolate_in_time(grid, grid.values))


def _interpolate_in_time(grid: Grid, values: FloatArray) -> FloatArray:
    """Linear interpolation in time of ``values``' NaN rows between known rows (edges stay NaN)."""
    known = ~np.isnan(values)
    low, high = _row_bounds(grid)
    before, after = previous_known(known, low), next_known(known, high)
    inside = (before >= 0) & (after >= 0)
    b, a = before[inside], after[inside]
    width = (grid.micros[a] - grid.micros[b]).astype(np.float64)
    # A known row is its own neighbour on both sides (width 0): its share is 0, its value itself.
    share = np.divide((grid.micros[inside] - grid.micros[b]).astype(np.float64), width,
                      out=np.zeros(len(b)), where=width > 0)
    out = np.full(len(values), np.nan)
    out[inside] = values[b] + share * (values[a] - values[b])
    return out


@register("spline")
def _spline(grid: Grid, periods: FloatArray) -> FloatArray:
    """Shape-preserving piecewise cubic Hermite (PCHIP) in time through the known points."""
    known = np.flatnonzero(~np.isnan(grid.values))
    slopes = _pchip_slopes(grid, known)
    before, after = _neighbours(grid)
    gap = (before >= 0) & (after >= 0) & (before != after)
    b, a = before[gap], after[gap]
    # Position of each neighbour among the known rows, to look its slope up.
    rank = np.cumsum(~np.isnan(grid.values)) - 1
    width = (grid.micros[a] - grid.micros[b]).astype(np.float64) / US_PER_SECOND
    s = (grid.micros[gap] - grid.micros[b]).astype(np.float64) / US_PER_SECOND / width
    h00, h10 = 2 * s**3 - 3 * s**2 + 1, s**3 - 2 * s**2 + s
    h01, h11 = -2 * s**3 + 3 * s**2, s**3 - s**2
    filled = grid.values.copy()
    filled[gap] = (h00 * grid.values[b] + h10 * width * slopes[rank[b]]
                   + h01 * grid.values[a] + h11 * width * slopes[rank[a]])
    return _nearest_edges(grid, filled)


def _pchip_slopes(grid: Grid, known: Int64Array) -> FloatArray:
    """Fritsch-Carlson derivative (value per second) at every known row, in known-row order.

    Interior points take the weighted harmonic mean of the two secant slopes (0 where they differ in
    sign: a local extremum stays flat); a series' first and last known points take their one secant.
    """
    codes, values = grid.codes[known], grid.values[known]
    seconds = grid.micros[known].astype(np.float64) / US_PER_SECOND
    same = codes[1:] == codes[:-1]
    h = np.where(same, np.diff(seconds), np.nan)
    delta = np.where(same, np.diff(values) / np.where(same, h, 1.0), np.nan)
    left = np.concatenate(([np.nan], delta))  # secant ending at each known point
    right = np.concatenate((delta, [np.nan]))  # secant starting at it
    h_left, h_right = np.concatenate(([np.nan], h)), np.concatenate((h, [np.nan]))
    w1, w2 = 2 * h_right + h_left, h_right + 2 * h_left
    with np.errstate(divide="ignore", invalid="ignore"):
        harmonic = (w1 + w2) / (w1 / left + w2 / right)
    interior = np.where(left * right > 0, harmonic, 0.0)
    slopes = np.where(np.isnan(left), right, np.where(np.isnan(right), left, interior))
    return np.nan_to_num(slopes)


@register("seasonal")
def _seasonal(grid: Grid, periods: FloatArray) -> FloatArray:
    """Local seasonal profile plus the level interpolated in time across the gap.

    The profile matters only at the missing rows and at the known rows that bound each gap (the level
    is interpolated between those). When those are few (usually a few percent of the rows) it is
    evaluated there alone; gathering at scattered rows costs more than whole passes beyond an eighth.
    """
    cycle = seasonal_cycle_points(grid, periods)[grid.codes]
    missing = np.isnan(grid.values)
    detrended = grid.values - _MovingMean(grid, grid.values).at(np.arange(len(grid.values)), cycle)
    if 3 * int(missing.sum()) > len(missing) // 8:
        profile = _local_profile(grid, detrended, None, cycle)
        profile = np.where(np.isnan(profile) | (cycle < 2), 0.0, profile)
    else:
        before, after = _neighbours(grid)
        rows = np.unique(np.concatenate([np.flatnonzero(missing), before[missing], after[missing]]))
        rows = rows[rows >= 0]
        profile = np.zeros(len(grid.values))
        found = _local_profile(grid, detrended, rows, cycle)
        profile[rows] = np.where(np.isnan(found) | (cycle[rows] < 2), 0.0, found)
    level = _interpolate_in_time(grid, grid.values - profile)
    filled = np.where(missing, level + profile, grid.values)
    return _nearest_edges(grid, filled)


def seasonal_cycle_points(grid: Grid, periods: FloatArray) -> Int64Array:
    """Points per seasonal cycle of every series (0 where none fits; see the module docstring)."""
    span = (grid.micros[grid.ends - 1] - grid.micros[grid.starts]).astype(np.float64) / US_PER_SECOND
    span = np.where(grid.sizes > 0, span, 0.0)
    points = np.zeros(len(grid.ids), dtype=np.int64)
    for cycle in reversed(NATURAL_CYCLES_S):
        # Shorter cycles first, so that a longer one that also fits overwrites them.
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = cycle / periods
        whole = np.isfinite(ratio) & (np.abs(ratio - np.rint(ratio)) < 1e-6 * np.maximum(ratio, 1))
        fits = whole & (np.rint(np.nan_to_num(ratio)) >= 2) & (span >= 2 * cycle)
        points = np.where(fits, np.rint(np.nan_to_num(ratio)).astype(np.int64), points)
    return points


class _MovingMean:
    """Centred moving mean of the known values over one cycle, clipped to the series, at any rows.

    An even cycle uses the classical ``2 x m`` average (the two end points weigh one half), so that
    every phase of the cycle weighs the same and a pure seasonal signal leaves no trace in the trend.
    NaN where the window lacks a point or runs past the series' ends. Prefix sums are built once, so
    each evaluation costs O(rows asked).
    """

    def __init__(self, grid: Grid, values: FloatArray) -> None:
        self.known = ~np.isnan(values)
        self.zeroed = np.where(self.known, values, 0.0)
        self.sums = np.concatenate(([0.0], np.cumsum(self.zeroed)))
        self.counts = np.concatenate(([0], np.cumsum(self.known)))
        self.low, self.high = _row_bounds(grid)

    def at(self, rows: Int64Array, cycle: Int64Array) -> FloatArray:
        """The moving mean at ``rows``, whose cycle lengths are ``cycle``."""
        low, high = self.low[rows], self.high[rows]
        even = cycle % 2 == 0
        inner = np.where(even, cycle // 2 - 1, cycle // 2)
        first, last = np.maximum(rows - inner, low), np.minimum(rows + inner + 1, high)
        total = self.sums[last] - self.sums[first]
        weight = (self.counts[last] - self.counts[first]).astype(np.float64)
        for side in (-1, 1):
            edge = rows + side * (inner + 1)
            usable = even & (cycle >= 2) & (edge >= low) & (edge < high)
            at = np.clip(edge, 0, max(len(self.zeroed) - 1, 0))
            total += np.where(usable, 0.5 * self.zeroed[at], 0.0)
            weight += np.where(usable & self.known[at], 0.5, 0.0)
        # Only a window with every phase present is unbiased: a gap inside it would tilt it towards the
        # phases that remain.
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(weight >= np.maximum(cycle, 1), total / weight, np.nan)


def _local_profile(grid: Grid, detrended: FloatArray, rows: Int64Array | None, cycle: Int64Array) -> FloatArray:
    """Mean detrended known value at the same phase, up to SEASONAL_CYCLES cycles either side.

    At ``rows`` only, or at every row when ``rows`` is None.
    """
    low, high = _row_bounds(grid)
    length = cycle
    if rows is None:
        rows = np.arange(len(detrended))
    else:
        low, high, length = low[rows], high[rows], cycle[rows]
    total, count = np.zeros(len(rows)), np.zeros(len(rows))
    last = max(len(detrended) - 1, 0)
    for shift in range(-SEASONAL_CYCLES, SEASONAL_CYCLES + 1):
        other = rows + shift * length
        usable = (length >= 2) & (other >= low) & (other < high)
        value = np.where(usable, detrended[np.clip(other, 0, last)], np.nan)
        present = ~np.isnan(value)
        total += np.where(present, value, 0.0)
        count += present
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)


@register("partners")
def _partners(grid: Grid, periods: FloatArray) -> FloatArray:
    """Gaps from correlated partners observed through them; the seasonal fill elsewhere."""
    return fill_from_partners(grid, _seasonal(grid, periods))


@register("mean")
def _mean(grid: Grid, periods: FloatArray) -> FloatArray:
    """The series' mean of known values."""
    known = ~np.isnan(grid.values)
    n = len(grid.ids)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.bincount(grid.codes[known], grid.values[known], n) / np.bincount(grid.codes[known], None, n)
    return np.where(known, grid.values, means[grid.codes])


@register("median")
def _median(grid: Grid, periods: FloatArray) -> FloatArray:
    """The series' median of known values."""
    medians = segment_quantiles(grid.codes, grid.values, len(grid.ids), 0.5)
    return np.where(np.isnan(grid.values), medians[grid.codes], grid.values)


@register("leave")
def _leave(grid: Grid, periods: FloatArray) -> FloatArray:
    """Keep the missing values NaN."""
    return grid.values.copy()


#: The registered variant names.
VARIANTS: tuple[str, ...] = tuple(_REGISTRY)
#: Variants whose fill of a series depends on the other series of the grid (the rest are per series).
CROSS_SERIES: tuple[str, ...] = ("partners",)
