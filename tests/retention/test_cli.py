"""``sparkhu retention plan|apply|audit|hold`` on a real lake; the quarantine store; copy-only chains."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner, Result

from sparkhu.cli.main import app
from sparkhu.config import Settings
from sparkhu.storage.lake import Lake, Slice
from sparkhu.storage.retention import LakeStore
from tests.retention.test_engine import NOW, declare, engine, points, policy

POLICY = """
policies:
  - name: v90
    scope: {store: lake, table: validated}
    rules: {older_than: 90d}
    actions: [archive, delete]
"""


def sparkhu(*argv: str) -> Result:
    return CliRunner().invoke(app, list(argv))


def recent_lake(settings: Settings) -> Lake:
    """200 days of two hourly series ending now (the CLI measures ages from the clock)."""
    lake = Lake(settings.lake)
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    lake.replace("validated", points(end - timedelta(days=200), end), Slice())
    return lake


def test_plan_then_apply_by_id_then_audit(home: Settings, tmp_path: Path) -> None:
    lake = recent_lake(home)
    (tmp_path / "p.yaml").write_text(POLICY)
    assert sparkhu("retention", "policies", "import", str(tmp_path / "p.yaml")).exit_code == 0
    shown = sparkhu("retention", "plan")
    assert shown.exit_code == 0 and "apply with: sparkhu retention apply p-" in shown.output
    [plan] = json.loads(sparkhu("retention", "plan", "--json").output)
    planned = plan["totals"]["delete"]["rows"]
    assert plan["id"].startswith("p-") and 2 * 110 * 24 <= planned <= 2 * 110 * 24 + 2  # the clock moved on
    assert plan["totals"]["archive"]["bytes"] > 0 and plan["reclaim"][0]["target"] == "validated"
    assert lake.count("validated") == 2 * 200 * 24  # planning twice deleted nothing
    applied = sparkhu("retention", "apply", plan["id"], "--json")
    assert applied.exit_code == 0, applied.output
    assert json.loads(applied.output)["detail"]["rows"]["deleted"] == planned
    assert lake.count("validated") == 2 * 200 * 24 - planned
    records = json.loads(sparkhu("retention", "audit", "--json").output)
    assert records[0]["plan_id"] == plan["id"] and records[0]["actor"].startswith("cli:")
    refused = sparkhu("retention", "apply", "p-unknown")
    assert refused.exit_code == 2 and "no plan" in refused.output


def test_holds_from_the_cli_are_audited_and_need_one_target(home: Settings) -> None:
    added = sparkhu("retention", "hold", "add", "--series", "b", "--reason", "case 7")
    assert added.exit_code == 0 and "hold #1 on series b" in added.output
    assert sparkhu("retention", "hold", "add", "--series", "b").exit_code == 0  # idempotent
    assert len(json.loads(sparkhu("retention", "hold", "list", "--json").output)) == 1
    assert sparkhu("retention", "hold", "add", "--series", "b", "--table", "raw").exit_code == 2
    assert sparkhu("retention", "hold", "remove", "--series", "b").exit_code == 0
    assert sparkhu("retention", "hold", "remove", "--series", "b").exit_code == 2
    actions = [record["action"] for record in json.loads(sparkhu("retention", "audit", "--json").output)]
    assert actions == ["hold-remove", "hold-add"]


def test_unknown_policy_is_a_clear_error(home: Settings) -> None:
    result = sparkhu("retention", "plan", "--policy", "nope")
    assert result.exit_code == 2 and "no retention policy named 'nope'" in result.output


def test_the_quarantine_ages_from_when_a_row_was_rejected(home: Settings) -> None:
    lake = Lake(home.lake)
    rejected = pd.DataFrame({
        "stage": "ingest", "source": "s", "file": "f.csv", "line": range(4), "series_id": "a",
        "ts": pd.Timestamp("2020-01-01", tz="UTC"), "raw_value": "x", "reason": "not a number",
        "quarantined_at": [NOW - timedelta(days=d) for d in (100, 95, 10, 1)]})
    lake.replace("quarantine", rejected, Slice())
    declare(home, {"name": "q30", "scope": {"store": "quarantine"}, "rules": {"older_than": "30d"},
                   "actions": ["archive", "delete"]})
    machine = engine(home)
    machine.stores["quarantine"] = LakeStore(lake, "quarantine")
    [plan] = machine.plan("q30", now=NOW)
    assert plan.totals()["delete"]["rows"] == 2
    machine.apply(plan.id, now=NOW)
    assert sorted(lake.read("quarantine")["line"]) == [2, 3]


def test_a_copy_only_chain_copies_each_month_once(home: Settings) -> None:
    lake = Lake(home.lake)
    lake.replace("validated", points(NOW - timedelta(days=200), NOW), Slice())
    declare(home, policy("backup", actions=["archive"]))
    machine = engine(home)
    [first] = machine.plan("backup", now=NOW)
    machine.apply(first.id, now=NOW)
    [second] = machine.plan("backup", now=NOW)
    assert first.units and not second.units
    assert lake.count("validated") == 2 * 200 * 24
    lake.replace("validated", points(datetime(2026, 6, 3, tzinfo=UTC), datetime(2026, 6, 4, tzinfo=UTC),
                                     series=("late",)), Slice(series=("late",)))
    [third] = machine.plan("backup", now=NOW)
    assert [unit.key for unit in third.units] == ["month=2026-06"]  # the month that changed is copied again
