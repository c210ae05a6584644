"""`sparkhu features import FILE`: YAML and CSV, upsert counts, all-or-nothing on bad files."""

from __future__ import annotations

import textwrap
from pathlib import Path

from sparkhu.metadata.db import session_scope
from sparkhu.metadata.features import get_features, register_unknown
from tests.metadata.helpers import counts, snapshot

YAML_LIST = """\
- id: temp_1
  name: Transformer oil temperature
  unit: degC
  type: temperature
  group: station-a
  range_min: -40
  range_max: 150
  alert_levels: [80, 95]
  sampling_period: PT15M
  timezone: Europe/Paris
  tags: [oil, critical]
- id: load_1
  unit: MW
  group: station-a
  sampling_period: 1h
- id: 1042
  description: numeric ids are read as text
  sampling_period: 300
"""

CSV_TEXT = """\
id,name,unit,group,range_min,range_max,alert_levels,sampling_period,timezone,tags
temp_1,Oil temperature,degC,station-a,-40,150,80;95,15min,Europe/Paris,oil;critical
load_1,,MW,station-b,,,,,,
"""


def test_yaml_list_is_imported_with_normalised_values(database: str, cli, tmp_path: Path) -> None:
    path = tmp_path / "features.yaml"
    path.write_text(YAML_LIST)
    result = cli("import", str(path))
    assert result.exit_code == 0, result.output
    assert counts(result.output) == {"added": 3, "updated": 0, "unchanged": 0}
    with session_scope(database) as session:
        features = get_features(session)
    temp = features["temp_1"]
    assert (temp.range_min, temp.range_max, temp.alert_levels) == (-40.0, 150.0, [80.0, 95.0])
    assert (temp.period_seconds, temp.timezone, temp.tags) == (900.0, "Europe/Paris", ["critical", "oil"])
    assert (temp.origin, temp.active) == ("file:features.yaml", True)
    assert features["load_1"].name == "load_1"  # a feature without a name is called by its id
    assert features["load_1"].period_seconds == 3600.0
    assert features["1042"].period_seconds == 300.0


def test_reimport_counts_unchanged_and_updated_fields(database: str, cli, tmp_path: Path) -> None:
    path = tmp_path / "features.yaml"
    path.write_text("features:\n" + textwrap.indent(YAML_LIST, "  "))
    assert cli("import", str(path)).exit_code == 0
    before = snapshot(database)
    again = cli("import", str(path))
    assert counts(again.output) == {"added": 0, "updated": 0, "unchanged": 3}
    assert snapshot(database) == before
    path.write_text(path.read_text().replace("unit: MW", "unit: kW"))
    changed = cli("import", str(path))
    assert counts(changed.output) == {"added": 0, "updated": 1, "unchanged": 2}
    assert "load_1" in changed.output and "unit" in changed.output
    with session_scope(database) as session:
        assert get_features(session, ["load_1"])["load_1"].unit == "kW"


def test_csv_with_separated_lists_and_blank_cells(database: str, cli, tmp_path: Path) -> None:
    with session_scope(database) as session:
        register_unknown(session, ["load_1"])  # seen by ingestion first, then described by the file
    path = tmp_path / "features.csv"
    path.write_text(CSV_TEXT)
    result = cli("import", str(path))
    assert result.exit_code == 0, result.output
    assert counts(result.output) == {"added": 1, "updated": 1, "unchanged": 0}
    with session_scope(database) as session:
        features = get_features(session)
    assert features["temp_1"].alert_levels == [80.0, 95.0]
    assert features["temp_1"].tags == ["critical", "oil"]
    assert features["temp_1"].period_seconds == 900.0
    load = features["load_1"]
    assert (load.unit, load.group, load.range_min, load.period_seconds, load.timezone) == (
        "MW",
        "station-b",
        None,
        None,
        "UTC",
    )
    assert load.origin == "file:features.csv"


def test_bad_csv_names_lines_and_fields_and_writes_nothing(database: str, cli, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "id,unit,range_min,range_max,alert_levels,timezone\n"
        "ok_1,degC,0,100,50,UTC\n"
        "bad_1,degC,abc,100,,UTC\n"
        "ok_2,degC,0,100,,UTC\n"
        "bad_2,degC,0,100,90;50,Mars/Olympus\n"
        "ok_1,degC,0,100,,UTC\n"
    )
    result = cli("import", str(path))
    assert result.exit_code == 2
    output = " ".join(result.output.split())
    assert "bad.csv line 3 (id 'bad_1'): field 'range_min': expected a number, got 'abc'" in output
    assert "bad.csv line 5 (id 'bad_2'): field 'timezone': unknown time zone 'Mars/Olympus'" in output
    assert "bad.csv line 6: id 'ok_1' is already declared at bad.csv line 2" in output
    assert snapshot(database) == []


def test_bad_yaml_item_is_located_by_line(database: str, cli, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("- id: a\n  unit: V\n- id: b\n  range_min: 10\n  range_max: 1\n- id: c\n  colour: red\n")
    result = cli("import", str(path))
    assert result.exit_code == 2
    output = " ".join(result.output.split())
    assert "bad.yaml line 3 (id 'b'): range_min (10) is above range_max (1)" in output
    assert "bad.yaml line 6 (id 'c'): field 'colour': unknown field" in output
    assert snapshot(database) == []


def test_unusable_files_exit_2(home, cli, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    header_only = tmp_path / "header.csv"
    header_only.write_text("id,unit\n")
    scalar = tmp_path / "scalar.yaml"
    scalar.write_text("just text\n")
    wrong = tmp_path / "features.json"
    wrong.write_text("[]")
    cases = {
        empty: "no 'id' column",
        header_only: "no feature rows below the header",
        scalar: "expected a non-empty list of features",
        wrong: "unsupported file type '.json'",
        tmp_path / "missing.yaml": "no such file",
    }
    for path, message in cases.items():
        result = cli("import", str(path))
        assert result.exit_code == 2, path
        assert message in " ".join(result.output.split()), result.output


def test_dry_run_reports_without_writing(database: str, cli, tmp_path: Path) -> None:
    path = tmp_path / "features.csv"
    path.write_text(CSV_TEXT)
    result = cli("import", str(path), "--dry-run")
    assert result.exit_code == 0, result.output
    assert counts(result.output) == {"added": 2, "updated": 0, "unchanged": 0}
    assert "Dry run: nothing was written" in result.output
    assert snapshot(database) == []
