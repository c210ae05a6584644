"""The workflow-runs retention store on a real metadata database (SQLite) with real log files."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from sparkhu.config import Settings
from sparkhu.metadata.db import session_scope
from sparkhu.metadata.run_retention import TARGET, RunStore
from sparkhu.metadata.runs import NodeRun, WorkflowRun
from sparkhu.retention.policy import Rules, Scope, load_policies
from sparkhu.retention.select import select_units
from sparkhu.retention.store import Unit, UnitChanged
from sparkhu.retention_engine.control import save_policies
from sparkhu.retention_engine.engine import Engine

NOW = datetime.now(UTC)
SCOPE = Scope(store="runs")


def store(settings: Settings) -> RunStore:
    return RunStore(settings.database, settings.logs, settings.home)


def record(settings: Settings, days_ago: float, status: str = "Succeeded", nodes: tuple[str, ...] = ("a", "b"),
           log_folder: Path | None = None) -> str:
    """A run that finished ``days_ago``, with one node per name and a log file per node."""
    run_id = str(uuid.uuid4())
    finished = NOW - timedelta(days=days_ago)
    folder = log_folder or settings.logs / run_id
    folder.mkdir(parents=True, exist_ok=True)
    with session_scope(settings.database) as session:
        run = WorkflowRun(id=run_id, template="daily", status=status, started_at=finished - timedelta(minutes=5),
                          finished_at=None if status == "Running" else finished, parameters={"day": "1"})
        for name in nodes:
            log = folder / f"{name}.log"
            log.write_text(f"log of {name}\n" * 10)
            run.nodes.append(NodeRun(name=name, display_name=name, template="task", status="Succeeded",
                                     attempts=1, started_at=finished - timedelta(minutes=4), finished_at=finished,
                                     log_path=str(log)))
        session.add(run)
    return run_id


def keys(units: list[Unit]) -> list[str]:
    return [unit.detail["run_id"] for unit in units]


def node_rows(settings: Settings) -> int:
    with session_scope(settings.database) as session:
        return int(session.scalar(select(func.count()).select_from(NodeRun)) or 0)


def test_units_are_the_finished_runs_with_their_logs(home: Settings) -> None:
    old, failed = record(home, 30), record(home, 20, status="Failed")
    running = record(home, 10, status="Running")
    units = store(home).units(SCOPE, None, True, None, [])
    assert keys(units) == [old, failed]
    assert running not in keys(units)
    first = units[0]
    assert (first.target, first.rows, first.files, first.bytes) == (TARGET, 1, 2, 2 * 90)
    assert abs((first.newest - (NOW - timedelta(days=30))).total_seconds()) < 1


def test_age_and_keep_last_select_through_the_rules(home: Settings) -> None:
    runs = [record(home, days) for days in (40, 30, 20, 2)]
    units = store(home).units(SCOPE, None, True, None, [])
    assert keys(select_units(Rules(older_than=25 * 86400), units, NOW)) == runs[:2]
    assert keys(select_units(Rules(older_than=7 * 86400, keep_last=2), units, NOW)) == runs[:2]


def test_archive_exports_rows_and_logs_verified(home: Settings, tmp_path: Path) -> None:
    run_id = record(home, 30)
    runs = store(home)
    [unit] = runs.units(SCOPE, None, True, None, [])
    receipt = runs.archive(unit, None, "plan/run")
    folder = home.home / "archive" / "runs" / run_id
    assert Path(receipt.location) == folder
    document = json.loads((folder / "run.json").read_text())
    assert document["run"]["id"] == run_id and document["run"]["status"] == "Succeeded"
    assert [node["name"] for node in document["nodes"]] == ["a", "b"]
    log = folder / document["nodes"][0]["archived_log"]
    assert log.read_text() == "log of a\n" * 10
    assert runs.verify(unit, receipt)
    log.write_text("tampered")
    assert not runs.verify(unit, receipt)
    assert runs.verify(unit, runs.archive(unit, None, "plan/run"))  # a rerun replaces the bundle
    elsewhere = runs.archive(unit, str(tmp_path / "cold"), "plan/run")
    assert Path(elsewhere.location) == tmp_path / "cold" / run_id and runs.verify(unit, elsewhere)


def test_delete_removes_rows_and_logs_but_only_logs_below_the_logs_folder(home: Settings, tmp_path: Path) -> None:
    inside = record(home, 30)
    outside = record(home, 31, log_folder=tmp_path / "foreign")
    runs = store(home)
    units = {unit.detail["run_id"]: unit for unit in runs.units(SCOPE, None, True, None, [])}
    assert runs.size(TARGET) == (2, 4 * 90)
    assert node_rows(home) == 4
    assert runs.delete(units[inside]) == 1
    assert not (home.logs / inside).exists()
    assert runs.remaining(units[inside]) == 0 and runs.fingerprint(units[inside]) == "gone"
    assert runs.delete(units[inside]) == 0
    assert runs.delete(units[outside]) == 1
    assert (tmp_path / "foreign" / "a.log").exists()  # not Sparkhu's to remove
    assert node_rows(home) == 0 and runs.size(TARGET) == (0, 0)
    assert runs.reclaimable(TARGET).files == 0


def test_delete_refuses_a_run_that_runs_again_or_whose_logs_grew(home: Settings) -> None:
    resumed, appended = record(home, 30), record(home, 31)
    runs = store(home)
    units = {unit.detail["run_id"]: unit for unit in runs.units(SCOPE, None, True, None, [])}
    with session_scope(home.database) as session:
        session.get_one(WorkflowRun, resumed).status = "Running"
    with (home.logs / appended / "a.log").open("a") as handle:
        handle.write("retried\n")
    with pytest.raises(UnitChanged, match="running"):
        runs.delete(units[resumed])
    with pytest.raises(UnitChanged, match="changed since the plan"):
        runs.delete(units[appended])
    assert runs.remaining(units[resumed]) == runs.remaining(units[appended]) == 1


def test_the_engine_archives_and_deletes_old_runs_through_the_registered_store(home: Settings) -> None:
    old, young = record(home, 30), record(home, 2)
    running = record(home, 40, status="Running")
    policies = load_policies({"policies": [{"name": "old-workflow-runs", "scope": {"store": "runs"},
                                            "rules": {"older_than": "14d"}, "actions": ["archive", "delete"]}]})
    save_policies(home, policies, actor="test")
    engine = Engine(home, "test")
    [plan] = engine.plan("old-workflow-runs")
    assert [unit.key for unit in plan.units] == [f"run={old}"]
    result = engine.apply(plan.id)
    assert result["result"] == "ok"
    assert result["detail"]["rows"] == {"archived": 1, "downsampled": 0, "deleted": 1}
    assert (result["detail"]["before"][TARGET]["items"], result["detail"]["after"][TARGET]["items"]) == (3, 2)
    with session_scope(home.database) as session:
        assert sorted(session.scalars(select(WorkflowRun.id))) == sorted([young, running])
    assert (home.home / "archive" / "runs" / old / "run.json").exists()
    assert not (home.logs / old).exists()
