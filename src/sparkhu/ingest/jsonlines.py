"""JSON-lines reading: pyarrow when the file is clean, a line-by-line fallback that keeps bad lines."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.json as pajson

from sparkhu.ingest.columns import Wanted, as_text, check_columns
from sparkhu.ingest.errors import FileLevelError
from sparkhu.ingest.lines import jsonl_record_lines
from sparkhu.ingest.rawtable import RawTable, Reject

_SCALARS = (bool, int, float)


def read_jsonl_bytes(data: bytes, wanted: Wanted) -> RawTable:
    """Parse one JSON object per line.

    pyarrow's reader is fast but refuses the whole file on one bad line or on a column whose type
    changes (a number, then text); then each line is parsed on its own so that only the bad lines
    become rejects.

    Raises:
        FileLevelError: The file is empty, has no valid line, or lacks a wanted column.

    """
    if not data.strip():
        raise FileLevelError("the file is empty")
    try:
        table = pajson.read_json(pa.BufferReader(data))
    except pa.ArrowInvalid:
        return _finish(*_parse_lines(data), wanted)
    return _finish(table, jsonl_record_lines(data, table.num_rows), [], wanted)


def _finish(table: pa.Table, lines: np.ndarray, rejects: list[Reject], wanted: Wanted) -> RawTable:
    check_columns(table.column_names, wanted)
    table = as_text(table, wanted.as_text)
    keep = table.column_names if wanted.everything else wanted.names
    return RawTable(table=table.select(keep), lines=lines, rejects=rejects)


def _parse_lines(data: bytes) -> tuple[pa.Table, np.ndarray, list[Reject]]:
    """Parse each non-empty line on its own; lines that are not JSON objects become rejects."""
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    rejects: list[Reject] = []
    for number, raw in enumerate(data.splitlines(), start=1):
        text = raw.decode("utf-8-sig" if number == 1 else "utf-8", errors="replace")
        if not text.strip():
            continue
        record, reason = _parse_object(text)
        if record is None:
            rejects.append(Reject(number, text, reason))
        else:
            records.append(record)
            lines.append(number)
    if not records:
        first = f"; line {rejects[0].line}: {rejects[0].reason}" if rejects else ""
        raise FileLevelError(f"no valid JSON object in the file{first}")
    return _table_of(records), np.asarray(lines, dtype=np.int64), rejects


def _parse_object(text: str) -> tuple[dict[str, Any] | None, str]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        return None, f"invalid JSON: {error.msg} at column {error.colno}"
    if not isinstance(value, dict):
        return None, f"a JSON line must be an object, found {type(value).__name__}"
    return value, ""


def _table_of(records: list[dict[str, Any]]) -> pa.Table:
    """Columns of the records; a column mixing numbers and text is kept as text for the parsers."""
    names = list(dict.fromkeys(key for record in records for key in record))
    return pa.table({name: _column([record.get(name) for record in records]) for name in names})


def _column(values: list[Any]) -> pa.Array:
    if all(v is None or (isinstance(v, _SCALARS)) for v in values):
        try:
            return pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            pass
    return pa.array([None if v is None else v if isinstance(v, str) else json.dumps(v) for v in values],
                    type=pa.string())
