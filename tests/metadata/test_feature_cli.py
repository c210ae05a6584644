"""`sparkhu features list|show`: filters, details, unknown ids."""

from __future__ import annotations

from pathlib import Path

import pytest

FEATURES = """\
- {id: temp_a, name: Oil temperature A, unit: degC, group: station-a, range_min: -40, range_max: 150,
   alert_levels: [80, 95], sampling_period: PT15M, timezone: Europe/Paris, tags: [oil, critical],
   description: Top-oil temperature of transformer A}
- {id: temp_b, unit: degC, group: station-b, tags: [oil]}
- {id: load_a, unit: MW, group: station-a, sampling_period: 1h}
"""


@pytest.fixture()
def imported(database: str, cli, tmp_path: Path) -> str:
    path = tmp_path / "features.yaml"
    path.write_text(FEATURES)
    assert cli("import", str(path)).exit_code == 0
    return database


def listed_ids(output: str) -> list[str]:
    """Ids in the first column of a `features list` table."""
    known = ("temp_a", "temp_b", "load_a")
    return [
        line.split("│")[1].strip()
        for line in output.splitlines()
        if line.count("│") > 2 and line.split("│")[1].strip() in known
    ]


def test_list_filters_by_group_and_tag(imported: str, cli) -> None:
    everything = cli("list")
    assert everything.exit_code == 0, everything.output
    assert listed_ids(everything.output) == ["load_a", "temp_a", "temp_b"]
    assert "3 feature(s)" in everything.output
    assert listed_ids(cli("list", "--group", "station-a").output) == ["load_a", "temp_a"]
    assert listed_ids(cli("list", "--tag", "oil").output) == ["temp_a", "temp_b"]
    assert listed_ids(cli("list", "--group", "station-a", "--tag", "oil").output) == ["temp_a"]
    nothing = cli("list", "--tag", "none")
    assert nothing.exit_code == 0 and "0 feature(s)" in nothing.output


def test_show_prints_every_attribute(imported: str, cli) -> None:
    result = cli("show", "temp_a")
    assert result.exit_code == 0, result.output
    rows = {
        cells[1].strip(): cells[2].strip()
        for cells in (line.split("│") for line in result.output.splitlines())
        if len(cells) == 4
    }
    assert rows["name"] == "Oil temperature A"
    assert rows["description"] == "Top-oil temperature of transformer A"
    assert rows["range"] == "[-40, 150]"
    assert rows["alert levels"] == "80, 95"
    assert rows["sampling period"] == "15min (900 s)"
    assert rows["timezone"] == "Europe/Paris"
    assert rows["tags"] == "critical, oil"
    assert rows["origin"] == "file:features.yaml"
    assert rows["active"] == "yes"


def test_show_unknown_id_exits_2_with_suggestion(imported: str, cli) -> None:
    result = cli("show", "temp_c")
    assert result.exit_code == 2
    message = " ".join(result.output.split())
    assert "unknown feature 'temp_c' (did you mean: temp_b, temp_a?)" in message  # closest first
