"""Relations between series: alignment on a common grid, correlation, lead-lag, and bounded candidates.

Two series sampled at different rates are compared on their **superperiod**: the coarser of their two
periods, so that every bucket of the grid holds at least one observation of each series where both were
observed and no value is invented (buckets average what fell in them; a bucket missing either series is
left out, never filled). On that grid, per pair:

* Pearson and Spearman (rank) correlation of the levels, and Pearson correlation of the differences
  (levels of two trending series correlate whatever their relation; differences do not);
* the lagged cross-correlation of the differences at lags ``-max_lag..max_lag`` grid steps (fewer on a
  short common span: every lag keeps at least ``MIN_OVERLAP`` pairs): the best lag (positive: ``a`` leads
  ``b`` by that many seconds) and its correlation;
* its significance: each differenced series is prewhitened (the residual of an AR(1) fitted to it, so
  autocorrelation cannot fake a lead) and the best absolute cross-correlation over all lags is judged
  against white noise (normal with variance 1/n at each lag, Šidák-corrected for the lags searched), or
  against random shuffles of one series (a seeded permutation test) when asked.

Never all pairs of many series: :func:`candidate_partners` bounds each series' partners to declared
relations first, then the series of its group that a cheap screen (correlation of coarse, differenced
sketches) ranks highest, at most ``bound`` per series.

Pure numpy/pandas: frames follow the long contract ``(series_id, ts, value)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sparkhu.frame import SERIES, TS, VALUE

MIN_OVERLAP = 8
"""Fewer common grid points than this and a pair is reported as not comparable."""


@dataclass(frozen=True)
class PairCorrelation:
    """What is known of the relation between two series (``a`` leads ``b`` when ``best_lag_s`` > 0)."""

    series_a: str
    series_b: str
    n: int
    pearson: float
    spearman: float
    diff_corr: float
    best_lag_s: float
    best_lag_corr: float
    p_value: float
    grid_s: float
    interval: str = ""
    note: str = ""


def superperiod(period_a: float, period_b: float) -> float:
    """The grid two series are compared on: the coarser of their periods (seconds)."""
    if period_a <= 0 or period_b <= 0:
        raise ValueError(f"periods must be positive, got {period_a} and {period_b}")
    return float(max(period_a, period_b))


def on_grid(points: pd.DataFrame, grid_s: float) -> pd.Series:
    """Mean of one series' observed values per grid bucket (buckets aligned on the Unix epoch)."""
    values = points[VALUE].to_numpy(dtype=float)
    known = np.isfinite(values)
    buckets = _micros(points[TS])[known] // int(grid_s * 1_000_000)
    unique, inverse = np.unique(buckets, return_inverse=True)
    sums = np.bincount(inverse, weights=values[known], minlength=len(unique))
    counts = np.bincount(inverse, minlength=len(unique))
    return pd.Series(sums / np.maximum(counts, 1), index=unique)


def _micros(stamps: pd.Series) -> np.ndarray:
    """Microseconds since the epoch of timestamps (naive ones are taken as UTC)."""
    if not isinstance(stamps.dtype, pd.DatetimeTZDtype):
        stamps = pd.to_datetime(stamps, utc=True)
    return stamps.dt.tz_convert("UTC").dt.as_unit("us").array.asi8


def aligned(a: pd.DataFrame, b: pd.DataFrame, grid_s: float) -> pd.DataFrame:
    """Both series on the grid, only where both were observed: columns ``a``, ``b``, index bucket number."""
    both = pd.concat({"a": on_grid(a, grid_s), "b": on_grid(b, grid_s)}, axis=1, join="inner")
    return both.sort_index()


def correlate_pair(a: pd.DataFrame, b: pd.DataFrame, grid_s: float, max_lag: int = 24, permutations: int = 0,
                   seed: int = 0, names: tuple[str, str] = ("a", "b")) -> PairCorrelation:
    """The relation of two series' points on a grid of ``grid_s`` seconds (see the module docstring).

    Args:
        a: Points of the first series (``ts``, ``value``).
        b: Points of the second series.
        grid_s: The grid (usually :func:`superperiod` of the two periods).
        max_lag: Largest lead or lag searched, in grid steps.
        permutations: Shuffles of a permutation test; 0 (the default) uses the prewhitened baseline.
        seed: Seed of the shuffles (the same inputs give the same p-value).
        names: The series ids reported.
    """
    return correlate_grids(on_grid(a, grid_s), on_grid(b, grid_s), grid_s, max_lag, permutations, seed, names)


def correlate_grids(grid_a: pd.Series, grid_b: pd.Series, grid_s: float, max_lag: int = 24, permutations: int = 0,
                    seed: int = 0, names: tuple[str, str] = ("a", "b")) -> PairCorrelation:
    """:func:`correlate_pair` on series already put on the grid by :func:`on_grid`.

    A series' grid is computed once however many partners it has; the pair itself is pure numpy.
    """
    buckets, in_a, in_b = np.intersect1d(grid_a.index.to_numpy(), grid_b.index.to_numpy(), return_indices=True)
    levels_a, levels_b = grid_a.to_numpy()[in_a], grid_b.to_numpy()[in_b]
    interval = f"{_bucket_time(buckets[0], grid_s)}/{_bucket_time(buckets[-1] + 1, grid_s)}" if len(buckets) else ""
    problem = _not_comparable(levels_a, levels_b)
    if problem:
        return _empty(names, len(buckets), grid_s, interval, problem)
    diff_a, diff_b = _steps(buckets, levels_a), _steps(buckets, levels_b)
    max_lag = reachable_lag(len(diff_a), max_lag)
    lag, lag_corr = best_lag(diff_a, diff_b, max_lag)
    p_value = lead_significance(diff_a, diff_b, max_lag, permutations, seed)
    return PairCorrelation(series_a=names[0], series_b=names[1], n=len(buckets),
                           pearson=_pearson(levels_a, levels_b), spearman=_spearman(levels_a, levels_b),
                           diff_corr=_pearson(diff_a, diff_b), best_lag_s=lag * grid_s, best_lag_corr=lag_corr,
                           p_value=p_value, grid_s=grid_s, interval=interval)


def reachable_lag(steps: int, max_lag: int) -> int:
    """The largest lag searched over ``steps`` differences: every lag keeps at least MIN_OVERLAP pairs.

    A lag that leaves two or three pairs can show any correlation (and none that can be measured): on a
    short common span the search stops where the overlap becomes too small.
    """
    return max(0, min(max_lag, steps - MIN_OVERLAP))


def _steps(buckets: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Differences between consecutive grid steps over the common span (NaN next to a gap): lags count steps."""
    full = np.full(int(buckets[-1] - buckets[0]) + 1, np.nan)
    full[buckets - buckets[0]] = values
    return np.diff(full)


def _not_comparable(levels_a: np.ndarray, levels_b: np.ndarray) -> str:
    """Why a pair cannot be measured ('' when it can)."""
    if len(levels_a) < MIN_OVERLAP:
        return f"only {len(levels_a)} common grid points (at least {MIN_OVERLAP} needed)"
    for name, levels in (("a", levels_a), ("b", levels_b)):
        if np.std(levels) == 0:
            return f"series {name} is constant on the common grid"
    return ""


def best_lag(diff_a: np.ndarray, diff_b: np.ndarray, max_lag: int) -> tuple[int, float]:
    """The lag in steps (positive: ``a`` leads) with the largest absolute correlation, and that correlation.

    The lags are screened at once on z-scores (one matrix product); the winner's correlation is then
    computed exactly over the pairs where both differences are known.
    """
    lags = np.arange(-max_lag, max_lag + 1)
    scores = _lag_scores(_standard(diff_a), _standard(diff_b)[None, :], lags)[:, 0]
    if not np.any(scores):
        return 0, float("nan")
    order = np.argsort(-np.abs(scores), kind="stable")
    lag = int(lags[order[0]])
    return lag, lagged_corr(diff_a, diff_b, lag)


def _lag_scores(x: np.ndarray, partners: np.ndarray, lags: np.ndarray) -> np.ndarray:
    """Approximate correlations (lags x partners) of standardised ``x`` with each row of ``partners``.

    Row ``i`` pairs ``x[t]`` with ``partner[t + lags[i]]``; the lagged copies of ``x`` are windows of one
    zero-padded array (a view, no copy), so all lags are one matrix product.
    """
    reach = int(np.abs(lags).max())
    padded = np.concatenate([np.zeros(reach), x, np.zeros(reach)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, len(x))
    shifted = windows[reach - lags]
    overlap = np.maximum(len(x) - np.abs(lags), 1).astype(float)
    return (shifted @ partners.T) / overlap[:, None]


def lagged_corr(x: np.ndarray, y: np.ndarray, lag: int) -> float:
    """Correlation of ``x[t]`` with ``y[t + lag]`` over the pairs where both are defined."""
    if lag >= 0:
        left, right = x[: len(x) - lag], y[lag:]
    else:
        left, right = x[-lag:], y[: len(y) + lag]
    return _pearson(left, right)


def lead_significance(diff_a: np.ndarray, diff_b: np.ndarray, max_lag: int, permutations: int = 0,
                      seed: int = 0) -> float:
    """P-value of the best absolute lagged correlation of the prewhitened differences.

    ``permutations`` = 0 (the default) uses the prewhitened baseline: with no relation, each lag's
    correlation of two white series is about normal with variance 1/n, and the best of ``2 max_lag + 1``
    lags gets Šidák's correction. Otherwise a seeded permutation test: the same maximum after shuffles of
    one series (all lags of all shuffles in one matrix product).
    """
    x, y = _standard(prewhiten(diff_a)), _standard(prewhiten(diff_b))
    lags = np.arange(-max_lag, max_lag + 1)
    known = int(np.count_nonzero(x) and min(np.count_nonzero(x), np.count_nonzero(y)))
    if known < 3:
        return float("nan")
    observed = float(np.abs(_lag_scores(x, y[None, :], lags)).max())
    if permutations <= 0:
        single = math.erfc(observed * math.sqrt(known) / math.sqrt(2.0))
        return float(1.0 - (1.0 - min(single, 1.0)) ** len(lags))
    rng = np.random.default_rng(seed)
    strongest = np.abs(_lag_scores(x, rng.permuted(np.tile(y, (permutations, 1)), axis=1), lags)).max(axis=0)
    return float((strongest >= observed - 1e-12).sum() + 1) / (permutations + 1)


def _standard(values: np.ndarray) -> np.ndarray:
    """Z-scores of the known values, 0 where unknown."""
    known = np.isfinite(values)
    if known.sum() < 3 or np.std(values[known]) == 0:
        return np.zeros_like(values, dtype=float)
    return np.where(known, (values - np.mean(values[known])) / np.std(values[known]), 0.0)


def prewhiten(values: np.ndarray) -> np.ndarray:
    """The residual of an AR(1) fitted by least squares (NaN stays NaN): what the series' own past cannot say."""
    previous, current = values[:-1], values[1:]
    usable = np.isfinite(previous) & np.isfinite(current)
    if usable.sum() < 3 or np.var(previous[usable]) == 0:
        return values.copy()
    centred = previous[usable] - previous[usable].mean()
    phi = float(np.dot(centred, current[usable] - current[usable].mean()) / np.dot(centred, centred))
    residual = np.full_like(values, np.nan, dtype=float)
    residual[1:] = current - phi * previous
    return residual


def candidate_partners(sketches: pd.DataFrame, groups: Mapping[str, str], declared: Mapping[str, Sequence[str]],
                       bound: int) -> dict[str, list[str]]:
    """At most ``bound`` partners per series: declared ones first, then the best-screened of its group.

    Args:
        sketches: One column per series: a coarse grid of its values (e.g. daily means), NaN where unknown.
        groups: Group of each series (series of other groups are never screened against it).
        declared: Partners declared for a series (always candidates, within the bound).
        bound: The most partners a series gets.
    """
    partners: dict[str, list[str]] = {}
    screened = screen(sketches, groups)
    for series in sketches.columns:
        chosen = [p for p in declared.get(series, []) if p != series and p in sketches.columns][:bound]
        ranked = screened.get(series, [])
        chosen += [p for p in ranked if p not in chosen][: bound - len(chosen)]
        partners[series] = chosen
    return partners


def screen(sketches: pd.DataFrame, groups: Mapping[str, str]) -> dict[str, list[str]]:
    """Per series, the other series of its group ranked by |correlation| of differenced, standardised sketches."""
    ranked: dict[str, list[str]] = {}
    by_group: dict[str, list[str]] = {}
    for series in sketches.columns:
        by_group.setdefault(groups.get(series, ""), []).append(series)
    for members in by_group.values():
        ranked.update(_rank_within(sketches[members]))
    return ranked


def _rank_within(sketches: pd.DataFrame) -> dict[str, list[str]]:
    """Rank partners inside one group by one matrix product (missing sketch points count as zero)."""
    diffs = sketches.diff().iloc[1:]
    standard = (diffs - diffs.mean()) / diffs.std(ddof=0).replace(0, np.nan)
    matrix = standard.fillna(0.0).to_numpy()
    counts = np.maximum(np.isfinite(standard.to_numpy()).astype(float).T @ np.isfinite(standard.to_numpy()), 1)
    similarity = np.abs(matrix.T @ matrix) / counts
    np.fill_diagonal(similarity, -1.0)
    names = list(sketches.columns)
    return {name: [names[j] for j in np.argsort(-similarity[i], kind="stable") if j != i]
            for i, name in enumerate(names)}


def sketch(points: pd.DataFrame, grid_s: float) -> pd.DataFrame:
    """Every series of a long frame on one coarse grid: the screening input of :func:`candidate_partners`."""
    columns = {str(series): on_grid(group, grid_s) for series, group in points.groupby(SERIES, sort=True)}
    return pd.DataFrame(columns).sort_index()


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    usable = np.isfinite(x) & np.isfinite(y)
    if usable.sum() < 3:
        return float("nan")
    left, right = x[usable] - x[usable].mean(), y[usable] - y[usable].mean()
    scale = float(np.sqrt(np.dot(left, left) * np.dot(right, right)))
    return float(np.dot(left, right) / scale) if scale > 0 else float("nan")


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    return _pearson(_ranks(x), _ranks(y))


def _ranks(values: np.ndarray) -> np.ndarray:
    """Ranks from one sort (scipy's average ranks only when there are ties, which are rare in floats)."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    if np.any(ordered[1:] == ordered[:-1]):
        from scipy.stats import rankdata  # imported here: scipy.stats alone costs every worker 0.4 s at start

        return np.asarray(rankdata(values), dtype=float)
    ranks = np.empty(len(values))
    ranks[order] = np.arange(1, len(values) + 1)
    return ranks


def _bucket_time(bucket: int, grid_s: float) -> str:
    return pd.Timestamp(int(bucket * grid_s), unit="s", tz="UTC").isoformat()


def _empty(names: tuple[str, str], n: int, grid_s: float, interval: str, note: str) -> PairCorrelation:
    nan = float("nan")
    return PairCorrelation(series_a=names[0], series_b=names[1], n=n, pearson=nan, spearman=nan, diff_corr=nan,
                           best_lag_s=nan, best_lag_corr=nan, p_value=nan, grid_s=grid_s, interval=interval,
                           note=note)


def correlate_series(points: pd.DataFrame, periods: Mapping[str, float], groups: Mapping[str, str],
                     declared: Mapping[str, Sequence[str]] | None = None, bound: int = 20, max_lag: int = 24,
                     sketch_s: float = 86_400.0) -> list[PairCorrelation]:
    """Every candidate pair of a long frame, measured once (``a`` before ``b`` by id).

    Args:
        points: Long frame ``(series_id, ts, value)`` of the series to relate.
        periods: Decided period of each series (seconds); a series without one is skipped.
        groups: Group of each series; only series of one group are screened against each other.
        declared: Partners declared per series (always candidates).
        bound: Candidates per series (the work grows as series x bound, never series²).
        max_lag: Largest lead searched, in steps of each pair's grid.
        sketch_s: Grid of the screening sketches (coarse: a day by default).
    """
    known = points[points[SERIES].isin(list(periods))]
    partners = candidate_partners(sketch(known, sketch_s), groups, declared or {}, bound)
    pairs = sorted({tuple(sorted((series, partner))) for series, chosen in partners.items() for partner in chosen})
    by_series = {str(series): frame for series, frame in known.groupby(SERIES, sort=False)}
    grids: dict[tuple[str, float], pd.Series] = {}
    results = []
    for a, b in pairs:
        grid_s = superperiod(periods[a], periods[b])
        for name in (a, b):
            if (name, grid_s) not in grids:
                grids[(name, grid_s)] = on_grid(by_series[name], grid_s)
        results.append(correlate_grids(grids[(a, grid_s)], grids[(b, grid_s)], grid_s, max_lag, names=(a, b)))
    return results
