"""Cross-series imputation: fill a series' gap from correlated partners observed during the gap.

For each gap of a series (a run of missing rows), the partners are the series of the same grid whose
differences correlate best with its own (on the rows both know; at most :data:`PARTNERS`), among those
observed at every timestamp of the gap. A ridge regression of the series on those partners is fitted on
a window around the gap (:data:`WINDOW_GAPS` gap lengths on each side, at least :data:`MIN_WINDOW`
rows), it predicts the gap, and the prediction is anchored to both edges: the regression's residuals at
the last known row before and the first known row after the gap are interpolated linearly across it
and added (so the fill meets the observed values at both ends, as the univariate variants do).

Partners are only ever series sampled at the same instants (same step and phase, see
:func:`instant_groups`). A gap that no partner covers, or whose window has too few complete rows, keeps
the ``seasonal`` fill; so does every series alone in its instant group, or in a group of more than
:data:`MAX_SERIES` (their partners will come from the ``correlations`` table rather than from all
pairs). Timestamps are matched exactly: a partner sampled at other instants is never interpolated to the
series' instants.
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
"""Above this many series in one instant group, all-pairs ranking is too costly: the seasonal fill stays."""
RIDGE = 1e-3
"""Ridge penalty relative to the regressors' variance (keeps nearly collinear partners stable)."""


def fill_from_partners(grid: Grid, fallback: FloatArray) -> FloatArray:
    """Every row's value, gaps filled from partners where they cover them and from ``fallback`` elsewhere.

    Partners are looked for only among the series sampled at the same instants (same step and phase):
    the others never share a timestamp with it, and ranking them would cost all pairs over the union of
    every series' instants, which at long spans and mixed periods was most of a cleaning run.

    Args:
        grid: The series, missing values NaN.
        fallback: A complete fill (the seasonal variant's) for the rows partners cannot reach.
    """
    filled = fallback.copy()
    for members in instant_groups(grid):
        if 2 <= len(members) <= MAX_SERIES:
            _fill_group(grid, members, filled)
    return filled


def instant_groups(grid: Grid) -> list[Int64Array]:
    """The series (as code arrays) grouped by their first step and its phase; series under two rows left out."""
    usable = np.flatnonzero(grid.sizes >= 2)
    first = grid.micros[grid.starts[usable]]
    step = grid.micros[grid.starts[usable] + 1] - first
    phase = first % np.where(step > 0, step, 1)
    _, group = np.unique(np.column_stack([step, phase]), axis=0, return_inverse=True)
    group = np.asarray(group).reshape(-1)
    return [usable[group == label] for label in range(int(group.max()) + 1)] if len(usable) else []


def _fill_group(grid: Grid, members: Int64Array, filled: FloatArray) -> None:
    """Fill, in place, the gaps of ``members`` from each other (one matrix over their common instants)."""
    rows_of = [np.arange(grid.starts[code], grid.ends[code]) for code in members]
    rows = np.concatenate(rows_of)
    moments, slot = np.unique(grid.micros[rows], return_inverse=True)
    column = np.repeat(np.arange(len(members)), [len(r) for r in rows_of])
    matrix = np.full((len(moments), len(members)), np.nan)
    matrix[slot, column] = grid.values[rows]
    ranking = partner_ranking(matrix)
    offset = 0
    for local, series_rows in enumerate(rows_of):
        slots = slot[offset : offset + len(series_rows)]
        offset += len(series_rows)
        for gap in _gaps(np.isnan(grid.values[series_rows])):
            predicted = _predict_gap(matrix, slots, gap, local, ranking[local])
            if predicted is not None:
                filled[series_rows[gap[0] : gap[1]]] = predicted


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
    chosen = _covering_partners(matrix, inside, ranked)
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


def _covering_partners(matrix: FloatArray, inside: Int64Array, ranked: list[int]) -> list[int]:
    """The first :data:`PARTNERS` of ``ranked`` observed at every one of the ``inside`` rows."""
    chosen: list[int] = []
    for partner in ranked:
        if not np.isnan(matrix[inside, partner]).any():
            chosen.append(partner)
            if len(chosen) == PARTNERS:
                break
    return chosen


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
