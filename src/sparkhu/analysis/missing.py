"""Missing values made explicit: marked (NaN values) and unmarked (gaps against the period).

A gap between consecutive points of a series that is at least 1.5 periods long lacks
``round(gap / period) - 1`` points. They are inserted *evenly spaced inside the gap* rather than on
a grid continued from the left point: timestamps that drift off the grid then never land on or
next to a real point.

Interval borders: the gap from the previous interval's last point (``previous``) to the first
point of ``[start, end)`` is measured like any other, and so is the gap from the last point to the
next interval's first point (``following``) when it is known. Both neighbouring intervals compute
the same inserted points for a gap that crosses their border, and each returns only the ones
inside its own ``[start, end)``: reruns and neighbours never duplicate rows, and a long gap that
covers whole intervals is filled in every one of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from sparkhu.analysis._columns import (
    US_PER_SECOND,
    FloatArray,
    Int64Array,
    epoch_us,
    float_values,
    series_rows,
    to_epoch_us,
    utc_timestamps,
)
from sparkhu.frame import LONG_COLUMNS, SERIES, TS, VALUE, require_columns

#: A gap of at least this many periods has missing points.
GAP_THRESHOLD = 1.5
MARKED = "marked"
UNMARKED = "unmarked"
MISSING_COLUMNS = (*LONG_COLUMNS, "is_missing", "missing_kind")

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class _Points:
    """Real points of the interval plus border anchors, sorted by series and timestamp."""

    codes: Int64Array
    micros: Int64Array
    values: FloatArray
    is_anchor: BoolArray


def mark_missing(
    frame: pd.DataFrame,
    periods: Mapping[str, float | None],
    *,
    start: object,
    end: object,
    previous: Mapping[str, object] | None = None,
    following: Mapping[str, object] | None = None,
) -> pd.DataFrame:
    """Flag NaN values and insert the points that gaps lack, for one interval.

    Args:
        frame: Long frame (series_id, ts, value); rows outside ``[start, end)`` are ignored.
        periods: Decided period in seconds per series; a series without one (absent, None, NaN or
            not positive) gets no inserted points, only its NaN values flagged.
        start: Inclusive interval start (timestamp-like; naive means UTC).
        end: Exclusive interval end.
        previous: Per series, the timestamp of its last point before ``start`` (later values are
            ignored): closes the gap across the start border.
        following: Per series, the timestamp of its first point at or after ``end`` (earlier values
            are ignored): closes the gap across the end border, when the next data is known.

    Returns:
        series_id, ts, value, ``is_missing`` (bool) and ``missing_kind`` (string: ``"marked"`` for a
        NaN value, ``"unmarked"`` for an inserted point, NA otherwise), sorted by series_id and ts,
        with every ts inside ``[start, end)``.

    Raises:
        ValueError: If ``frame`` lacks the long columns or ``end`` is not after ``start``.

    """
    require_columns(frame, list(LONG_COLUMNS))
    low, high = to_epoch_us(start), to_epoch_us(end)
    if high <= low:
        raise ValueError(f"end {end} must be after start {start}")
    micros = epoch_us(frame[TS])
    inside = (frame[TS].notna() & frame[SERIES].notna()).to_numpy() & (micros >= low) & (micros < high)
    ids = _series_ids(frame.loc[inside, SERIES], previous, following)
    points = _with_anchors(frame.loc[inside], ids, low, high, previous or {}, following or {})
    period_us = _period_micros(ids, periods)
    inserted_codes, inserted_micros = _gap_points(points, period_us, low, high)
    return _assemble(points, inserted_codes, inserted_micros, ids)


def unmarked_count(steps_seconds: FloatArray, period: float) -> int:
    """How many points the gaps among ``steps_seconds`` (consecutive differences) lack."""
    periods = np.asarray(steps_seconds, dtype=np.float64) / period
    return int(np.where(periods >= GAP_THRESHOLD, np.rint(periods) - 1, 0).sum())


def _series_ids(
    series: pd.Series, previous: Mapping[str, object] | None, following: Mapping[str, object] | None
) -> pd.Index:
    """Every series that has points in the interval, or anchors on both sides of it."""
    bridged = set(previous or {}) & set(following or {})
    return pd.Index(sorted({str(name) for name in series.unique()} | bridged), dtype=object)


def _with_anchors(
    rows: pd.DataFrame,
    ids: pd.Index,
    low: int,
    high: int,
    previous: Mapping[str, object],
    following: Mapping[str, object],
) -> _Points:
    """The interval's rows plus the border anchors, as sorted arrays."""
    codes = ids.get_indexer(rows[SERIES].astype(str)).astype(np.int64)
    micros = epoch_us(rows[TS])
    anchor_codes, anchor_micros = _anchors(ids, low, high, previous, following)
    all_codes = np.concatenate((codes, anchor_codes))
    all_micros = np.concatenate((micros, anchor_micros))
    values = np.concatenate((float_values(rows[VALUE]), np.full(len(anchor_codes), np.nan)))
    is_anchor = np.concatenate((np.zeros(len(codes), bool), np.ones(len(anchor_codes), bool)))
    order = np.lexsort((all_micros, all_codes))
    return _Points(all_codes[order], all_micros[order], values[order], is_anchor[order])


def _anchors(
    ids: pd.Index, low: int, high: int, previous: Mapping[str, object], following: Mapping[str, object]
) -> tuple[Int64Array, Int64Array]:
    """Codes and timestamps of the usable border anchors (previous before low, following at/after high)."""
    codes: list[int] = []
    micros: list[int] = []
    for side, usable in ((previous, lambda at: at < low), (following, lambda at: at >= high)):
        for series_id, moment in side.items():
            if moment is None or pd.isna(moment) or series_id not in ids:
                continue
            at = to_epoch_us(moment)
            if usable(at):
                codes.append(int(ids.get_loc(series_id)))
                micros.append(at)
    return np.array(codes, dtype=np.int64), np.array(micros, dtype=np.int64)


def _period_micros(ids: pd.Index, periods: Mapping[str, float | None]) -> FloatArray:
    """Each series' period in microseconds (NaN where it has no usable period)."""
    seconds = np.array([_usable_period(periods.get(str(series_id))) for series_id in ids], dtype=np.float64)
    return seconds * US_PER_SECOND


def _usable_period(period: float | None) -> float:
    """A period as a positive float, or NaN."""
    if period is None or not np.isfinite(period) or period <= 0:
        return np.nan
    return float(period)


def _gap_points(points: _Points, period_us: FloatArray, low: int, high: int) -> tuple[Int64Array, Int64Array]:
    """Series codes and timestamps, inside ``[low, high)``, of the points that the gaps lack."""
    same_series = points.codes[1:] == points.codes[:-1]
    gap = points.micros[1:] - points.micros[:-1]
    period = period_us[points.codes[1:]]
    with np.errstate(invalid="ignore"):
        lacking = np.where(same_series & (gap >= GAP_THRESHOLD * period), np.rint(gap / period) - 1, 0)
    gaps = np.flatnonzero(np.nan_to_num(lacking) > 0)
    left, width = points.micros[:-1][gaps], gap[gaps]
    count = lacking[gaps].astype(np.int64)
    # Only the ranks that land inside the interval are generated: a gap of months stays cheap.
    first = _first_rank(left, width, count, low)
    stop = _first_rank(left, width, count, high)
    n_kept = stop - first
    owner = np.repeat(np.arange(len(gaps)), n_kept)
    rank = first[owner] + np.arange(len(owner)) - np.repeat(np.cumsum(n_kept) - n_kept, n_kept)
    micros = _inside_point(left[owner], width[owner], count[owner], rank)
    return points.codes[1:][gaps][owner], micros


def _inside_point(left: Int64Array, width: Int64Array, count: Int64Array, rank: Int64Array) -> Int64Array:
    """``left + floor(width * rank / (count + 1))`` without overflowing int64 on long gaps."""
    quotient, remainder = np.divmod(width, count + 1)
    return left + quotient * rank + remainder * rank // (count + 1)


def _first_rank(left: Int64Array, width: Int64Array, count: Int64Array, bound: int) -> Int64Array:
    """Smallest rank in ``1..count`` whose point is at or after ``bound`` (``count + 1`` if none)."""
    spacing = width / (count + 1)
    rank = np.clip(np.ceil((bound - left) / spacing), 1, count + 1).astype(np.int64)
    # The float guess can be one rank off; settle it on the exact integer positions.
    for _ in range(2):
        rank = np.where((rank > 1) & (_inside_point(left, width, count, rank - 1) >= bound), rank - 1, rank)
        rank = np.where((rank <= count) & (_inside_point(left, width, count, rank) < bound), rank + 1, rank)
    return rank


def _assemble(points: _Points, codes: Int64Array, micros: Int64Array, ids: pd.Index) -> pd.DataFrame:
    """Real rows and inserted rows together, flagged, sorted by series and timestamp."""
    real = ~points.is_anchor
    all_codes = np.concatenate((points.codes[real], codes))
    all_micros = np.concatenate((points.micros[real], micros))
    values = np.concatenate((points.values[real], np.full(len(codes), np.nan)))
    inserted = np.concatenate((np.zeros(real.sum(), bool), np.ones(len(codes), bool)))
    order = np.lexsort((all_micros, all_codes))
    kind = np.full(len(order), None, dtype=object)
    kind[np.isnan(values)] = MARKED
    kind[inserted] = UNMARKED
    return pd.DataFrame(
        {
            SERIES: series_rows(ids, all_codes[order]),
            TS: pd.Series(utc_timestamps(all_micros[order])),
            VALUE: pd.Series(values[order], dtype="float64"),
            "is_missing": pd.Series(np.isnan(values[order]), dtype="bool"),
            "missing_kind": pd.Series(kind[order], dtype="string"),
        }
    )
