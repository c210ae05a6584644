"""Pool the imputation variants: per series, keep the variant with the lowest *measured* error.

The measurement hides known points and imputes them back. The hidden points come in runs whose
lengths are drawn from the series' own gap-length distribution (the lengths of its runs of missing
points, outliers included), so a series with long gaps is judged on long gaps; a series without gaps
gets runs of 1 to ``fallback_max_run`` points. Runs are laid out one per slot of equal length across
the series, at a random offset inside the slot, with at least one known point around them; a run that
would touch a real gap is dropped (it would merge into a longer gap than the one drawn).

Randomness is counter-based (a SplitMix64 hash of the seed, the series id and the slot), so a
series' hidden points depend only on the seed and that series: the same with any other series beside
it, in any shard, on any machine.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from sparkhu.analysis._columns import FloatArray, Int64Array, series_column, to_epoch_us
from sparkhu.analysis._grid import BoolArray, Grid, sorted_grid
from sparkhu.analysis.imputation import VARIANTS, fill, missing_mask, period_seconds
from sparkhu.frame import SERIES, TS, VALUE
from sparkhu.selection import CANDIDATE, CHOSEN, COUNT, SCORE, choose, empty_scores, overlay

#: Tie order of :func:`choose_variants`: the simpler, more local variant wins an exact tie.
PREFERENCE = ("linear", "seasonal", "spline", "locf", "nocb", "median", "mean", "leave")
#: The method of a series that could not be scored (too short, or no known points to hide).
DEFAULT_METHOD = "linear"

UInt64Array = npt.NDArray[np.uint64]


def score_variants(
    frame: pd.DataFrame,
    variants: Sequence[str] = VARIANTS,
    periods: Mapping[str, float | None] | None = None,
    seed: int = 0,
    *,
    hide_fraction: float = 0.1,
    fallback_max_run: int = 6,
) -> pd.DataFrame:
    """Error of every variant on known points hidden like the series' real gaps.

    Args:
        frame: Long frame on the regular grid (series_id, ts, value[, is_missing, is_outlier]).
        variants: Variant names to score (see :data:`~sparkhu.analysis.imputation.VARIANTS`).
        periods: Decided period in seconds per series (for ``seasonal``).
        seed: Seed of the hidden runs; equal seeds hide the same points.
        hide_fraction: Share of each series' known points to hide (about; runs touching gaps are dropped).
        fallback_max_run: Longest run hidden in a series without gaps (lengths 1..this, uniform).

    Returns:
        A :mod:`~sparkhu.selection` score table: series_id, candidate (the variant), score (the MAE;
        NaN where nothing was hidden, or the variant leaves NaN), n (hidden points, int64), plus rmse;
        one row per series and variant, sorted by series_id then ``variants`` order.

    Raises:
        ValueError: On an unknown variant, a hide_fraction outside (0, 0.5] or fallback_max_run < 1.

    """
    if not 0 < hide_fraction <= 0.5 or fallback_max_run < 1:
        raise ValueError("hide_fraction must be in (0, 0.5] and fallback_max_run at least 1")
    grid = sorted_grid(frame)
    missing = missing_mask(grid, frame)
    return _scores(grid, missing, period_seconds(grid, periods or {}), variants, seed, hide_fraction,
                   fallback_max_run)


def _scores(grid: Grid, missing: BoolArray, per_series: FloatArray, variants: Sequence[str], seed: int,
            hide_fraction: float, fallback_max_run: int) -> pd.DataFrame:
    """The score table of :func:`score_variants` on a prepared grid."""
    hidden = hide_runs(grid, missing, seed, hide_fraction, fallback_max_run)
    parts = [_errors(grid, hidden, fill(grid, missing | hidden, name, per_series), name) for name in variants]
    if not parts:
        return empty_scores().assign(rmse=pd.Series(dtype="float64"))
    # Stable sort by series keeps the variants in the given order inside each series.
    return pd.concat(parts, ignore_index=True).sort_values(SERIES, kind="stable").reset_index(drop=True)


def _errors(grid: Grid, hidden: BoolArray, filled: FloatArray, variant: str) -> pd.DataFrame:
    """MAE, RMSE and count of the hidden points per series for one variant's imputation."""
    n = len(grid.ids)
    codes = grid.codes[hidden]
    error = filled[hidden] - grid.values[hidden]
    count = np.bincount(codes, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mae = np.bincount(codes, np.abs(error), n) / count
        rmse = np.sqrt(np.bincount(codes, error**2, n) / count)
    return pd.DataFrame(
        {
            SERIES: series_column(grid.ids),
            CANDIDATE: pd.Series([variant] * n, dtype="string"),
            SCORE: mae,
            COUNT: count.astype(np.int64),
            "rmse": rmse,
        }
    )


def hide_runs(grid: Grid, missing: BoolArray, seed: int, hide_fraction: float, fallback_max_run: int) -> BoolArray:
    """Mask of the known rows to hide (see the module docstring for the layout)."""
    lengths, offsets, counts = _gap_lengths(grid, missing)
    mean_length = np.where(counts > 0, _mean_per_series(grid, lengths, offsets, counts), (fallback_max_run + 1) / 2)
    known = grid.sizes - np.bincount(grid.codes[missing], minlength=len(grid.ids))
    slots = np.floor(hide_fraction * known / mean_length).astype(np.int64)
    slot_size = np.where(slots > 0, grid.sizes // np.maximum(slots, 1), 0)
    owner = np.repeat(np.arange(len(grid.ids)), slots)
    slot = np.arange(len(owner)) - np.repeat(np.cumsum(slots) - slots, slots)
    keys = _series_keys(grid.ids, seed)[owner]
    draw = _uniform(keys, slot, 0)
    pick = offsets[owner] + np.floor(draw * counts[owner]).astype(np.int64)
    fallback = 1 + np.floor(draw * fallback_max_run).astype(np.int64)
    drawn = lengths[np.minimum(pick, len(lengths) - 1)] if len(lengths) else fallback
    length = np.where(counts[owner] > 0, drawn, fallback)
    # Room for the run with a known point on each side inside its slot.
    length = np.minimum(length, slot_size[owner] - 2)
    room = slot_size[owner] - length - 1
    start = grid.starts[owner] + slot * slot_size[owner] + 1 + np.floor(_uniform(keys, slot, 1) * room).astype(np.int64)
    usable = (length >= 1) & _clear_of_gaps(missing, start, length)
    return _expand(len(missing), start[usable], length[usable])


def _gap_lengths(grid: Grid, missing: BoolArray) -> tuple[Int64Array, Int64Array, Int64Array]:
    """Lengths of every run of missing rows, grouped by series: (lengths, first index, count) per series."""
    if not len(missing):
        empty = np.zeros(len(grid.ids), dtype=np.int64)
        return np.zeros(0, dtype=np.int64), empty, empty
    new_series = np.zeros(len(missing), dtype=bool)
    new_series[grid.starts[grid.sizes > 0]] = True
    previous = np.concatenate(([False], missing[:-1])) & ~new_series
    run_start = np.flatnonzero(missing & ~previous)
    run_id = np.cumsum(missing & ~previous) - 1
    lengths = np.bincount(run_id[missing], minlength=len(run_start)).astype(np.int64)
    counts = np.bincount(grid.codes[run_start], minlength=len(grid.ids)).astype(np.int64)
    return lengths, (np.cumsum(counts) - counts).astype(np.int64), counts


def _mean_per_series(grid: Grid, lengths: Int64Array, offsets: Int64Array, counts: Int64Array) -> FloatArray:
    """Mean gap length per series (NaN where it has no gaps)."""
    owner = np.repeat(np.arange(len(grid.ids)), counts)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.bincount(owner, lengths.astype(np.float64), len(grid.ids)) / counts


def _clear_of_gaps(missing: BoolArray, start: Int64Array, length: Int64Array) -> BoolArray:
    """Runs whose rows and the row on each side are all known."""
    cumulative = np.concatenate(([0], np.cumsum(missing)))
    return np.asarray(cumulative[start + length + 1] - cumulative[start - 1] == 0, dtype=bool)


def _expand(size: int, start: Int64Array, length: Int64Array) -> BoolArray:
    """A mask with ``length`` rows set from each ``start``."""
    delta = np.zeros(size + 1, dtype=np.int64)
    np.add.at(delta, start, 1)
    np.add.at(delta, start + length, -1)
    return np.asarray(np.cumsum(delta[:-1]) > 0, dtype=bool)


def _series_keys(ids: pd.Index, seed: int) -> UInt64Array:
    """A stable 64-bit key per series id and seed (crc32 is the same in every process, unlike hash())."""
    crc = np.array([zlib.crc32(str(series_id).encode()) for series_id in ids], dtype=np.uint64)
    return _splitmix(crc ^ np.uint64(seed & 0xFFFFFFFFFFFFFFFF))


def _uniform(keys: UInt64Array, counter: Int64Array, stream: int) -> FloatArray:
    """Uniform numbers in [0, 1) from (key, counter, stream): counter-based, order-independent."""
    mixed = _splitmix(keys ^ _splitmix(counter.astype(np.uint64) * np.uint64(2) + np.uint64(stream)))
    return (mixed >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def _splitmix(x: UInt64Array) -> UInt64Array:
    """SplitMix64 finalizer (wrapping uint64 arithmetic)."""
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return np.asarray(z ^ (z >> np.uint64(31)), dtype=np.uint64)


def choose_variants(scores: pd.DataFrame) -> pd.DataFrame:
    """The variant with the lowest MAE per series (:func:`sparkhu.selection.choose`).

    Exact ties go to the variant earlier in :data:`PREFERENCE`; a series without any finite MAE
    gets :data:`DEFAULT_METHOD`.

    Returns:
        series_id, chosen, score, sorted by series_id.
    """
    return choose(scores, PREFERENCE, DEFAULT_METHOD)


def imputed_points(frame: pd.DataFrame, variants: Sequence[str], periods: Mapping[str, float | None],
                   since: object | None = None) -> pd.DataFrame:
    """Every variant's values at the points it replaces (all other points keep their input value).

    Args:
        frame: Long frame on the regular grid (series_id, ts, value[, is_missing, is_outlier]).
        variants: Variants to run (one shared grid: the sort and the masks are computed once).
        periods: Decided period in seconds per series.
        since: Only points at or after this instant are returned (earlier ones are context); None: all.

    Returns:
        series_id, ts, value, is_missing, is_outlier and ``candidate`` for the replaced rows of every
        variant, variant by variant, sorted by series_id and ts inside each.
    """
    return impute_and_score(frame, variants, periods, since=since, scored=False)[0]


def impute_and_score(frame: pd.DataFrame, variants: Sequence[str], periods: Mapping[str, float | None],
                     seed: int = 0, *, since: object | None = None, scored: bool = True
                     ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`imputed_points` and :func:`score_variants` of the same variants on one shared grid.

    Returns:
        ``(points, scores)``; ``scores`` is empty when ``scored`` is False.
    """
    grid = sorted_grid(frame)
    missing = missing_mask(grid, frame)
    per_series = period_seconds(grid, periods)
    taken = missing if since is None else missing & (grid.micros >= to_epoch_us(since))
    rows = grid.rows(frame)
    keep = [column for column in (SERIES, TS, "is_missing", "is_outlier") if column in rows.columns]
    keys = rows.loc[taken, keep].reset_index(drop=True)
    parts = [keys.assign(**{VALUE: fill(grid, missing, name, per_series)[taken],
                            CANDIDATE: pd.Series(name, index=keys.index, dtype="string")})
             for name in variants]
    points = pd.concat(parts, ignore_index=True) if parts else keys.assign(**{VALUE: [], CANDIDATE: []})
    if not scored:
        return points, empty_scores()
    return points, _scores(grid, missing, per_series, variants, seed, 0.1, 6)


def pool(frame: pd.DataFrame, points: pd.DataFrame, choice: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every series' missing points filled by its chosen variant.

    Args:
        frame: The long frame the variants filled.
        points: :func:`imputed_points` of (at least) the chosen variants.
        choice: series_id, chosen (as from :func:`choose_variants`).

    Returns:
        ``frame``'s rows (same order) with the values filled, plus ``method`` (string).

    Raises:
        ValueError: If a series' chosen variant has no points while the series has some to fill.
    """
    pairs = points[[SERIES, CANDIDATE]].drop_duplicates().astype(str)
    present = set(zip(pairs[SERIES], pairs[CANDIDATE], strict=True))
    to_fill = set(pairs[SERIES])
    lacking = sorted(series for series, chosen in zip(choice[SERIES].astype(str), choice[CHOSEN].astype(str),
                                                      strict=True)
                     if series in to_fill and (series, chosen) not in present)
    if lacking:
        raise ValueError(f"the chosen variant of series {lacking[:5]} is not among their imputed variants")
    return overlay(frame, points, choice)


def pooled(frame: pd.DataFrame, periods: Mapping[str, float | None], seed: int = 0) -> pd.DataFrame:
    """Score every variant, choose per series and fill with the choices: the three steps in one call."""
    choice = choose_variants(score_variants(frame, VARIANTS, periods, seed))
    points = imputed_points(frame, sorted(set(choice[CHOSEN].astype(str))), periods)
    return pool(sorted_grid(frame).rows(frame), points, choice)
