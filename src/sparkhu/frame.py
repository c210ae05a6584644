"""The long-format frame contract shared by every step: ``(series_id, ts, value)`` plus per-task columns."""

from __future__ import annotations

import pandas as pd

# The contract's text columns (series ids, variants, methods) are pandas' ``string`` dtype backed by
# Arrow: frames move to and from the lake without a Python object per row, and factorising, comparing
# and sorting ids run in Arrow's C++ kernels (measured on the chain: a third of the non-I/O time went
# to converting and hashing object strings).
pd.set_option("mode.string_storage", "pyarrow")

SERIES = "series_id"
TS = "ts"
VALUE = "value"
LONG_COLUMNS = (SERIES, TS, VALUE)


def empty_long_frame() -> pd.DataFrame:
    """An empty frame with the contract's columns and dtypes."""
    return pd.DataFrame(
        {
            SERIES: pd.Series([], dtype="string"),
            TS: pd.Series([], dtype="datetime64[us, UTC]"),
            VALUE: pd.Series([], dtype="float64"),
        }
    )


def to_utc_us(values: pd.Series) -> pd.Series:
    """Cast timestamps to UTC with microsecond resolution (the lake's time type)."""
    converted = pd.to_datetime(values, utc=True)
    return converted.astype("datetime64[us, UTC]")


def require_columns(frame: pd.DataFrame, columns: tuple[str, ...] | list[str]) -> None:
    """Raise ``ValueError`` naming the columns that ``frame`` lacks."""
    missing = [name for name in columns if name not in frame.columns]
    if missing:
        raise ValueError(f"frame lacks columns {missing}; it has {list(frame.columns)}")
