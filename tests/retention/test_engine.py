"""The retention engine end to end on a real Delta lake and a real metadata database (SQLite; PostgreSQL too)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from deltalake import DeltaTable

from sparkhu.config import Settings, get_settings
from sparkhu.retention.policy import load_policies
from sparkhu.retention.store import StoreError
from sparkhu.retention_engine.control import add_hold, save_policies
from sparkhu.retention_engine.engine import Engine, PlanRefused
from sparkhu.storage.lake import Lake, Slice
from sparkhu.storage.retention import LakeStore

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
START = NOW - timedelta(days=200)


def points(start: datetime, end: datetime, series: tuple[str, ...] = ("a", "b"), freq: str = "1h") -> pd.DataFrame:
    """Hourly points of each series in [start, end), values distinct per row."""
    stamps = pd.date_range(start, end, freq=freq, tz="UTC", inclusive="left")
    frames = [pd.DataFrame({"series_id": sid, "ts": stamps, "value": np.arange(len(stamps)) + 1000.0 * i})
              for i, sid in enumerate(series)]
    return pd.concat(frames, ignore_index=True)


@pytest.fixture()
def lake(home: Settings) -> Lake:
    """A lake whose ``validated`` table holds 200 days of two hourly series, ending at NOW."""
    lake = Lake(home.lake)
    lake.replace("validated", points(START, NOW), Slice())
    return lake


def engine(settings: Settings, vacuum_window_hours: float = 168.0) -> Engine:
    store = LakeStore(Lake(settings.lake), vacuum_window_hours=vacuum_window_hours)
    return Engine(settings, actor="test", stores={"lake": store})


def declare(settings: Settings, *documents: dict[str, object]) -> None:
    save_policies(settings, load_policies({"policies": list(documents)}), actor="test")


def policy(name: str = "v90", rules: dict[str, object] | None = None, actions: list[object] | None = None,
           **extra: object) -> dict[str, object]:
    return {"name": name, "scope": {"store": "lake", "table": "validated", **extra.pop("scope", {})},  # type: ignore[dict-item]
            "rules": rules or {"older_than": "90d"}, "actions": actions or ["archive", "delete"], **extra}


def plan_and_apply(settings: Settings, name: str = "v90", now: datetime = NOW) -> dict[str, Any]:
    machine = engine(settings)
    [plan] = machine.plan(name, now=now)
    return machine.apply(plan.id, now=now)


def archived(settings: Settings, table: str = "validated") -> pd.DataFrame:
    frame = DeltaTable(f"{settings.lake}/_archive/{table}").to_pandas()
    return frame.drop(columns=["_archive_tag", "month"]).sort_values(["series_id", "ts"]).reset_index(drop=True)


def test_age_rule_archives_then_deletes_exactly_the_old_rows(home: Settings, lake: Lake) -> None:
    before = lake.read("validated")
    declare(home, policy())
    record = plan_and_apply(home)
    after = lake.read("validated")
    cutoff = NOW - timedelta(days=90)
    assert after["ts"].min() >= cutoff
    assert len(after) == (before["ts"] >= cutoff).sum()
    old = before[before["ts"] < cutoff].sort_values(["series_id", "ts"]).reset_index(drop=True)
    back = archived(home)
    columns = ["series_id", "ts", "value"]
    pd.testing.assert_frame_equal(back[columns], old[columns], check_dtype=False)
    assert record["result"] == "ok"
    detail = record["detail"]
    assert detail["rows"]["deleted"] == len(old) == detail["rows"]["archived"]
    assert detail["before"]["validated"]["items"] == len(before)
    assert detail["after"]["validated"]["items"] == len(after)
    assert int(detail["after"]["validated"]["version"]) > int(detail["before"]["validated"]["version"])


def test_plan_is_a_dry_run(home: Settings, lake: Lake) -> None:
    declare(home, policy())
    [plan] = engine(home).plan("v90", now=NOW)
    assert plan.totals()["delete"]["rows"] == 2 * 110 * 24  # 110 of the 200 days are older than 90 days
    assert lake.count("validated") == 2 * 200 * 24
    assert [unit.key for unit in plan.units][-1].startswith("month=2026-09;before=")


def test_apply_twice_changes_nothing_the_second_time(home: Settings, lake: Lake) -> None:
    declare(home, policy())
    machine = engine(home)
    [plan] = machine.plan("v90", now=NOW)
    first = machine.apply(plan.id, now=NOW)
    rows = lake.count("validated")
    second = machine.apply(plan.id, now=NOW)
    assert second["id"] == first["id"]
    assert lake.count("validated") == rows
    assert len(archived(home)) == first["detail"]["rows"]["archived"]


def test_keep_last_keeps_the_newest_partitions(home: Settings, lake: Lake) -> None:
    declare(home, policy("keep3", rules={"older_than": "7d", "keep_last": 3}, actions=["delete"]))
    plan_and_apply(home, "keep3")
    months = sorted(lake.read("validated")["ts"].dt.strftime("%Y-%m").unique())
    assert months == ["2026-09", "2026-10", "2026-11"]


def test_max_bytes_deletes_the_oldest_until_the_table_fits(home: Settings, lake: Lake) -> None:
    store = LakeStore(lake)
    _, size = store.size("validated")
    declare(home, policy("cap", rules={"older_than": "7d", "max_bytes": size // 2}, actions=["delete"]))
    plan_and_apply(home, "cap")
    _, left = store.size("validated")
    months = sorted(lake.read("validated")["ts"].dt.strftime("%Y-%m").unique())
    assert left <= size // 2
    assert months[-1] == "2026-11" and months[0] > "2026-05"


def test_downsample_then_delete_equals_a_direct_aggregation(home: Settings, lake: Lake) -> None:
    source = lake.read("validated")
    declare(home, policy("down", actions=[{"downsample": {"period": "1d", "aggregates": ["mean", "min", "max",
                                                                                            "count"]}}, "delete"]))
    plan_and_apply(home, "down")
    cutoff = NOW - timedelta(days=90)
    old = source[source["ts"] < cutoff]
    direct = (old.set_index("ts").groupby("series_id")["value"].resample("1D").agg(["mean", "min", "max", "count"])
              .reset_index().sort_values(["series_id", "ts"]).reset_index(drop=True))
    stored = DeltaTable(f"{home.lake}/_downsampled/validated_1d").to_pandas()
    stored = stored.sort_values(["series_id", "ts"]).reset_index(drop=True)
    assert len(stored) == len(direct)
    for name in ("mean", "min", "max", "count"):
        np.testing.assert_allclose(stored[f"value_{name}"], direct[name])
    assert stored["rows"].sum() == len(old)
    assert lake.read("validated")["ts"].min() >= cutoff


def test_a_series_hold_keeps_that_series_and_a_table_hold_blocks_every_delete(home: Settings, lake: Lake) -> None:
    declare(home, policy())
    add_hold(home, "series", "b", "litigation", "test")
    plan_and_apply(home)
    left = lake.read("validated")
    assert left[left["series_id"] == "b"].shape[0] == 200 * 24
    assert left[left["series_id"] == "a"]["ts"].min() >= NOW - timedelta(days=90)
    add_hold(home, "table", "validated", "audit", "test")
    lake.replace("validated", points(START, NOW), Slice())
    [plan] = engine(home).plan("v90", now=NOW)
    assert plan.units and all(unit.blocked for unit in plan.units)
    engine(home).apply(plan.id, now=NOW)
    assert lake.count("validated") == 2 * 200 * 24


def test_the_policy_hold_flag_blocks_its_deletes(home: Settings, lake: Lake) -> None:
    declare(home, policy(hold=True))
    plan_and_apply(home)
    assert lake.count("validated") == 2 * 200 * 24


def test_a_hold_placed_after_the_plan_refuses_the_apply(home: Settings, lake: Lake) -> None:
    declare(home, policy())
    machine = engine(home)
    [plan] = machine.plan("v90", now=NOW)
    add_hold(home, "series", "a", "new case", "test")
    with pytest.raises(PlanRefused, match="holds changed"):
        machine.apply(plan.id, now=NOW)
    assert lake.count("validated") == 2 * 200 * 24


def test_the_minimum_age_guard_and_its_audited_override(home: Settings, lake: Lake) -> None:
    with pytest.raises(ValueError, match="minimum age of 168 h"):
        declare(home, policy("young", rules={"older_than": "2d"}))
    declare(home, policy("young", rules={"older_than": "2d"},
                         min_age_override={"hours": 24, "reason": "test data, replayed daily"}))
    record = plan_and_apply(home, "young")
    assert record["detail"]["min_age_override"] == {"hours": 24.0, "reason": "test data, replayed daily"}
    assert lake.read("validated")["ts"].min() >= NOW - timedelta(days=2)


def test_only_planned_rows_that_are_still_valid_go(home: Settings, lake: Lake) -> None:
    declare(home, policy())
    machine = engine(home)
    [plan] = machine.plan("v90", now=NOW)
    late = points(datetime(2026, 6, 10, tzinfo=UTC), datetime(2026, 6, 11, tzinfo=UTC), series=("late",))
    lake.replace("validated", late, Slice(series=("late",)))
    fresh = points(NOW, NOW + timedelta(hours=5), series=("c",))
    lake.replace("validated", fresh, Slice(series=("c",)))
    record = machine.apply(plan.id, now=NOW)
    left = lake.read("validated")
    june = left[left["ts"].dt.strftime("%Y-%m") == "2026-06"]
    assert set(june["series_id"]) == {"a", "b", "late"}  # the month that changed is left for the next plan
    assert len(left[left["series_id"] == "c"]) == 5
    assert left[left["ts"].dt.strftime("%Y-%m") == "2026-07"].empty
    assert record["result"] == "partial"
    assert any("2026-06" in line for line in record["detail"]["skipped"])


def test_an_expired_or_outdated_plan_is_refused(home: Settings, lake: Lake) -> None:
    declare(home, policy())
    machine = engine(home)
    [plan] = machine.plan("v90", ttl_s=60, now=NOW)
    with pytest.raises(PlanRefused, match="expired"):
        machine.apply(plan.id, now=NOW + timedelta(minutes=2))
    [plan] = machine.plan("v90", now=NOW)
    declare(home, policy(rules={"older_than": "120d"}))
    with pytest.raises(PlanRefused, match="changed"):
        machine.apply(plan.id, now=NOW)
    with pytest.raises(PlanRefused, match="no plan"):
        machine.apply("p-000000000000", now=NOW)
    assert lake.count("validated") == 2 * 200 * 24


def test_nothing_is_deleted_when_the_archive_does_not_verify(home: Settings, lake: Lake,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    declare(home, policy())
    monkeypatch.setattr(LakeStore, "verify", lambda self, unit, receipt: False)
    machine = engine(home)
    [plan] = machine.plan("v90", now=NOW)
    with pytest.raises(StoreError, match="does not verify"):
        machine.apply(plan.id, now=NOW)
    assert lake.count("validated") == 2 * 200 * 24


def test_vacuum_is_the_second_stage(home: Settings, lake: Lake) -> None:
    declare(home, policy())
    plan_and_apply(home)  # the window (168 h) has not passed: the deleted files stay
    table = f"{home.lake}/validated"
    assert DeltaTable(table, version=1).to_pandas().shape[0] == 2 * 200 * 24  # time travel still reads them
    machine = engine(home, vacuum_window_hours=0)  # as if the window had passed
    [second] = machine.plan("v90", now=NOW)
    [reclaim] = second.reclaim
    assert reclaim.files > 0 and reclaim.bytes > 0
    machine.apply(second.id, now=NOW)
    assert machine.store("lake").reclaimable("validated").files == 0
    with pytest.raises(OSError):
        DeltaTable(table, version=1).to_pandas()


_CRASHING_APPLY = """
import os, signal, sys
from datetime import datetime
from sparkhu.config import get_settings
from sparkhu.retention_engine.engine import Engine
from sparkhu.storage.retention import LakeStore
point, plan_id, now = sys.argv[1], sys.argv[2], datetime.fromisoformat(sys.argv[3])
if point == "before-delete":
    LakeStore.delete = lambda self, unit: os.kill(os.getpid(), signal.SIGKILL)
else:
    record = Engine._record
    def crash_after_delete(self, plan, unit, stage, detail):
        if stage == "deleted":
            os.kill(os.getpid(), signal.SIGKILL)
        record(self, plan, unit, stage, detail)
    Engine._record = crash_after_delete
Engine(get_settings(), actor="crashing").apply(plan_id, now=now)
"""


@pytest.mark.parametrize("point", ["before-delete", "after-delete"])
def test_a_killed_apply_loses_nothing_and_a_rerun_completes(home: Settings, lake: Lake, tmp_path: Path,
                                                            point: str) -> None:
    before = lake.read("validated")
    declare(home, policy())
    [plan] = engine(home).plan("v90", now=NOW)
    script = tmp_path / "crash.py"
    script.write_text(textwrap.dedent(_CRASHING_APPLY))
    result = subprocess.run([sys.executable, str(script), point, plan.id, NOW.isoformat()],
                            env={**os.environ, "SPARKHU_HOME": str(home.home)}, capture_output=True, timeout=120)
    assert result.returncode == -signal.SIGKILL, result.stderr.decode()[-2000:]
    cutoff = NOW - timedelta(days=90)
    left = lake.read("validated")
    lost = before.merge(left, how="left", on=["series_id", "ts"], indicator=True)
    gone = lost[lost["_merge"] == "left_only"]
    assert len(archived(home).merge(gone[["series_id", "ts"]], on=["series_id", "ts"])) == len(gone)  # all archived
    assert engine(home).audit(plan_id=plan.id) == []
    get_settings.cache_clear()
    record = engine(home).apply(plan.id, now=NOW)
    assert record["detail"]["resumed"] is True and record["result"] == "ok"
    assert lake.read("validated")["ts"].min() >= cutoff
    assert len(archived(home)) == (before["ts"] < cutoff).sum()  # no duplicates from the rewritten archive


@pytest.mark.postgres
def test_plan_and_apply_with_the_metadata_database_on_postgresql(
    home: Settings, lake: Lake, postgres_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPARKHU_DATABASE_URL", postgres_database)
    get_settings.cache_clear()
    settings = get_settings()
    declare(settings, policy())
    add_hold(settings, "series", "b", "kept", "test")
    record = plan_and_apply(settings)
    assert record["detail"]["rows"]["deleted"] == 110 * 24
    assert engine(settings).audit()[0]["plan_id"] == record["plan_id"]


def test_a_series_selector_by_group_and_tags_reads_the_features_registry(home: Settings, lake: Lake) -> None:
    from sparkhu.metadata.db import session_scope
    from sparkhu.metadata.features import Feature

    with session_scope(home.database) as session:
        session.add_all([Feature(id="a", group="plant", tags=["hot"]), Feature(id="b", group="plant", tags=[])])
    declare(home, policy("plant-hot", scope={"series": {"group": "plant", "tags": ["hot"]}}))
    plan_and_apply(home, "plant-hot")
    left = lake.read("validated")
    assert len(left[left["series_id"] == "b"]) == 200 * 24
    assert left[left["series_id"] == "a"]["ts"].min() >= NOW - timedelta(days=90)


def test_a_plan_being_applied_elsewhere_is_refused(home: Settings, lake: Lake) -> None:
    from sparkhu.metadata.retention import plan_lock
    from sparkhu.retention_engine.engine import PlanNotFound

    declare(home, policy())
    machine = engine(home)
    [plan] = machine.plan("v90", now=NOW)
    with plan_lock(home.database, plan.id), pytest.raises(PlanRefused, match="another process"):
        machine.apply(plan.id, now=NOW)
    assert lake.count("validated") == 2 * 200 * 24
    assert machine.apply(plan.id, now=NOW)["result"] == "ok"  # the lock went with its holder
    with pytest.raises(PlanNotFound):
        machine.apply("p-000000000000", now=NOW)
