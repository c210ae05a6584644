"""The rows written to the lake: accepted points to ``raw``, rejected ones to ``quarantine``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from sparkhu.frame import SERIES, TS, VALUE
from sparkhu.ingest.lines import UNKNOWN_LINE
from sparkhu.ingest.points import Points
from sparkhu.ingest.rawtable import RawTable, Reject

STAGE = "ingest"


@dataclass(frozen=True)
class Origin:
    """Where rows come from and when they were ingested.

    Attributes:
        source: Content hash of the file (``sha256:<16 hex>``): the slice key of its rows.
        file: The file's resolved path.
        at: Time of the ingestion run (UTC).

    """

    source: str
    file: str
    at: pd.Timestamp


def raw_frame(points: Points, utc: np.ndarray, accepted: np.ndarray, origin: Origin) -> pd.DataFrame:
    """The ``raw`` rows of the accepted points (categoricals keep 1M-row frames light).

    Series names are unique by construction (distinct values of a column, or distinct header names).
    """
    rows = np.flatnonzero(accepted)
    return pd.DataFrame({
        SERIES: pd.Categorical.from_codes(points.codes[rows], categories=points.names),
        TS: pd.DatetimeIndex(utc[rows]).tz_localize("UTC").as_unit("us"),
        VALUE: points.values[rows],
        "source": _constant(origin.source, rows.size),
        "file": _constant(origin.file, rows.size),
        "line": _lines(points.lines[rows]),
        "ingested_at": pd.DatetimeIndex(np.full(rows.size, origin.at.asm8)).tz_localize("UTC").as_unit("us"),
    })


def quarantine_frame(points: Points, utc: np.ndarray, raw: RawTable, origin: Origin) -> pd.DataFrame:
    """The ``quarantine`` rows: rejected points with their original text, and unparseable lines."""
    rows = np.flatnonzero(pd.notna(points.reasons))
    codes = points.codes[rows]
    names = np.asarray([*points.names, ""], dtype=object)[codes]
    rejected = pd.DataFrame({
        "line": points.lines[rows],
        "series_id": np.where(codes >= 0, names, None),
        "ts": pd.DatetimeIndex(utc[rows]).tz_localize("UTC"),
        "raw_value": _cell_texts(raw.table, points, rows),
        "reason": points.reasons[rows],
    })
    return _with_origin(pd.concat([rejected, _reject_rows(raw.rejects)], ignore_index=True), origin)


def file_error_frame(reason: str, origin: Origin) -> pd.DataFrame:
    """One quarantine row for a file that could not be read at all (line null)."""
    row = pd.DataFrame({"line": [UNKNOWN_LINE], "series_id": pd.Series([None], dtype="string"),
                        "ts": pd.DatetimeIndex([pd.NaT], tz="UTC"), "raw_value": pd.Series([None], dtype="string"),
                        "reason": [reason]})
    return _with_origin(row, origin)


def _reject_rows(rejects: list[Reject]) -> pd.DataFrame:
    return pd.DataFrame({
        "line": np.asarray([r.line for r in rejects], dtype=np.int64),
        "series_id": pd.Series([None] * len(rejects), dtype=object),
        "ts": pd.DatetimeIndex([pd.NaT] * len(rejects), tz="UTC"),
        "raw_value": [r.text for r in rejects],
        "reason": [r.reason for r in rejects],
    })


def _with_origin(frame: pd.DataFrame, origin: Origin) -> pd.DataFrame:
    frame.insert(0, "stage", STAGE)
    frame.insert(1, "source", origin.source)
    frame.insert(2, "file", origin.file)
    frame["line"] = _lines(frame["line"].to_numpy(dtype=np.int64))
    frame["ts"] = frame["ts"].dt.as_unit("us")
    frame["quarantined_at"] = origin.at
    return frame


def _cell_texts(table: pa.Table, points: Points, rows: np.ndarray) -> np.ndarray:
    """Original text of the value cell of each of ``rows`` (numbers in their canonical form)."""
    texts = np.full(rows.size, None, dtype=object)
    column_of, row_of = points.cells[0][rows], points.cells[1][rows]
    for index, name in enumerate(points.value_columns):
        mine = np.flatnonzero(column_of == index)
        if mine.size:
            cells = table.column(name).take(pa.array(row_of[mine]))
            texts[mine] = _as_strings(cells)
    return texts


def _as_strings(cells: pa.ChunkedArray) -> list[str | None]:
    try:
        return list(cells.cast(pa.string()).to_pylist())
    except pa.ArrowException:  # invalid text or a cast Arrow does not offer: take the slower path
        return [None if v is None else str(v) for v in cells.to_pylist()]


def _lines(lines: np.ndarray) -> pd.arrays.IntegerArray:
    """Line numbers as a nullable column (unknown lines are null)."""
    unknown = lines == UNKNOWN_LINE
    return pd.arrays.IntegerArray(np.where(unknown, 0, lines).astype(np.int64), unknown)


def _constant(text: str, size: int) -> pd.Categorical:
    return pd.Categorical.from_codes(np.zeros(size, dtype=np.int8), categories=[text])

