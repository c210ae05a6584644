"""Line numbers of CSV records: blank lines, CRLF, quoted line breaks and malformed rows."""

from __future__ import annotations

from sparkhu.ingest.columns import Wanted
from sparkhu.ingest.csvfile import read_csv_bytes
from sparkhu.ingest.lines import nonempty_lines
from sparkhu.ingest.partitions import day_partition_warnings

WANTED = Wanted(required=(("timestamp", "--time-column"),), as_text=(), everything=True)


def test_nonempty_lines_skip_blank_and_crlf_blank_lines() -> None:
    numbers, starts = nonempty_lines(b"a\r\n\r\nb\n\nc")
    assert numbers.tolist() == [1, 3, 5]
    assert starts.tolist() == [0, 5, 8]


def test_blank_lines_and_crlf_keep_true_line_numbers() -> None:
    raw = read_csv_bytes(b"timestamp,value\r\n\r\n2024-01-01,1\r\n2024-01-02,2\r\n", WANTED)
    assert raw.lines.tolist() == [3, 4]


def test_malformed_rows_get_their_own_line() -> None:
    data = b"timestamp,value\n2024-01-01,1\n2024-01-01,1,1\n2024-01-02,2\n2024-01-01,1,1\n"
    raw = read_csv_bytes(data, WANTED)
    assert raw.lines.tolist() == [2, 4]
    assert sorted(r.line for r in raw.rejects) == [3, 5]


def test_quoted_line_breaks_use_the_exact_walk() -> None:
    data = b'timestamp,value,note\n2024-01-01,1,"two\nlines"\n2024-01-02,2,x\n2024-01-03,3\n'
    raw = read_csv_bytes(data, WANTED)
    assert raw.lines.tolist() == [2, 4]
    assert [r.line for r in raw.rejects] == [5]


def test_impossible_day_folder_is_reported(tmp_path) -> None:
    warnings = day_partition_warnings([tmp_path / "year=2023/month=02/day=30/a.csv"])
    assert warnings == [f"{tmp_path}/year=2023/month=02/day=30: folder names an impossible day"]
