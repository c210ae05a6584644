"""Cross-series imputation: fill a series' gap from correlated partners observed during the gap.

For each gap of a series (a run of missing rows), the partners are the series of the same grid whose
differences correlate best with its own (on the rows both know; at most :data:`PARTNERS`), among those
observed at every timestamp of the gap. A ridge regression of the series on those partners is fitted on
a window around the gap (:data:`WINDOW_GAPS` gap lengths on each side, at least :data:`MIN_WINDOW`
rows), it predicts the gap, and the prediction is anchored to both edges: the regression's residuals at
the last known row before and the first known row after the gap are interpolated linearly across it
and added (so the fill meets the observed values at both ends, as the univariate variants do).

A gap that no partner covers, or whose window has too few complete rows, keeps the ``seasonal`` fill;
so does every series of a grid with one series, or with more than :data:`MAX_SERIES` (their partners
will come from the ``correlations`` table rather than from all pairs). Timestamps are matched exactly:
a partner sampled at other instants is never interpolated to the series' instants.
"""

from __future__ import annotations

import numpy as np

from sparkhu.analysis._columns import FloatArray, Int64Array
from sparkhu.analysis._grid import Grid

PARTNERS = 3
"""Partners a gap is regressed on (the best-correlated of those observed through the gap)."""
WINDOW_GAPS = 4
"""Fit window on each side of a gap, in gap lengths."""
MIN_WINDOW = 48
"""Fewest rows of the fit window on each side."""
MAX_SERIES = 64
"""Above this many series in one grid, all-pairs partner ranking is too costly: the seasonal fill stays."""
RIDGE = 1e-3
"""Ridge penalty relative to the regressors' variance (keeps nearly collinear partners stable)."""


def fill_from_partners(grid: Grid, fallback: FloatArray) -> FloatArray:
    """Every row's value, gaps filled from partners where they cover them and from ``fallback`` elsewhere.

    Args:
        grid: The series, missing values NaN.
        fallback: A complete fill (the seasonal variant's) for the rows partners cannot reach.
    """
    if not 2 <= len(grid.ids) <= MAX_SERIES:
        return fallback
    moments, slot = np.unique(grid.micros, return_inverse=True)
    matrix = np.full((len(moments), len(grid.ids)), np.nan)
    matrix[slot, grid.codes] = grid.values
    ranking = partner_ranking(matrix)
    filled = fallback.copy()
    for series in range(len(grid.ids)):
        rows = np.arange(grid.starts[series], grid.ends[series])
        for gap in _gaps(np.isnan(grid.values[rows])):
            predicted = _predict_gap(matrix, slot[rows], gap, series, ranking[series])
            if predicted is not None:
                filled[rows[gap[0] : gap[1]]] = predicted
    return filled


def partner_ranking(matrix: FloatArray) -> list[list[int]]:
    """Per column, the other columns by decreasing |correlation| of differences (pairwise-complete rows)."""
    steps = np.diff(matrix, axis=0)
    columns = steps.shape[1]
    strength = np.zeros((columns, columns))
    for a in range(columns):
        for b in range(a + 1, columns):
            strength[a, b] = strength[b, a] = abs(_correlation(steps[:, a], steps[:, b]))
    return [[int(b) for b in np.argsort(-strength[a], kind="stable") if b != a and strength[a, b] > 0]
            for a in range(columns)]


def _gaps(missing: np.ndarray) -> list[tuple[int, int]]:
    """``[start, end)`` of every run of missing rows."""
    edges = np.diff(np.concatenate(([0], missing.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True))


def _predict_gap(matrix: FloatArray, slots: Int64Array, gap: tuple[int, int], series: int,
                 ranked: list[int]) -> FloatArray | None:
    """The anchored regression fill of one gap, or None where partners cannot make one."""
    start, end = gap
    inside = slots[start:end]
    chosen = [p for p in ranked if not np.isnan(matrix[inside, p]).any()][:PARTNERS]
    if not chosen:
        return None
    covering = np.array(chosen, dtype=np.int64)
    reach = max(MIN_WINDOW, WINDOW_GAPS * (end - start))
    window = np.concatenate([slots[max(0, start - reach) : start], slots[end : end + reach]])
    target, regressors = matrix[window, series], matrix[np.ix_(window, covering)]
    complete = ~np.isnan(target) & ~np.isnan(regressors).any(axis=1)
    if complete.sum() < 2 * (len(covering) + 1):
        return None
    coefficients = _ridge(regressors[complete], target[complete])
    prediction = _apply(matrix[np.ix_(inside, covering)], coefficients)
    return prediction + _edge_correction(matrix, slots, gap, series, covering, coefficients)


def _ridge(features: FloatArray, target: FloatArray) -> FloatArray:
    """Intercept and coefficients of a ridge fit on standardised features."""
    centre, scale = features.mean(axis=0), features.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    standard = (features - centre) / scale
    gram = standard.T @ standard + RIDGE * len(target) * np.eye(standard.shape[1])
    weights = np.linalg.solve(gram, standard.T @ (target - target.mean()))
    slopes = weights / scale
    return np.concatenate(([target.mean() - centre @ slopes], slopes))


def _apply(features: FloatArray, coefficients: FloatArray) -> FloatArray:
    return np.asarray(coefficients[0] + features @ coefficients[1:], dtype=float)


def _edge_correction(matrix: FloatArray, slots: Int64Array, gap: tuple[int, int], series: int,
                     covering: Int64Array, coefficients: FloatArray) -> FloatArray:
    """Residuals at the gap's known edges, interpolated linearly across it (constant with one edge)."""
    start, end = gap
    length = end - start
    residuals = []
    for edge in (start - 1, end):
        if 0 <= edge < len(slots):
            row = slots[edge]
            partners = matrix[row, covering]
            if not np.isnan(partners).any() and not np.isnan(matrix[row, series]):
                residuals.append((edge, matrix[row, series] - _apply(partners[None, :], coefficients)[0]))
    if not residuals:
        return np.zeros(length)
    if len(residuals) == 1:
        return np.full(length, residuals[0][1])
    (left, before), (right, after) = residuals
    position = (np.arange(start, end) - left) / (right - left)
    return np.asarray(before + (after - before) * position, dtype=float)


def _correlation(x: FloatArray, y: FloatArray) -> float:
    both = ~np.isnan(x) & ~np.isnan(y)
    if both.sum() < 3:
        return 0.0
    left, right = x[both] - x[both].mean(), y[both] - y[both].mean()
    scale = float(np.sqrt((left @ left) * (right @ right)))
    return float(left @ right / scale) if scale > 0 else 0.0
