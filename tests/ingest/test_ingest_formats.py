"""Parquet, JSON lines, folders (day-partitioned trees) and globs."""

from __future__ import annotations

import pandas as pd
import pytest

from sparkhu.ingest import IngestUsageError, discover

from .helpers import Ingest, utc


def test_parquet_long_layout_with_row_numbers(ingest: Ingest) -> None:
    path = ingest.folder / "p.parquet"
    pd.DataFrame({
        "sensor": ["a", "a", None],
        "timestamp": pd.to_datetime(["2024-01-01 00:00", "2024-01-01 01:00", "2024-01-01 02:00"]),
        "value": [1.0, float("nan"), 3.0],
    }).to_parquet(path)
    report = ingest.run(path, series_column="sensor", timezone="Asia/Tokyo")
    raw = ingest.raw()
    assert report.accepted == 2 and report.quarantined == 1
    assert raw["ts"].tolist() == [utc("2023-12-31 15:00"), utc("2023-12-31 16:00")]  # naive read as Tokyo
    assert raw["line"].tolist() == [1, 2]
    bad = ingest.quarantine()
    assert bad[["line", "reason", "raw_value"]].values.tolist() == [[3, "missing series id", "3"]]


def test_parquet_aware_timestamps_and_integer_series_ids(ingest: Ingest) -> None:
    path = ingest.folder / "aware.parquet"
    pd.DataFrame({"id": [7, 8], "timestamp": pd.to_datetime(["2024-01-01 00:00+02:00"] * 2),
                  "value": [1, 2]}).to_parquet(path)
    ingest.run(path, series_column="id", timezone="Asia/Tokyo")
    raw = ingest.raw()
    assert raw["series_id"].tolist() == ["7", "8"]
    assert raw["ts"].tolist() == [utc("2023-12-31 22:00")] * 2


def test_jsonl_clean_file(ingest: Ingest) -> None:
    text = ('{"series_id": "a", "timestamp": "2024-01-01T00:00:00Z", "value": 1}\n\n'
            '{"series_id": "a", "timestamp": "2024-01-01T00:05:00Z", "value": null}\n')
    report = ingest.run(ingest.write("a.jsonl", text))
    assert report.accepted == 2
    assert ingest.raw()["line"].tolist() == [1, 3]


def test_json_lines_with_bad_lines_and_mixed_types(ingest: Ingest) -> None:
    text = ('{"timestamp": 1700000000, "value": 1}\n'
            '{"timestamp": 1700000060, "value": "high"}\n'
            'not json\n'
            '[1, 2]\n'
            '{"timestamp": 1700000120, "value": 3}\n')
    report = ingest.run(ingest.write("b.json", text), series_id="j")
    assert report.accepted == 2 and report.quarantined == 3
    assert ingest.raw()["ts"].tolist() == [utc("2023-11-14 22:13:20"), utc("2023-11-14 22:15:20")]
    bad = ingest.quarantine()
    assert bad["line"].tolist() == [2, 3, 4]
    assert bad["raw_value"].tolist() == ["high", "not json", "[1, 2]"]
    assert bad["reason"].tolist()[0] == "value is not a number"
    assert bad["reason"].tolist()[1].startswith("invalid JSON")
    assert bad["reason"].tolist()[2] == "a JSON line must be an object, found list"


def _day_file(ingest: Ingest, day: str, value: int) -> None:
    year, month, dd = day.split("-")
    ingest.write(f"tree/year={year}/month={month}/day={dd}/part-0.csv",
                 f"series_id,timestamp,value\ns,{day} 12:00:00,{value}\n")


def test_day_partitioned_tree_warns_about_missing_days(ingest: Ingest) -> None:
    for value, day in enumerate(["2024-02-27", "2024-02-28", "2024-03-01", "2024-03-03"]):
        _day_file(ingest, day, value)
    ingest.write("tree/_SUCCESS", "")
    ingest.write("tree/.hidden/x.csv", "junk")
    report = ingest.run(ingest.folder / "tree")
    assert report.accepted == 4 and len(report.files) == 4
    assert ingest.raw()["value"].tolist() == [0.0, 1.0, 2.0, 3.0]
    # 2024 is a leap year: the 29th of February is missing too.
    assert report.warnings == [f"{(ingest.folder / 'tree').resolve()}: 2 day folder(s) missing between "
                               "2024-02-27 and 2024-03-03: 2024-02-29, 2024-03-02"]


def test_glob_is_expanded(ingest: Ingest) -> None:
    for name in ("x1.csv", "x2.csv", "y.csv"):
        ingest.write(name, f"timestamp,value\n2024-01-01,{name[1]}\n")
    found = discover([str(ingest.folder / "x*.csv")])
    assert [f.path.name for f in found.files] == ["x1.csv", "x2.csv"]
    report = ingest.run(str(ingest.folder / "x*.csv"), series_id="g")
    assert report.accepted == 2


@pytest.mark.parametrize(("name", "message"), [
    ("missing.csv", "does not exist"),
    ("nothing*.csv", "no file matches"),
    ("notes.txt", "unsupported extension"),
])
def test_bad_paths_are_usage_errors(ingest: Ingest, name: str, message: str) -> None:
    ingest.write("notes.txt", "hello")
    with pytest.raises(IngestUsageError, match=message):
        discover([str(ingest.folder / name)])
