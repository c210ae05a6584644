"""The scheduled retention run end to end: `sparkhu run --workflow retention` on a real lake and database.

The packaged `sparkhu-retention` WorkflowTemplate runs through the local executor (warm workers, the same
`sparkhu task run retention` an Argo pod runs): it plans every enabled policy and applies those plans; with
`retention-dry-run=true` it only plans. A policy whose apply is refused does not stop the others, and the
task then exits 1 with the reason.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from deltalake import DeltaTable
from typer.testing import CliRunner

from sparkhu.cli.main import app
from sparkhu.config import Settings
from sparkhu.retention_engine.engine import Engine, PlanRefused
from sparkhu.storage.lake import Lake, Slice
from sparkhu.tasks.retention import PolicyResult, outcome_of, summary_table

runner = CliRunner()
DAYS = 210
KEY = ["series_id", "ts"]

POLICIES = """\
policies:
  - name: v90
    scope: {store: lake, table: validated}
    rules: {older_than: 90d}
    actions: [archive, delete]
"""


def sparkhu(*argv: str, code: int = 0) -> str:
    result = runner.invoke(app, list(argv))
    assert result.exit_code == code, f"sparkhu {' '.join(argv)} -> {result.exit_code}\n{result.output}"
    return result.output


def hourly(end: datetime, days: int = DAYS, series: tuple[str, ...] = ("a", "b")) -> pd.DataFrame:
    """Hourly points of each series over the ``days`` before ``end``."""
    stamps = pd.date_range(end - timedelta(days=days), end, freq="1h", tz="UTC", inclusive="left")
    return pd.concat([pd.DataFrame({"series_id": sid, "ts": stamps, "value": np.arange(len(stamps)) + 1e4 * i})
                      for i, sid in enumerate(series)], ignore_index=True)


@pytest.fixture()
def now() -> datetime:
    """When the test starts, to the hour: the task's own clock is a little later."""
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


@pytest.fixture()
def lake(home: Settings, now: datetime, tmp_path: Path) -> Lake:
    """A `validated` table of two hourly series over 210 days, and the policy v90 imported from a file."""
    lake = Lake(home.lake)
    lake.replace("validated", hourly(now), Slice())
    policies = tmp_path / "policies.yaml"
    policies.write_text(POLICIES)
    sparkhu("retention", "policies", "import", str(policies))
    return lake


def keys(frame: pd.DataFrame) -> set[tuple[str, pd.Timestamp]]:
    return set(zip(frame["series_id"].astype(str), pd.to_datetime(frame["ts"], utc=True), strict=True))


def applies(settings: Settings) -> list[dict[str, object]]:
    return [record for record in Engine(settings, "x").audit() if record["action"] == "apply"]


def test_a_fresh_home_without_policies_succeeds_and_says_so(home: Settings) -> None:
    output = sparkhu("run", "--workflow", "retention")
    assert "no enabled retention policies" in output
    assert "Succeeded" in output
    assert applies(home) == []


def test_the_workflow_archives_then_deletes_rows_older_than_90_days(home: Settings, lake: Lake,
                                                                    now: datetime) -> None:
    before = lake.read("validated")
    output = sparkhu("run", "--workflow", "retention")
    after = lake.read("validated")
    cutoff = pd.Timestamp(now - timedelta(days=90))
    assert after["ts"].min() >= cutoff  # the task's cutoff is a little later than the test's
    assert keys(after) >= keys(before[before["ts"] >= cutoff + pd.Timedelta(hours=1)])
    deleted = keys(before) - keys(after)
    assert len(deleted) >= 2 * 24 * (DAYS - 90)
    archived = DeltaTable(f"{home.lake}/_archive/validated").to_pandas()
    assert keys(archived) == deleted
    [record] = applies(home)
    assert str(record["actor"]).startswith("workflow:")
    assert (record["policy"], record["result"]) == ("v90", "ok")
    assert record["detail"]["rows"]["deleted"] == len(deleted) == record["detail"]["rows"]["archived"]  # type: ignore[index]
    assert "v90" in output and "ok: archived" in output and f"deleted {len(deleted):,} rows" in output
    report = lake.read("reports")
    row = report[report["task"] == "retention"].iloc[0]
    assert row["status"] == "succeeded" and row["run_id"] == str(record["actor"]).removeprefix("workflow:")
    assert json.loads(row["counts"])["rows_deleted"] == len(deleted)


def test_a_dry_run_plans_and_leaves_the_table_unchanged(home: Settings, lake: Lake) -> None:
    before = lake.read("validated")
    output = sparkhu("run", "--workflow", "retention", "-p", "retention-dry-run=true")
    pd.testing.assert_frame_equal(lake.read("validated"), before)
    assert not Path(f"{home.lake}/_archive/validated").exists()
    assert applies(home) == []
    assert "planned: dry run: apply by hand with `sparkhu retention apply p-" in output


def test_a_refused_apply_fails_the_task_after_the_other_policies_ran(
        home: Settings, lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    second = tmp_path / "second.yaml"
    second.write_text(POLICIES.replace("v90", "b-first").replace("table: validated}",
                                                                 "table: validated, series: {ids: [b]}}"))
    sparkhu("retention", "policies", "import", str(second))
    apply = Engine.apply

    def refuse_v90(engine: Engine, plan_id: str, *args: object, **kwargs: object) -> dict[str, object]:
        if engine.stored_plan(plan_id)[0].policy == "v90":
            raise PlanRefused("legal holds changed since the plan; plan again")
        return apply(engine, plan_id)

    monkeypatch.setattr(Engine, "apply", refuse_v90)
    output = sparkhu("task", "run", "retention", code=1)
    assert "task retention failed: policy v90: refused: legal holds changed" in " ".join(output.split())
    [record] = applies(home)  # b-first was applied all the same
    assert record["policy"] == "b-first"
    remaining = lake.read("validated")
    assert set(remaining.loc[remaining["ts"] < remaining["ts"].max() - pd.Timedelta(days=100), "series_id"]) == {"a"}
    report = lake.read("reports")
    assert report.loc[report["task"] == "retention", "status"].tolist() == ["failed"]


def test_unknown_policy_and_bad_ttl_are_refused_before_anything_runs(home: Settings) -> None:
    assert "no retention policy named 'nope'" in sparkhu("task", "run", "retention", "-p", "policy=nope", code=2)
    assert "parameter 'ttl' expects a duration" in sparkhu("task", "run", "retention", "-p", "ttl=soon", code=2)


def test_the_summary_table_and_outcome() -> None:
    results = [
        PolicyResult("v90", "p-1", 2, {"archive": {"rows": 1000, "bytes": 10}, "delete": {"rows": 1000, "bytes": 7}},
                     {"archived": 1000, "downsampled": 0, "deleted": 1000}, "ok", "deleted 1,000 rows"),
        PolicyResult("old", result="failed", message="plan failed: StoreError: gone"),
    ]
    lines = summary_table(results).splitlines()
    assert lines[0].split() == ["policy", "plan", "units", "archive", "rows", "downsample", "rows", "delete", "rows",
                                "delete", "bytes", "result"]
    assert lines[2].split()[:7] == ["v90", "p-1", "2", "1,000", "0", "1,000", "7"]
    assert lines[3].split()[:3] == ["old", "-", "0"]
    outcome = outcome_of(results)
    assert (outcome.rows_in, outcome.rows_out) == (2000, 1000)
    assert outcome.counts["ok"] == outcome.counts["failed"] == 1
    assert outcome.failures == ["policy old: failed: plan failed: StoreError: gone"]
    assert [entry["policy"] for entry in json.loads(outcome.outputs["summary"])] == ["v90", "old"]


def test_a_retried_attempt_resumes_the_apply_its_run_left_midway(
        home: Settings, lake: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    from sparkhu.config import get_settings
    from sparkhu.retention.store import StoreError
    from sparkhu.storage.retention import LakeStore

    monkeypatch.setenv("SPARKHU_RUN_ID", "run-1")
    get_settings.cache_clear()
    before = lake.read("validated")
    delete = LakeStore.delete
    calls = {"n": 0}

    def crash_once(store: LakeStore, unit: object) -> int:
        calls["n"] += 1
        if calls["n"] == 1:
            raise StoreError("object store unreachable")
        return delete(store, unit)  # type: ignore[arg-type]

    monkeypatch.setattr(LakeStore, "delete", crash_once)
    first = sparkhu("task", "run", "retention", code=1)  # the first unit archived, its delete failed
    assert "policy v90: failed: apply stopped" in " ".join(first.split())
    assert applies(home) == []
    second = sparkhu("task", "run", "retention")  # the retry of the same run resumes that plan
    assert "ok (resumed)" in second
    [record] = applies(home)
    assert record["actor"] == "workflow:run-1"
    deleted = keys(before) - keys(lake.read("validated"))
    archived = DeltaTable(f"{home.lake}/_archive/validated").to_pandas()
    assert len(archived) == len(deleted) == record["detail"]["rows"]["deleted"]  # type: ignore[index]
    assert keys(archived) == deleted  # each unit archived once, under the one plan
