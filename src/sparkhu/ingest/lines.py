"""Line numbers of the records of a text file, so that every quarantined row can be found again."""

from __future__ import annotations

import csv
import io

import numpy as np

UNKNOWN_LINE = -1
_NEWLINE = 10
_CARRIAGE_RETURN = 13
# Above this many malformed rows, walking the file once beats searching for each row.
_LOCATE_LIMIT = 1000


def nonempty_lines(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    r"""1-based numbers and byte offsets of the lines of ``data`` that are not empty.

    Vectorised over the bytes (no Python loop), so it costs milliseconds for a 1M-line file. A line of
    only ``\r`` (a blank line of a CRLF file) counts as empty, as the CSV and JSON readers skip it.
    """
    buffer = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(buffer == _NEWLINE)
    starts = np.concatenate(([0], ends + 1))
    stops = np.concatenate((ends, [buffer.size]))
    if starts[-1] == buffer.size:  # no line after a trailing newline
        starts, stops = starts[:-1], stops[:-1]
    lengths = stops - starts
    first_byte = buffer[np.minimum(starts, max(buffer.size - 1, 0))] if buffer.size else starts
    blank = (lengths == 0) | ((lengths == 1) & (first_byte == _CARRIAGE_RETURN))
    keep = ~blank
    return np.flatnonzero(keep) + 1, starts[keep]


def csv_record_lines(data: bytes, n_rows: int, rejected: list[str], delimiter: str,
                     n_fields: int) -> tuple[np.ndarray, list[int]]:
    """Line of each parsed CSV row and of each rejected (malformed) row.

    The fast path assumes one record per non-empty line, which holds unless quoted fields contain line
    breaks; then the file is walked with the ``csv`` module instead (slower, exact).

    Args:
        data: The decompressed file.
        n_rows: Rows the CSV reader accepted.
        rejected: Text of the rows it rejected (wrong number of fields), in file order.
        delimiter: Field delimiter.
        n_fields: Fields in the header.

    Returns:
        Line numbers of the accepted rows (array) and of the rejected rows (list), header = line 1.

    """
    numbers, starts = nonempty_lines(data)
    records, record_starts = numbers[1:], starts[1:]
    if records.size == n_rows + len(rejected):
        if not rejected:
            return records, []
        found = _locate(data, record_starts, rejected)
        if found is not None:
            keep = np.ones(records.size, dtype=bool)
            keep[found] = False
            return records[keep], [int(records[i]) for i in found]
    return _walk_records(data, n_rows, len(rejected), delimiter, n_fields)


def _locate(data: bytes, record_starts: np.ndarray, texts: list[str]) -> list[int] | None:
    """Index of the record each text starts (in the order of ``texts``), or None when one is not found.

    The CSV reader reports rejected rows from parallel blocks, so their order is not the file's: each
    text is searched from the start, skipping records already claimed by an identical text.
    """
    if len(texts) > _LOCATE_LIMIT:
        return None
    found: list[int] = []
    for text in texts:
        index = _find_record(data, record_starts, text.rstrip("\r").encode(), set(found))
        if index is None:
            return None
        found.append(index)
    return found


def _find_record(data: bytes, record_starts: np.ndarray, needle: bytes, claimed: set[int]) -> int | None:
    """The first unclaimed record whose whole line is ``needle``."""
    position = 0
    while (hit := data.find(needle, position)) != -1:
        index = int(np.searchsorted(record_starts, hit))
        whole_line = data[hit + len(needle): hit + len(needle) + 1] in (b"", b"\n", b"\r")
        if whole_line and index < record_starts.size and record_starts[index] == hit and index not in claimed:
            return index
        position = hit + 1
    return None


def _walk_records(data: bytes, n_rows: int, n_rejected: int, delimiter: str,
                  n_fields: int) -> tuple[np.ndarray, list[int]]:
    """Exact record lines with the ``csv`` module (records spanning lines); unknown if it disagrees."""
    text = data.decode("utf-8-sig", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    good: list[int] = []
    bad: list[int] = []
    next_line, header_seen = 1, False
    for record in reader:
        line, next_line = next_line, reader.line_num + 1
        if not record:
            continue
        if header_seen:
            (good if len(record) == n_fields else bad).append(line)
        header_seen = True
    if len(good) != n_rows or len(bad) != n_rejected:
        return np.full(n_rows, UNKNOWN_LINE, dtype=np.int64), [UNKNOWN_LINE] * n_rejected
    return np.asarray(good, dtype=np.int64), bad


def jsonl_record_lines(data: bytes, n_rows: int) -> np.ndarray:
    """Line of each JSON-lines record (one object per non-empty line)."""
    numbers, _ = nonempty_lines(data)
    if numbers.size != n_rows:
        return np.full(n_rows, UNKNOWN_LINE, dtype=np.int64)
    return numbers.astype(np.int64)
