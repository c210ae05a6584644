"""Duplicate resolution: one row per (series, timestamp).

Exact duplicates (same series, timestamp and value, NaN equal to NaN) are dropped first. Rows that
still share a timestamp carry different values: a conflict, resolved by a policy over the distinct
real values. A NaN beside real values adds nothing (the real values win); a timestamp with only
NaN values stays a marked missing value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt
import pandas as pd

from sparkhu.analysis._columns import (
    FloatArray,
    Int64Array,
    epoch_us,
    float_values,
    segment_starts,
    series_codes,
    series_rows,
    utc_timestamps,
)
from sparkhu.frame import LONG_COLUMNS, SERIES, TS, VALUE, require_columns

Policy = Literal["first", "last", "mean", "median"]
POLICIES: tuple[str, ...] = get_args(Policy)


@dataclass(frozen=True)
class DedupResult:
    """What :func:`deduplicate` produced.

    Attributes:
        frame: series_id, ts, value, ``n_raw`` (int32, raw rows merged into the row) and
            ``conflict`` (bool, the timestamp had different real values), sorted by series_id, ts.
        counts: ``rows_in``, ``exact_duplicates`` (rows dropped as exact copies),
            ``conflicting_timestamps`` (timestamps resolved by the policy), ``conflicting_rows``
            (distinct real values merged there), ``nan_beside_values`` (NaN rows ignored because
            the timestamp had real values) and ``rows_out``.

    """

    frame: pd.DataFrame
    counts: dict[str, int]


@dataclass(frozen=True)
class _Rows:
    """Input rows sorted by series, timestamp and arrival; ``group`` numbers the (series, ts) pairs."""

    codes: Int64Array
    micros: Int64Array
    values: FloatArray
    group: Int64Array
    n_groups: int


def deduplicate(frame: pd.DataFrame, policy: Policy = "mean") -> DedupResult:
    """Merge rows that share a series and timestamp into one row.

    Args:
        frame: Long frame (series_id, ts, value). Row order is arrival order: the caller sorts by
            source and line (as :func:`~sparkhu.analysis.validation.validate_points` leaves it).
        policy: How different real values at one timestamp become one: the ``first`` or ``last``
            to arrive, or the ``mean`` or ``median`` of the distinct values.

    Returns:
        The :class:`DedupResult`.

    Raises:
        ValueError: On an unknown policy or a frame without the long columns.

    """
    if policy not in POLICIES:
        raise ValueError(f"unknown duplicate policy {policy!r}; choose one of {', '.join(POLICIES)}")
    require_columns(frame, list(LONG_COLUMNS))
    codes, ids = series_codes(frame[SERIES].astype("string"))
    if (codes < 0).any():
        raise ValueError("series_id has nulls; validate the points before deduplicating them")
    rows = _sorted_rows(codes, epoch_us(frame[TS]), float_values(frame[VALUE]))
    exact = _exact_duplicates(rows)
    real = ~exact & ~np.isnan(rows.values)
    distinct = np.bincount(rows.group[real], minlength=rows.n_groups)
    first = segment_starts([rows.group])
    out = pd.DataFrame(
        {
            SERIES: series_rows(ids, rows.codes[first]),
            TS: pd.Series(utc_timestamps(rows.micros[first])),
            VALUE: pd.Series(_resolve(rows, real, distinct, policy), dtype="float64"),
            "n_raw": pd.Series(np.bincount(rows.group, minlength=rows.n_groups), dtype="int32"),
            "conflict": pd.Series(distinct >= 2, dtype="bool"),
        }
    )
    return DedupResult(out, _counts(rows, exact, real, distinct))


def _sorted_rows(codes: Int64Array, micros: Int64Array, values: FloatArray) -> _Rows:
    """Sort by series and timestamp; ``lexsort`` is stable, so ties keep their arrival order."""
    order = np.lexsort((micros, codes))
    codes, micros = codes[order], micros[order]
    group = np.cumsum(segment_starts([codes, micros])) - 1
    n_groups = int(group[-1]) + 1 if group.size else 0
    return _Rows(codes, micros, values[order], group, n_groups)


def _exact_duplicates(rows: _Rows) -> npt.NDArray[np.bool_]:
    """Rows that repeat an earlier-arriving row's series, timestamp and value (NaN equals NaN)."""
    keys = pd.DataFrame({"group": rows.group, "value": rows.values})
    return keys.duplicated(keep="first").to_numpy()


def _resolve(rows: _Rows, real: npt.NDArray[np.bool_], distinct: Int64Array, policy: Policy) -> FloatArray:
    """One value per group from its distinct real values (NaN where it has none)."""
    groups, values = rows.group[real], rows.values[real]
    resolved = np.full(rows.n_groups, np.nan)
    has_value = distinct > 0
    if policy == "mean":
        sums = np.bincount(groups, weights=values, minlength=rows.n_groups)
        resolved[has_value] = sums[has_value] / distinct[has_value]
    elif policy == "median":
        medians = pd.Series(values).groupby(groups).median()
        resolved[medians.index.to_numpy()] = medians.to_numpy()
    else:
        # Real values are in arrival order inside each group: take each group's first or last one.
        edge = segment_starts([groups]) if policy == "first" else _segment_ends(groups)
        resolved[groups[edge]] = values[edge]
    return resolved


def _segment_ends(keys: Int64Array) -> npt.NDArray[np.bool_]:
    """Mask of the last row of every run of equal keys."""
    ends = np.ones(len(keys), dtype=bool)
    ends[:-1] = keys[1:] != keys[:-1]
    return ends


def _counts(
    rows: _Rows, exact: npt.NDArray[np.bool_], real: npt.NDArray[np.bool_], distinct: Int64Array
) -> dict[str, int]:
    """The report counts of a deduplication."""
    conflicted = distinct >= 2
    has_value = (distinct > 0)[rows.group]
    return {
        "rows_in": len(rows.group),
        "exact_duplicates": int(exact.sum()),
        "conflicting_timestamps": int(conflicted.sum()),
        "conflicting_rows": int(distinct[conflicted].sum()),
        "nan_beside_values": int((~exact & ~real & has_value).sum()),
        "rows_out": rows.n_groups,
    }
