"""Reshape a file's rows into long points ``(series, time, value)``, whatever its layout.

Each point remembers its line and the cell it came from, so that a quarantined point can show the
original text. Wide files become one point per (row, series column).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sparkhu.ingest.options import IngestOptions, Layout
from sparkhu.ingest.rawtable import RawTable
from sparkhu.ingest.reasons import add_reason
from sparkhu.ingest.timeparse import parse_times
from sparkhu.ingest.values import parse_values


@dataclass
class Points:
    """The long points of one file.

    Attributes:
        names: Series id of each code.
        codes: Series code of each point (index into ``names``; -1: no series id).
        times: ``datetime64[ns]``: wall-clock time (naive points) or UTC (``aware`` points); NaT if bad.
        aware: Points whose instant needs no timezone.
        values: float64 values (NaN: marked missing, or bad).
        lines: Line (or Parquet row number) of each point.
        cells: ``(value column index, table row)`` of each point, to fetch the original text.
        value_columns: The file columns that hold values.
        reasons: Why each point is rejected (None: accepted so far).
        epoch_unit: Unit inferred for an epoch time column, if any.

    """

    names: list[str]
    codes: np.ndarray
    times: np.ndarray
    aware: np.ndarray
    values: np.ndarray
    lines: np.ndarray
    cells: tuple[np.ndarray, np.ndarray]
    value_columns: list[str]
    reasons: np.ndarray
    epoch_unit: str | None = None

    def __len__(self) -> int:
        return int(self.codes.size)


def build_points(raw: RawTable, options: IngestOptions) -> Points:
    """The points of ``raw`` under ``options``' layout, with time and value problems as reasons."""
    table = raw.table
    parsed = parse_times(table.column(options.time_column), options.time_format)
    columns = _value_columns(table, options)
    names, codes = _series(table, columns, options)
    repeat = len(columns)
    values = [parse_values(table.column(name)) for name in columns]
    points = Points(
        names=names, codes=codes,
        times=np.tile(parsed.values, repeat), aware=np.tile(parsed.aware, repeat),
        values=np.concatenate([v.values for v in values]),
        lines=np.tile(raw.lines, repeat),
        cells=(np.repeat(np.arange(repeat, dtype=np.int32), table.num_rows),
               np.tile(np.arange(table.num_rows, dtype=np.int64), repeat)),
        value_columns=columns, reasons=np.tile(parsed.reasons, repeat), epoch_unit=parsed.epoch_unit,
    )
    bad_values = np.concatenate([v.bad for v in values])
    add_reason(points.reasons, bad_values, "value is not a number")
    add_reason(points.reasons, codes < 0, "missing series id")
    return points


def _value_columns(table: pa.Table, options: IngestOptions) -> list[str]:
    if options.layout is Layout.WIDE:
        return [name for name in table.column_names if name != options.time_column]
    return [options.value_column]


def _series(table: pa.Table, columns: list[str], options: IngestOptions) -> tuple[list[str], np.ndarray]:
    """Series names and the code of each point (-1 where the id is missing or blank)."""
    rows = table.num_rows
    if options.layout is Layout.LONG:
        names, codes = _encode(table.column(options.series_key))
    elif options.layout is Layout.SINGLE:
        names, codes = [options.series_id or ""], np.zeros(rows, dtype=np.int32)
    else:
        names, codes = list(columns), np.repeat(np.arange(len(columns), dtype=np.int32), rows)
    # The last entry is for code -1 (null id), so that blank[codes] needs no special case.
    blank = np.array([not name.strip() for name in names] + [True])
    codes = np.where(blank[codes], -1, codes).astype(np.int32)
    return [options.series_prefix + name for name in names], codes


def _encode(column: pa.ChunkedArray) -> tuple[list[str], np.ndarray]:
    """Dictionary-encode a text column: its distinct values and each row's code (-1 for null)."""
    encoded = pc.dictionary_encode(column.combine_chunks())
    names = [str(v) for v in encoded.dictionary.to_pylist()]
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int32)
    return names, codes
