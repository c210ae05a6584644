"""Timestamp parsing: arrow timestamps, dates, epoch numbers and text (ISO 8601 or ``--time-format``).

Every parser returns wall-clock times (naive rows, to be localised in the series' timezone) or UTC
instants (aware rows: an explicit offset, ``Z``, epoch numbers), plus a reason for each row it could
not parse.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sparkhu.ingest.errors import FileLevelError
from sparkhu.ingest.reasons import add_reason, no_reasons, quoted

_NS_PER = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1}
# Epoch unit from the magnitude of the largest value: seconds stay below 1e11 until the year 5138,
# milliseconds below 1e14, microseconds below 1e17; larger is nanoseconds.
_EPOCH_LIMITS = ((1e11, "s"), (1e14, "ms"), (1e17, "us"))
# An explicit UTC offset or Z after a time of day (a date alone like 2020-01-01 ends with "-01" too).
_OFFSET = r"[Tt ]\d{1,2}:\d{2}.*?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)\s*$"
# The shape of an ISO 8601 date-time; text of this shape that fails to parse names an impossible moment.
_LOOKS_LIKE_DATE = (r"^\s*\d{4}-\d{1,2}-\d{1,2}(?:[Tt ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?"
                    r"\s*(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?\s*$")
_INT64_MAX = np.iinfo(np.int64).max
_SAMPLE = 1000


@dataclass
class ParsedTimes:
    """Parsed timestamps of a column.

    Attributes:
        values: ``datetime64[ns]``: wall-clock time of naive rows, UTC of aware rows, NaT when failed.
        aware: Rows whose instant is known without a timezone (offset given, or epoch).
        reasons: Why a row failed (None where it parsed).
        epoch_unit: Unit inferred for epoch numbers, when the column held them.

    """

    values: np.ndarray
    aware: np.ndarray
    reasons: np.ndarray
    epoch_unit: str | None = None


def parse_times(column: pa.ChunkedArray, time_format: str | None) -> ParsedTimes:
    """Parse a time column whatever its type.

    Raises:
        FileLevelError: The column's type cannot hold timestamps (e.g. a list).

    """
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    kind = column.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return _from_text(column.to_pandas(), time_format)
    if pa.types.is_null(kind):
        return _all_missing(len(column))
    if pa.types.is_date(kind):
        return _from_timestamps(column.cast(pa.timestamp("s")))
    if pa.types.is_timestamp(kind):
        return _from_timestamps(column)
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        numbers = column.cast(pa.float64()).to_numpy(zero_copy_only=False)
        return _from_epoch(numbers, exact=column.cast(pa.int64()) if pa.types.is_integer(kind) else None)
    raise FileLevelError(f"the time column holds {kind} values, not timestamps")


def _all_missing(size: int) -> ParsedTimes:
    reasons = np.full(size, "missing timestamp", dtype=object)
    return ParsedTimes(np.full(size, np.datetime64("NaT", "ns")), np.zeros(size, bool), reasons)


def _from_timestamps(column: pa.ChunkedArray) -> ParsedTimes:
    """Arrow timestamps: the stored integers are UTC when the type has a timezone, wall time otherwise."""
    unit = column.type.unit
    missing = column.is_null().to_numpy(zero_copy_only=False)
    counts = pc.fill_null(column.cast(pa.int64()), 0).to_numpy(zero_copy_only=False)
    aware = np.full(len(column), column.type.tz is not None)
    return _from_counts(counts, _NS_PER[unit], missing, aware)


def _from_counts(counts: np.ndarray, ns_per: int, missing: np.ndarray, aware: np.ndarray) -> ParsedTimes:
    """Integer counts of a unit since the epoch to ``datetime64[ns]``, flagging overflow."""
    reasons = no_reasons(counts.size)
    add_reason(reasons, missing, "missing timestamp")
    overflow = ~missing & (np.abs(counts) > _INT64_MAX // ns_per)
    add_reason(reasons, overflow, "timestamp out of range (years 1677-2262)")
    nanos = np.where(missing | overflow, np.iinfo(np.int64).min, counts * ns_per)
    return ParsedTimes(nanos.view("datetime64[ns]"), aware, reasons)


def _from_epoch(numbers: np.ndarray, exact: pa.ChunkedArray | None = None) -> ParsedTimes:
    """Epoch numbers (always UTC); the unit comes from the largest magnitude."""
    missing = ~np.isfinite(numbers)
    unit = _epoch_unit(numbers[~missing])
    aware = np.ones(numbers.size, dtype=bool)
    if exact is not None:  # integers: exact arithmetic, no float rounding
        counts = pc.fill_null(exact, 0).to_numpy(zero_copy_only=False)
        parsed = _from_counts(counts, _NS_PER[unit], missing, aware)
    else:
        micros = np.where(missing, 0.0, numbers) * (_NS_PER[unit] / _NS_PER["us"])
        # Values beyond int64 become the largest count, which _from_counts flags as out of range.
        micros = np.where(np.abs(micros) > _INT64_MAX // _NS_PER["us"], _INT64_MAX, np.round(micros))
        parsed = _from_counts(micros.astype(np.int64), _NS_PER["us"], missing, aware)
    parsed.epoch_unit = unit
    return parsed


def _epoch_unit(finite: np.ndarray) -> str:
    largest = float(np.abs(finite).max()) if finite.size else 0.0
    return next((unit for limit, unit in _EPOCH_LIMITS if largest < limit), "ns")


def _from_text(texts: pd.Series, time_format: str | None) -> ParsedTimes:
    """Text timestamps: with ``--time-format`` through strptime, else ISO 8601 (or epoch digits)."""
    missing = texts.isna().to_numpy() | (texts.str.strip() == "").fillna(False).to_numpy(dtype=bool)
    if time_format is None and _mostly_numbers(texts[~missing]):
        numbers = pd.to_numeric(texts, errors="coerce").to_numpy(dtype=float)
        return _epoch_from_mostly_numbers(texts, numbers, missing)
    parsed = _iso(texts) if time_format is None else _strptime(texts, time_format)
    failed = np.isnat(parsed.values) & ~missing
    add_reason(parsed.reasons, missing, "missing timestamp")
    add_reason(parsed.reasons, failed, _failure_reasons(texts[failed], time_format))
    return parsed


def _mostly_numbers(present: pd.Series) -> bool:
    """Whether most of the first cells are numbers (a sample keeps the ISO path cheap)."""
    sample = pd.to_numeric(present.iloc[:_SAMPLE], errors="coerce")
    return bool(sample.notna().sum() * 2 > len(sample))


def _epoch_from_mostly_numbers(texts: pd.Series, numbers: np.ndarray, missing: np.ndarray) -> ParsedTimes:
    """A text column that holds epoch numbers and a few bad cells (so the reader kept it as text)."""
    parsed = _from_epoch(np.where(missing, np.nan, numbers))
    bad = ~missing & ~np.isfinite(numbers)
    parsed.reasons[bad] = None
    add_reason(parsed.reasons, bad, "unparseable epoch timestamp " + quoted(texts[bad]))
    return parsed


def _strptime(texts: pd.Series, time_format: str) -> ParsedTimes:
    aware = "%z" in time_format or "%Z" in time_format
    parsed = pd.to_datetime(texts, format=time_format, errors="coerce", utc=aware)
    values = parsed.dt.tz_localize(None) if aware else parsed
    flags = np.full(len(texts), aware)
    return ParsedTimes(values.to_numpy(dtype="datetime64[ns]"), flags, no_reasons(len(texts)))


def _iso(texts: pd.Series) -> ParsedTimes:
    """ISO 8601 text; rows with an offset become UTC instants, the others stay wall-clock times."""
    aware = texts.str.contains(_OFFSET, regex=True, na=False).to_numpy(dtype=bool)
    values = np.full(len(texts), np.datetime64("NaT", "ns"))
    if (~aware).any():
        naive = pd.to_datetime(texts[~aware], format="ISO8601", errors="coerce")
        values[~aware] = naive.to_numpy(dtype="datetime64[ns]")
    if aware.any():
        instants = pd.to_datetime(texts[aware], format="ISO8601", errors="coerce", utc=True)
        values[aware] = instants.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")
    return ParsedTimes(values, aware, no_reasons(len(texts)))


def _failure_reasons(failed: pd.Series, time_format: str | None) -> np.ndarray:
    """Why each text failed: an impossible date that looks right, or text that is no timestamp."""
    shown = quoted(failed)
    if time_format is not None:
        return "timestamp " + shown + f" does not match --time-format {time_format!r} or is impossible"
    dated = failed.str.contains(_LOOKS_LIKE_DATE, regex=True, na=False).to_numpy(dtype=bool)
    return np.where(dated, "impossible or out-of-range date/time " + shown,
                    "unparseable timestamp " + shown + " (expected ISO 8601; see --time-format)")
