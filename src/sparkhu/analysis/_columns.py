"""Conversions between the long frame's columns and the plain numpy arrays the algorithms use."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from sparkhu.frame import SERIES

US_PER_SECOND = 1_000_000

_EPOCH = pd.Timestamp(0, tz="UTC")

Int64Array = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def epoch_us(ts: pd.Series) -> Int64Array:
    """Microseconds since the epoch (UTC) of a timestamp column; naive values are read as UTC.

    Null timestamps come back as ``numpy.iinfo(int64).min`` (NaT's integer form); callers that
    accept nulls mask them with ``ts.isna()`` first.
    """
    if isinstance(ts.dtype, pd.DatetimeTZDtype):
        # Already zoned (every column read from the lake): to_datetime would first probe the values
        # one by one for its parsing cache, 0.1 s per 500k rows.
        return np.array(ts.dt.tz_convert("UTC").astype("datetime64[us, UTC]").array.asi8, dtype=np.int64)
    converted = pd.to_datetime(ts, utc=True).astype("datetime64[us, UTC]")
    # Dropping the zone keeps UTC wall time, which lets numpy view the values as integers.
    naive = converted.dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
    return naive.view(np.int64)


def utc_timestamps(micros: Int64Array) -> pd.DatetimeIndex:
    """The UTC timestamps (µs resolution) for microseconds since the epoch."""
    return pd.DatetimeIndex(np.asarray(micros, dtype=np.int64).view("datetime64[us]")).tz_localize("UTC")


def parse_utc(ts: pd.Series) -> pd.Series:
    """A timestamp column as UTC datetimes; text is read as ISO 8601 and unparseable values become NaT."""
    if isinstance(ts.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(ts.dtype):
        return pd.to_datetime(ts, utc=True)
    return pd.to_datetime(ts, utc=True, errors="coerce", format="ISO8601")


def to_epoch_us(moment: object) -> int:
    """Microseconds since the epoch of one timestamp-like value (naive values are UTC)."""
    stamp = pd.Timestamp(moment)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return int((stamp - _EPOCH) // pd.Timedelta(1, "us"))


def float_values(values: pd.Series) -> FloatArray:
    """The value column as float64 with nulls as NaN."""
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def series_codes(series_ids: pd.Series) -> tuple[Int64Array, pd.Index]:
    """Integer codes ordered like the sorted series ids, and the ids themselves (nulls get -1)."""
    codes, uniques = pd.factorize(series_ids, sort=True)
    return codes.astype(np.int64), pd.Index(uniques)


def segment_starts(keys: list[npt.NDArray[np.generic]]) -> npt.NDArray[np.bool_]:
    """Mask of the rows of a sorted table where any of ``keys`` differs from the previous row."""
    size = len(keys[0])
    starts = np.zeros(size, dtype=bool)
    if size:
        starts[0] = True
        for key in keys:
            starts[1:] |= key[1:] != key[:-1]
    return starts


def series_column(ids: pd.Index | npt.ArrayLike) -> pd.Series:
    """A ``series_id`` column with the contract's string dtype."""
    return pd.Series(np.asarray(ids, dtype=object), dtype="string", name=SERIES)


def series_rows(ids: pd.Index, codes: npt.ArrayLike) -> pd.Series:
    """The ``series_id`` column of rows whose series codes index ``ids`` (a negative code: null).

    One Arrow take from the few ids, instead of an object array of one Python string per row (6x
    faster on 500k rows).
    """
    labels = pa.array(np.asarray(ids, dtype=object), type=pa.string())
    positions = np.asarray(codes, dtype=np.int64)
    rows = labels.take(pa.array(positions, mask=positions < 0))
    return pd.Series(pd.arrays.ArrowStringArray(rows), name=SERIES)


def per_series_lookup(frame: pd.DataFrame, table: pd.DataFrame, what: str) -> pd.DataFrame:
    """The row of ``table`` (one per series, e.g. fences or scalers) that belongs to each row of ``frame``.

    Args:
        frame: Long frame with ``series_id``.
        table: One row per series, with ``series_id``.
        what: Name of the table for the error message.

    Returns:
        ``table``'s columns aligned with ``frame``'s rows (NaN/None for a series without a row).

    Raises:
        ValueError: If ``table`` has several rows for one series.
    """
    if table[SERIES].duplicated().any():
        raise ValueError(f"{what} have several rows for one series")
    by_series = table.set_index(table[SERIES].astype(str))
    return by_series.reindex(frame[SERIES].astype(str).to_numpy())
