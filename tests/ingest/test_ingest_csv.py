"""CSV ingestion: layouts, timestamps and timezones, quarantine, idempotence, strict mode."""

from __future__ import annotations

import gzip
import math

import pytest

from sparkhu.ingest import IngestOptions, IngestUsageError
from sparkhu.metadata.db import session_scope
from sparkhu.metadata.features import get_features, register_unknown

from .helpers import Ingest, utc

LONG = """sensor,timestamp,value
a,2024-01-01 00:00:00,1.5
b,2024-01-01 00:00:00,10
a,2024-01-01 00:10:00,2.5
b,2024-01-01 00:10:00,
"""


def test_long_layout_writes_points_and_registers_series(ingest: Ingest) -> None:
    report = ingest.run(ingest.write("long.csv", LONG), series_column="sensor")
    raw = ingest.raw()
    assert report.accepted == 4 and report.quarantined == 0
    assert report.new_series == ["a", "b"]
    assert raw["series_id"].tolist() == ["a", "a", "b", "b"]
    assert raw["ts"].tolist() == [utc("2024-01-01 00:00"), utc("2024-01-01 00:10")] * 2
    assert raw["value"].iloc[:3].tolist() == [1.5, 2.5, 10.0]
    assert math.isnan(raw["value"].iloc[3])  # an empty value is a marked-missing point, kept
    assert raw["line"].tolist() == [2, 4, 3, 5]
    assert raw["source"].str.fullmatch(r"sha256:[0-9a-f]{16}").all()
    assert raw["file"].unique().tolist() == [str((ingest.folder / "long.csv").resolve())]
    with session_scope(ingest.settings.database) as session:
        assert sorted(get_features(session)) == ["a", "b"]


def test_default_layout_is_long_with_series_id_column(ingest: Ingest) -> None:
    path = ingest.write("d.csv", "series_id,timestamp,value\ns1,2024-01-01T00:00:00Z,1\n")
    assert ingest.run(path).accepted == 1
    assert ingest.raw()["series_id"].tolist() == ["s1"]


def test_single_series_naive_times_read_in_given_timezone(ingest: Ingest) -> None:
    path = ingest.write("paris.csv", "timestamp,value\n2024-01-15 12:00:00,1\n2024-07-15 12:00:00,2\n")
    ingest.run(path, series_id="paris", timezone="Europe/Paris")
    # Winter is UTC+1, summer UTC+2.
    assert ingest.raw()["ts"].tolist() == [utc("2024-01-15 11:00"), utc("2024-07-15 10:00")]
    with session_scope(ingest.settings.database) as session:
        assert get_features(session)["paris"].timezone == "Europe/Paris"


def test_registered_timezone_wins_over_option(ingest: Ingest) -> None:
    with session_scope(ingest.settings.database) as session:
        register_unknown(session, ["ny"])
        get_features(session, ["ny"])["ny"].timezone = "America/New_York"
    path = ingest.write("ny.csv", "timestamp,value\n2024-01-15 12:00:00,1\n")
    report = ingest.run(path, series_id="ny", timezone="Europe/Paris")
    assert ingest.raw()["ts"].tolist() == [utc("2024-01-15 17:00")]
    assert "America/New_York" in report.files[0].notes[0]


def test_aware_timestamps_keep_their_offset(ingest: Ingest) -> None:
    text = "timestamp,value\n2024-01-15T12:00:00+05:00,1\n2024-01-15 12:30:00,2\n2024-01-15T13:00:00Z,3\n"
    ingest.run(ingest.write("mixed.csv", text), series_id="m", timezone="Europe/Paris")
    assert ingest.raw()["ts"].tolist() == [utc("2024-01-15 07:00"), utc("2024-01-15 11:30"),
                                           utc("2024-01-15 13:00")]


@pytest.mark.parametrize(("stamp", "unit", "expected"), [
    ("1700000000", "s", "2023-11-14 22:13:20"),
    ("1700000000000", "ms", "2023-11-14 22:13:20"),
    ("1700000000123456", "us", "2023-11-14 22:13:20.123456"),
    ("1700000000.5", "s", "2023-11-14 22:13:20.5"),
])
def test_numeric_time_column_is_epoch_by_magnitude(ingest: Ingest, stamp: str, unit: str,
                                                   expected: str) -> None:
    report = ingest.run(ingest.write("epoch.csv", f"timestamp,value\n{stamp},1\n"), series_id="e",
                        timezone="Europe/Paris")  # epoch numbers are UTC whatever the timezone
    assert ingest.raw()["ts"].tolist() == [utc(expected)]
    assert report.files[0].notes == [f"numeric time column read as epoch {unit}"]


def test_time_format_option(ingest: Ingest) -> None:
    path = ingest.write("fmt.csv", "when;reading\n31/12/2023 23:30;4,5\n01/01/2024 00:30;7\n")
    report = ingest.run(path, series_id="f", time_column="when", value_column="reading",
                        time_format="%d/%m/%Y %H:%M")
    # The semicolon delimiter is sniffed; "4,5" (decimal comma) is not a number and is quarantined.
    assert report.accepted == 1 and report.quarantined == 1
    assert ingest.raw()[["ts", "value"]].values.tolist() == [[utc("2024-01-01 00:30"), 7.0]]
    bad = ingest.quarantine()
    assert bad[["ts", "raw_value"]].values.tolist() == [[utc("2023-12-31 23:30"), "4,5"]]


def test_malformed_csv_quarantines_bad_rows_with_lines_and_reasons(ingest: Ingest) -> None:
    text = ("timestamp,value\n"
            "2024-01-01 00:00:00,1\n"       # 2 ok
            "2024-01-01 00:10:00,abc\n"     # 3 text value
            "yesterday,3\n"                 # 4 unparseable timestamp
            "2024-02-30 00:00:00,4\n"       # 5 impossible date
            "\n"                            # 6 blank line, skipped
            "2024-01-01 00:40:00,\n"        # 7 marked missing, ok
            "2024-01-01 00:50:00,5,6\n"     # 8 too many fields
            ",7\n"                          # 9 missing timestamp
            "2024-01-01 01:00:00,8\n")      # 10 ok
    report = ingest.run(ingest.write("bad.csv", text), series_id="s")
    raw = ingest.raw()
    assert raw["line"].tolist() == [2, 7, 10]
    assert report.accepted == 3 and report.quarantined == 5
    bad = ingest.quarantine()
    assert bad["line"].tolist() == [3, 4, 5, 8, 9]
    assert bad["stage"].unique().tolist() == ["ingest"]
    assert bad["raw_value"].tolist() == ["abc", "3", "4", "2024-01-01 00:50:00,5,6", "7"]
    reasons = bad["reason"].tolist()
    assert reasons[0] == "value is not a number"
    assert reasons[1].startswith("unparseable timestamp 'yesterday'")
    assert reasons[2] == "impossible or out-of-range date/time '2024-02-30 00:00:00'"
    assert reasons[3] == "malformed row: 3 fields where the header has 2"
    assert reasons[4] == "missing timestamp"
    assert bad["ts"].iloc[0] == utc("2024-01-01 00:10")  # parsed where it could be
    assert bad["series_id"].tolist()[:3] == ["s", "s", "s"]


def test_ingesting_twice_adds_nothing(ingest: Ingest) -> None:
    path = ingest.write("twice.csv", LONG + "c,not-a-time,1\n")
    ingest.run(path, series_column="sensor")
    first_raw, first_bad = len(ingest.raw()), len(ingest.quarantine())
    second = ingest.run(path, series_column="sensor")
    assert (len(ingest.raw()), len(ingest.quarantine())) == (first_raw, first_bad) == (4, 1)
    assert second.new_series == []


def test_same_content_twice_in_one_run_is_skipped(ingest: Ingest) -> None:
    one = ingest.write("one.csv", LONG)
    two = ingest.write("copy/one.csv", LONG)
    report = ingest.run(one, two, series_column="sensor")
    assert report.files[1].duplicate_of == one.resolve()
    assert len(ingest.raw()) == 4


def test_strict_rejects_unknown_series(ingest: Ingest) -> None:
    with session_scope(ingest.settings.database) as session:
        register_unknown(session, ["a"])
    report = ingest.run(ingest.write("strict.csv", LONG), series_column="sensor", strict=True)
    assert ingest.raw()["series_id"].unique().tolist() == ["a"]
    bad = ingest.quarantine()
    assert bad["series_id"].tolist() == ["b", "b"]
    assert set(bad["reason"]) == {"unknown series (not in the feature registry; --strict)"}
    assert report.new_series == []
    with session_scope(ingest.settings.database) as session:
        assert list(get_features(session)) == ["a"]


def test_wide_layout_with_prefix(ingest: Ingest) -> None:
    text = "date,HUFL,OT\n2016-07-01 00:00:00,5.8,30.5\n2016-07-01 01:00:00,5.6,x\n"
    report = ingest.run(ingest.write("wide.csv", text), wide=True, time_column="date", series_prefix="t_")
    raw = ingest.raw()
    assert report.new_series == ["t_HUFL", "t_OT"]
    assert raw["series_id"].tolist() == ["t_HUFL", "t_HUFL", "t_OT"]
    assert raw["value"].tolist() == [5.8, 5.6, 30.5]
    bad = ingest.quarantine()
    assert bad[["line", "series_id", "raw_value"]].values.tolist() == [[3, "t_OT", "x"]]


def test_gzip_csv(ingest: Ingest) -> None:
    path = ingest.folder / "z.csv.gz"
    path.write_bytes(gzip.compress(b"timestamp,value\n2024-01-01,1\n2024-01-02,2\n"))
    assert ingest.run(path, series_id="z").accepted == 2
    assert ingest.raw()["ts"].tolist() == [utc("2024-01-01"), utc("2024-01-02")]


def test_local_times_skipped_or_repeated_by_dst_are_quarantined(ingest: Ingest) -> None:
    text = "timestamp,value\n2024-03-31 02:30:00,1\n2024-10-27 02:30:00,2\n2024-10-27 04:00:00,3\n"
    ingest.run(ingest.write("dst.csv", text), series_id="d", timezone="Europe/Paris")
    assert ingest.raw()["ts"].tolist() == [utc("2024-10-27 03:00")]
    reasons = ingest.quarantine()["reason"].tolist()
    assert reasons == ["local time does not exist in Europe/Paris (DST change)",
                       "local time occurs twice in Europe/Paris (DST change); give an explicit UTC offset"]


def test_missing_column_is_a_file_level_error(ingest: Ingest) -> None:
    report = ingest.run(ingest.write("nocol.csv", "time,value\n2024-01-01,1\n"), series_id="s")
    assert report.accepted == 0 and not report.usable
    assert report.files[0].error is not None
    assert "column 'timestamp' not found (set it with --time-column)" in report.files[0].error
    bad = ingest.quarantine()
    assert bad["line"].isna().all() and bad["reason"].str.contains("'timestamp' not found").all()


def test_file_error_keeps_rows_of_an_earlier_good_ingest(ingest: Ingest) -> None:
    path = ingest.write("keep.csv", "timestamp,value\n2024-01-01,1\nbad,2\n")
    ingest.run(path, series_id="s")
    ingest.run(path, series_id="s", time_column="nope")
    assert len(ingest.raw()) == 1
    assert ingest.quarantine()["line"].tolist()[0] == 3
    assert ingest.quarantine()["line"].isna().sum() == 1


@pytest.mark.parametrize(("options", "message"), [
    ({"series_id": "a", "wide": True}, "choose one layout"),
    ({"series_id": "a", "timezone": "Nowhere/Land"}, "not a known IANA timezone"),
    ({"series_id": "a", "time_format": "YYYY"}, "no strptime directive"),
])
def test_bad_options_are_usage_errors(options: dict[str, object], message: str) -> None:
    with pytest.raises(IngestUsageError, match=message):
        IngestOptions(**options)  # type: ignore[arg-type]


@pytest.mark.parametrize(("content", "message"), [
    (b"", "the file is empty"),
    (b"\n \n", "the file is empty"),
    (b"timestamp,value\n", "the file has a header but no data rows"),
    (b"PAR1\x00\x15\x04binary", "the file is binary, not CSV text"),
])
def test_unreadable_files_are_file_level_errors(ingest: Ingest, content: bytes, message: str) -> None:
    path = ingest.folder / "f.csv"
    path.write_bytes(content)
    report = ingest.run(path, series_id="s")
    assert report.files[0].error == message
    bad = ingest.quarantine()
    assert bad[["reason", "file"]].values.tolist() == [[message, str(path.resolve())]]
    assert bad["line"].isna().all()


def test_text_after_a_date_is_unparseable_not_impossible(ingest: Ingest) -> None:
    path = ingest.write("g.csv", "timestamp,value\n2024-01-01 00:00:00 junk,1\n2024-01-01,2\n")
    ingest.run(path, series_id="s")
    assert ingest.quarantine()["reason"].tolist() == [
        "unparseable timestamp '2024-01-01 00:00:00 junk' (expected ISO 8601; see --time-format)"]
