"""Read one file of any supported format into a ``RawTable``."""

from __future__ import annotations

import gzip
import zlib

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sparkhu.ingest.columns import Wanted, as_text, check_columns
from sparkhu.ingest.csvfile import read_csv_bytes
from sparkhu.ingest.errors import FileLevelError
from sparkhu.ingest.formats import Format
from sparkhu.ingest.jsonlines import read_jsonl_bytes
from sparkhu.ingest.rawtable import RawTable


def read_raw(payload: bytes, fmt: Format, wanted: Wanted, gzipped: bool = False) -> RawTable:
    """Parse the bytes of a file.

    Args:
        payload: The file's bytes as stored (compressed when ``gzipped``).
        fmt: Its format.
        wanted: The columns the layout needs.
        gzipped: Whether ``payload`` is gzip-compressed.

    Raises:
        FileLevelError: The file cannot be read at all.

    """
    data = _decompress(payload) if gzipped else payload
    if not data:
        raise FileLevelError("the file is empty")
    if fmt is Format.CSV:
        return read_csv_bytes(data, wanted)
    if fmt is Format.JSONL:
        return read_jsonl_bytes(data, wanted)
    return read_parquet_bytes(data, wanted)


def _decompress(payload: bytes) -> bytes:
    try:
        return gzip.decompress(payload)
    except (OSError, EOFError, zlib.error) as error:
        raise FileLevelError(f"not a readable gzip file: {error}") from None


def read_parquet_bytes(data: bytes, wanted: Wanted) -> RawTable:
    """Parse a Parquet file; a row's "line" is its 1-based row number."""
    try:
        schema = pq.read_schema(pa.BufferReader(data))
        check_columns(schema.names, wanted)
        table = pq.read_table(pa.BufferReader(data), columns=None if wanted.everything else wanted.names)
    except (pa.ArrowInvalid, OSError) as error:
        raise FileLevelError(f"not a readable Parquet file: {error}") from None
    if table.num_rows == 0:
        raise FileLevelError("the file has no data rows")
    rows = np.arange(1, table.num_rows + 1, dtype=np.int64)
    return RawTable(table=as_text(table, wanted.as_text), lines=rows)
