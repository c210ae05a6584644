"""Point validation: schema and types, timestamps, finite values, physical ranges and time order.

Each rejected row carries the first rule it breaks, in the order of :data:`REASONS`. A NaN or null
value is *not* rejected: it is a marked missing value that ``detect-missing`` flags later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from sparkhu.analysis._columns import (
    US_PER_SECOND,
    FloatArray,
    Int64Array,
    epoch_us,
    float_values,
    parse_utc,
    series_codes,
    series_rows,
    to_epoch_us,
    utc_timestamps,
)
from sparkhu.frame import LONG_COLUMNS, SERIES, TS, VALUE, require_columns

#: Columns that travel with a valid row when the input has them (they say where it came from).
PASS_THROUGH = ("ingested_at", "source", "file", "line")
#: Rule codes (used in ``counts`` as ``rejected_<code>``) and the reason written on rejected rows.
REASONS: dict[str, str] = {
    "missing_series_id": "missing series_id",
    "missing_timestamp": "missing timestamp",
    "implausible_timestamp": "timestamp before 1970 or more than one day in the future",
    "outside_interval": "timestamp outside the interval [start, end)",
    "non_numeric_value": "value is not a number",
    "non_finite_value": "non-finite value",
    "below_minimum": "below physical minimum",
    "above_maximum": "above physical maximum",
}
_RULE_INDEX = {code: index for index, code in enumerate(REASONS)}
_DAY_US = 86_400 * US_PER_SECOND
# Texts that sources use for an explicitly missing value: kept as marked missing, not rejected.
_MISSING_TOKENS = frozenset({"", "nan", "null", "none", "na", "n/a"})

Bounds = tuple[float | None, float | None]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class ValidationResult:
    """What :func:`validate_points` kept, rejected and counted.

    Attributes:
        valid: Accepted rows (series_id, ts, value and the pass-through columns), sorted by
            series_id and ts; rows with equal keys keep their arrival order.
        rejected: Rejected rows with the same columns plus ``reason``, in input order.
        counts: ``rows_in``, ``valid``, ``rejected``, ``rejected_<code>`` for every code of
            :data:`REASONS`, ``marked_missing``, ``out_of_order`` and ``series_out_of_order``.
        out_of_order_by_series: Points that arrived after a later timestamp of the same series,
            per series (only series that have some).

    """

    valid: pd.DataFrame
    rejected: pd.DataFrame
    counts: dict[str, int]
    out_of_order_by_series: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Table:
    """The input decoded into arrays, in input order."""

    frame: pd.DataFrame
    codes: Int64Array
    ids: pd.Index
    micros: Int64Array
    ts_null: BoolArray
    values: FloatArray
    non_numeric: BoolArray
    arrival: Int64Array


@dataclass(frozen=True)
class _Verdict:
    """Per-row rule index (-1 = valid) and the reason texts of the rejected rows, in input order."""

    rule: Int64Array
    reasons: pd.Series


def validate_points(
    frame: pd.DataFrame,
    *,
    start: object | None,
    end: object | None,
    ranges: Mapping[str, Bounds] | None = None,
    now: object | None = None,
) -> ValidationResult:
    """Split raw points into valid and rejected rows and count what was found.

    Args:
        frame: Long frame with series_id, ts, value and optionally source, file, line (arrival
            order is source, file, line when present, else the row order).
        start: Inclusive interval start (timestamp-like, naive = UTC); None leaves it open.
        end: Exclusive interval end; None leaves it open.
        ranges: Physical range per series, inclusive, None for an open bound.
        now: Reference time for the "future" check; defaults to the current time.

    Returns:
        The :class:`ValidationResult`.

    Raises:
        ValueError: If ``frame`` lacks one of series_id, ts, value.

    """
    require_columns(frame, list(LONG_COLUMNS))
    table = _decode(frame)
    verdict = _rules(table, start, end, ranges or {}, now)
    accepted = verdict.rule < 0
    valid_order = _valid_order(table, accepted)
    late = _out_of_order(table, valid_order)
    counts = _counts(table, verdict.rule, late)
    late_by_series = _late_by_series(table, valid_order, late)
    counts["series_out_of_order"] = len(late_by_series)
    return ValidationResult(
        valid=_output(table, valid_order),
        rejected=_rejected(table, verdict),
        counts=counts,
        out_of_order_by_series=late_by_series,
    )


def _decode(frame: pd.DataFrame) -> _Table:
    """Cast the input's columns to the arrays the rules work on."""
    ts = parse_utc(frame[TS])
    ts_null = ts.isna().to_numpy()
    micros = epoch_us(ts)
    codes, ids = series_codes(frame[SERIES].astype("string"))
    raw = frame[VALUE]
    values = float_values(raw)
    return _Table(frame, codes, ids, micros, ts_null, values, _non_numeric(raw, values), _arrival_rank(frame))


def _non_numeric(raw: pd.Series, values: FloatArray) -> BoolArray:
    """Rows whose value is present but is not a number (text in a numeric column)."""
    suspicious = np.isnan(values) & raw.notna().to_numpy()
    if not suspicious.any():
        return suspicious
    texts = raw[suspicious].astype(str).str.strip().str.lower()
    suspicious[suspicious] = ~texts.isin(_MISSING_TOKENS).to_numpy()
    return suspicious


def _rules(
    table: _Table, start: object | None, end: object | None, ranges: Mapping[str, Bounds], now: object | None
) -> _Verdict:
    """The first broken rule per row (its index in :data:`REASONS`, -1 where valid) and its text."""
    lower, upper = _bounds_per_row(table, ranges)
    broken_by_rule = [
        table.codes < 0,
        table.ts_null,
        _implausible(table, now),
        _outside(table, start, end),
        table.non_numeric,
        np.isinf(table.values),
        table.values < lower,
        table.values > upper,
    ]
    rule = np.full(len(table.codes), -1, dtype=np.int64)
    # Walk the rules backwards so that the earliest broken rule is the one that sticks.
    for index in range(len(broken_by_rule) - 1, -1, -1):
        rule[broken_by_rule[index]] = index
    texts = np.array(list(REASONS.values()), dtype=object)[np.maximum(rule, 0)]
    texts = _name_bounds(texts, rule, lower, upper)
    return _Verdict(rule, pd.Series(texts[rule >= 0], dtype="string"))


def _name_bounds(
    texts: npt.NDArray[np.object_], rule: Int64Array, lower: FloatArray, upper: FloatArray
) -> npt.NDArray[np.object_]:
    """Append the physical bound to the reason of rows rejected for their range."""
    for code, bounds in (("below_minimum", lower), ("above_maximum", upper)):
        rows = np.flatnonzero(rule == _RULE_INDEX[code])
        texts[rows] = [f"{REASONS[code]} {bound:g}" for bound in bounds[rows]]
    return texts


def _implausible(table: _Table, now: object | None) -> BoolArray:
    """Timestamps before 1970 or more than one day after ``now``."""
    reference = to_epoch_us(pd.Timestamp.now(tz="UTC") if now is None else now)
    return ~table.ts_null & ((table.micros < 0) | (table.micros > reference + _DAY_US))


def _outside(table: _Table, start: object | None, end: object | None) -> BoolArray:
    """Timestamps outside ``[start, end)``; an open bound never rejects."""
    outside = np.zeros(len(table.micros), dtype=bool)
    if start is not None:
        outside |= table.micros < to_epoch_us(start)
    if end is not None:
        outside |= table.micros >= to_epoch_us(end)
    return outside & ~table.ts_null


def _bounds_per_row(table: _Table, ranges: Mapping[str, Bounds]) -> tuple[FloatArray, FloatArray]:
    """Each row's inclusive physical bounds (-inf/+inf where open or unknown)."""
    lower = np.full(len(table.ids) + 1, -np.inf)
    upper = np.full(len(table.ids) + 1, np.inf)
    for position, series_id in enumerate(table.ids):
        low, high = ranges.get(str(series_id), (None, None))
        lower[position] = _bound(low, -np.inf)
        upper[position] = _bound(high, np.inf)
    # Code -1 (missing series id) indexes the last slot, which stays open.
    return lower[table.codes], upper[table.codes]


def _bound(value: float | None, open_value: float) -> float:
    """A bound as a float, with None or NaN meaning open."""
    if value is None or np.isnan(value):
        return open_value
    return float(value)


def _valid_order(table: _Table, accepted: BoolArray) -> Int64Array:
    """Positions of the accepted rows sorted by series, ts and arrival order."""
    positions = np.flatnonzero(accepted)
    order = np.lexsort((table.arrival[positions], table.micros[positions], table.codes[positions]))
    return positions[order].astype(np.int64)


def _arrival_rank(frame: pd.DataFrame) -> Int64Array:
    """Rank of every row in arrival order: by ingestion time, source, file, line where present, then row order."""
    keys = [np.arange(len(frame))]
    for name in reversed(PASS_THROUGH):
        if name in frame.columns:
            codes, _ = pd.factorize(frame[name], sort=True)
            keys.append(codes)
    ranks = np.empty(len(frame), dtype=np.int64)
    ranks[np.lexsort(keys)] = np.arange(len(frame))
    return ranks


def _out_of_order(table: _Table, valid_order: Int64Array) -> BoolArray:
    """For each accepted row (in ``valid_order``'s positions), whether it arrived late.

    A point is late when an earlier-arriving point of the same series has a later timestamp.
    """
    in_arrival = valid_order[np.lexsort((table.arrival[valid_order], table.codes[valid_order]))]
    codes = table.codes[in_arrival]
    micros = pd.Series(table.micros[in_arrival])
    latest_before = micros.groupby(codes).cummax().groupby(codes).shift(1)
    late_in_arrival = (micros < latest_before).to_numpy()
    late = np.zeros(len(table.codes), dtype=bool)
    late[in_arrival] = late_in_arrival
    return late


def _late_by_series(table: _Table, valid_order: Int64Array, late: BoolArray) -> dict[str, int]:
    """Number of late points per series id, for series that have any."""
    late_codes = table.codes[valid_order][late[valid_order]]
    tally = np.bincount(late_codes, minlength=len(table.ids))
    return {str(table.ids[code]): int(tally[code]) for code in np.flatnonzero(tally)}


def _counts(table: _Table, rule: Int64Array, late: BoolArray) -> dict[str, int]:
    """The report counts: rows in, valid, rejected per rule, marked missing and late points."""
    accepted = rule < 0
    counts = {"rows_in": len(rule), "valid": int(accepted.sum()), "rejected": int((~accepted).sum())}
    per_rule = np.bincount(rule[~accepted], minlength=len(REASONS))
    for code, index in _RULE_INDEX.items():
        counts[f"rejected_{code}"] = int(per_rule[index])
    counts["marked_missing"] = int((accepted & np.isnan(table.values)).sum())
    counts["out_of_order"] = int(late.sum())
    return counts


def _output(table: _Table, order: Int64Array) -> pd.DataFrame:
    """The contract's columns (plus pass-through columns) for the rows at ``order``."""
    columns: dict[str, object] = {
        SERIES: series_rows(table.ids, table.codes[order]),
        TS: pd.Series(utc_timestamps(table.micros[order])),
        VALUE: pd.Series(table.values[order], dtype="float64"),
    }
    for name in PASS_THROUGH:
        if name in table.frame.columns:
            columns[name] = table.frame[name].iloc[order].reset_index(drop=True)
    return pd.DataFrame(columns)


def _rejected(table: _Table, verdict: _Verdict) -> pd.DataFrame:
    """Rejected rows in input order with the contract's dtypes (unparseable parts as NaT/NaN) and reason."""
    rejected = _output(table, np.flatnonzero(verdict.rule >= 0).astype(np.int64))
    rejected["reason"] = verdict.reasons.reset_index(drop=True)
    return rejected
