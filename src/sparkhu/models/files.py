"""Files to model panels: a wide or long table with a time column becomes series on regular grids.

Bad input is a :class:`ModelInputError` with a message that says what to change (exit code 2 in the
CLI): an unknown column, a time column that does not parse, a non-numeric value column, a horizon the
history cannot support. Timestamps are put on the series' median step; missing steps become NaN
points (the models fill or skip them), duplicated timestamps keep their last value.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sparkhu.models.panel import Series


class ModelInputError(ValueError):
    """A file, column or parameter the model commands cannot use; the message says why."""


def read_table(path: Path) -> pd.DataFrame:
    """A CSV or Parquet file as a frame.

    Raises:
        ModelInputError: The file is missing, empty or not readable as CSV/Parquet.
    """
    if not path.is_file():
        raise ModelInputError(f"{path}: no such file")
    try:
        frame = pd.read_parquet(path) if path.suffix.lower() in {".parquet", ".pq"} else pd.read_csv(path)
    except (ValueError, OSError, pd.errors.ParserError) as error:
        raise ModelInputError(f"{path}: not a readable CSV or Parquet file ({error})") from None
    if frame.empty:
        raise ModelInputError(f"{path}: the file has no rows")
    return frame


def require(frame: pd.DataFrame, columns: Sequence[str], path: Path) -> None:
    """Fail naming the first column ``frame`` lacks and the columns it has."""
    for column in columns:
        if column not in frame.columns:
            raise ModelInputError(f"{path}: column {column!r} not found; the file has {list(frame.columns)}")


def parse_times(values: pd.Series, path: Path, column: str) -> pd.Series:
    """The time column as UTC timestamps (naive text is UTC).

    Raises:
        ModelInputError: More than a few values do not parse.
    """
    stamps = pd.to_datetime(values, utc=True, errors="coerce", format="mixed")
    bad = int(stamps.isna().sum())
    if bad:
        raise ModelInputError(f"{path}: {bad} values of the time column {column!r} are not timestamps "
                              f"(first: {values[stamps.isna()].iloc[0]!r})")
    return stamps


def numeric(values: pd.Series, path: Path, column: str) -> np.ndarray:
    """A value column as float64; non-numeric text is an error (empty cells are NaN)."""
    converted = pd.to_numeric(values, errors="coerce")
    bad = converted.isna() & values.notna() & (values.astype(str).str.strip() != "")
    if bad.any():
        raise ModelInputError(f"{path}: column {column!r} holds non-numeric values (first: {values[bad].iloc[0]!r})")
    return converted.to_numpy(dtype=np.float64)


def on_grid(stamps: pd.Series, columns: dict[str, np.ndarray], series_id: str) -> Series:
    """Values put on the median step of their timestamps; the first column is the target.

    Raises:
        ModelInputError: Fewer than three timestamps or a zero step.
    """
    order = np.argsort(stamps.to_numpy(), kind="stable")
    stamps = stamps.iloc[order].reset_index(drop=True)
    frame = pd.DataFrame({name: values[order] for name, values in columns.items()})
    keep = ~stamps.duplicated(keep="last").to_numpy()
    stamps, frame = stamps[keep].reset_index(drop=True), frame[keep].reset_index(drop=True)
    if len(stamps) < 3:
        raise ModelInputError(f"series {series_id!r}: {len(stamps)} distinct timestamps; at least 3 are needed")
    step = float(np.median(np.diff(stamps.astype("int64").to_numpy())) / 1e9)
    if step <= 0:
        raise ModelInputError(f"series {series_id!r}: the timestamps do not advance")
    start = stamps.iloc[0]
    slots = np.rint((stamps - start).dt.total_seconds().to_numpy() / step).astype(np.int64)
    grid = {name: np.full(slots[-1] + 1, np.nan) for name in frame.columns}
    for name in frame.columns:
        grid[name][slots] = frame[name].to_numpy()
    target, *others = frame.columns
    return Series(series_id, grid[target], pd.Timestamp(start), step, {name: grid[name] for name in others})
