"""CSV reading with pyarrow (multi-threaded, vectorised), keeping the line of every row."""

from __future__ import annotations

import csv

import pyarrow as pa
import pyarrow.csv as pacsv

from sparkhu.ingest.columns import Wanted, check_columns
from sparkhu.ingest.errors import FileLevelError
from sparkhu.ingest.lines import csv_record_lines
from sparkhu.ingest.rawtable import RawTable, Reject

_DELIMITERS = (",", ";", "\t", "|")
_BINARY_PROBE = 4096


def read_csv_bytes(data: bytes, wanted: Wanted) -> RawTable:
    """Parse a CSV file whose first non-empty line is the header.

    The delimiter is sniffed from the header (``,``, ``;``, tab or ``|``). Rows with the wrong number of
    fields become rejects with their line; empty cells and ``NaN``/``NA``/``null`` become nulls.

    Raises:
        FileLevelError: The file is empty, binary, has no data row, or lacks a wanted column.

    """
    header_line = _header_line(data)
    delimiter = _sniff(header_line)
    header = next(csv.reader([header_line], delimiter=delimiter))
    check_columns(header, wanted)
    rejected: list[pacsv.InvalidRow] = []
    table = _parse(data, delimiter, header, wanted, rejected)
    if table.num_rows == 0 and not rejected:
        raise FileLevelError("the file has a header but no data rows")
    lines, reject_lines = csv_record_lines(data, table.num_rows, [r.text for r in rejected], delimiter,
                                           len(header))
    rejects = [Reject(line, row.text, f"malformed row: {row.actual_columns} fields where the header has "
                                      f"{row.expected_columns}")
               for line, row in zip(reject_lines, rejected, strict=True)]
    return RawTable(table=table, lines=lines, rejects=rejects)


def _header_line(data: bytes) -> str:
    """The first non-empty line, decoded; checks that the file is text at all."""
    if b"\x00" in data[:_BINARY_PROBE]:
        raise FileLevelError("the file is binary, not CSV text")
    text = data[: 1 << 20].decode("utf-8-sig", errors="replace")
    for line in text.splitlines():
        if line.strip():
            return line
    raise FileLevelError("the file is empty")


def _sniff(header: str) -> str:
    """The delimiter that splits the header into the most fields (comma on a tie)."""
    return max(_DELIMITERS, key=header.count)


def _parse(data: bytes, delimiter: str, header: list[str], wanted: Wanted,
           rejected: list[pacsv.InvalidRow]) -> pa.Table:
    def keep_aside(row: pacsv.InvalidRow) -> str:
        rejected.append(row)
        return "skip"

    include = [name for name in header if wanted.everything or name in wanted.names]
    convert = pacsv.ConvertOptions(column_types={name: pa.string() for name in wanted.as_text},
                                   include_columns=include, strings_can_be_null=True)
    parse = pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=keep_aside)
    try:
        return pacsv.read_csv(pa.BufferReader(data), parse_options=parse, convert_options=convert)
    except (pa.ArrowInvalid, UnicodeDecodeError) as error:
        raise FileLevelError(f"not a readable CSV file: {error}") from None
