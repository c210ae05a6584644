"""The MLflow retention store on a real MLflow SQLite tracking store with a file artifact root."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from mlflow.exceptions import MlflowException

from sparkhu.config import Settings
from sparkhu.retention.policy import Rules, Scope, load_policies
from sparkhu.retention.select import select_units
from sparkhu.retention.store import Unit, UnitChanged
from sparkhu.retention_engine.control import save_policies
from sparkhu.retention_engine.engine import Engine
from sparkhu.tracking.retention import MlflowStore
from sparkhu.tracking.store import ModelStore

NOW = datetime.now(UTC)
RUNS = Scope(store="mlflow", experiment="plant")
VERSIONS = Scope(store="mlflow", experiment="plant", table="model-versions")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty MLflow database with its schema (creating one takes seconds: once per module)."""
    path = tmp_path_factory.mktemp("mlflow") / "mlflow.db"
    ModelStore(f"sqlite:///{path}")
    return path


@pytest.fixture()
def models(home: Settings, template: Path) -> ModelStore:
    """Sparkhu's MLflow store of the test's home (artifacts under ``<home>/mlartifacts``)."""
    home.home.mkdir(parents=True, exist_ok=True)
    shutil.copy(template, home.home / "mlflow.db")
    return ModelStore(home.mlflow, (home.home / "mlartifacts").as_uri())


def store(settings: Settings, gc_window_hours: float = 168.0) -> MlflowStore:
    return MlflowStore(settings.mlflow, settings.home, gc_window_hours=gc_window_hours)


def run(models: ModelStore, days_ago: float, experiment: str = "plant", status: str | None = "FINISHED",
        artifact: str = "plot", parent: str | None = None) -> str:
    """A run that ended ``days_ago`` with a parameter, a two-point metric and one artifact file."""
    end = int((NOW - timedelta(days=days_ago)).timestamp() * 1000)
    run_id = models.start_run(experiment, f"run-{days_ago}", params={"alpha": 0.5}, parent=parent)
    models.client.log_metric(run_id, "mae", 2.0, timestamp=end - 2000, step=0)
    models.client.log_metric(run_id, "mae", 1.5, timestamp=end - 1000, step=1)
    if artifact:
        folder = Path(models.client.get_run(run_id).info.artifact_uri.removeprefix("file://"))
        (folder / "plots").mkdir(parents=True)
        (folder / "plots" / "fit.txt").write_text(artifact * 100)
    if status:
        models.client.set_terminated(run_id, status, end_time=end)
    return run_id


def version(models: ModelStore, run_id: str, model: str = "sparkhu-plant", alias: str | None = None) -> str:
    """A registered version of ``run_id``'s plots (with ``alias`` pointing to it)."""
    models._ensure_registered(model)
    source = f"{models.client.get_run(run_id).info.artifact_uri}/plots"
    number = str(models.client.create_model_version(model, source, run_id=run_id).version)
    if alias:
        models.client.set_registered_model_alias(model, alias, number)
    return number


def ids(units: list[Unit]) -> list[str]:
    return [unit.detail.get("run_id") or unit.key for unit in units]


def test_units_are_the_finished_runs_that_no_alias_protects(home: Settings, models: ModelStore) -> None:
    old, failed = run(models, 40), run(models, 30, status="FAILED")
    running = run(models, 20, status=None)
    champion = run(models, 10)
    version(models, champion, alias="champion")
    run(models, 5, experiment="other")
    units = store(home).units(RUNS, None, True, None, [])
    assert ids(units) == [old, failed]  # oldest first; no running run, no champion's run, no other experiment
    assert running not in ids(units)
    first = units[0]
    assert first.target == "sparkhu-plant"
    assert abs((first.newest - (NOW - timedelta(days=40))).total_seconds()) < 1
    assert (first.rows, first.files, first.bytes) == (1, 1, 400)


def test_a_star_scope_covers_every_sparkhu_experiment_and_nested_runs_group_with_their_parent(
        home: Settings, models: ModelStore) -> None:
    parent = run(models, 30, experiment="tune")
    trial = run(models, 31, experiment="tune", parent=parent)
    other = run(models, 20)
    models.client.create_experiment("foreign")
    units = store(home).units(Scope(store="mlflow", experiment="*"), None, True, None, [])
    assert sorted(ids(units)) == sorted([parent, trial, other])
    groups = {unit.detail["run_id"]: unit.group for unit in units}
    assert groups[trial] == groups[parent] == f"run={parent}"
    assert select_units(Rules(keep_last=1), units, NOW) == []  # keep_last counts per experiment
    run(models, 10, experiment="tune")
    units = store(home).units(Scope(store="mlflow", experiment="*"), None, True, None, [])
    kept = select_units(Rules(keep_last=1), units, NOW)  # the tuning run counts once, with its trial
    assert sorted(ids(kept)) == sorted([parent, trial])


def test_age_and_keep_last_select_through_the_rules(home: Settings, models: ModelStore) -> None:
    runs = [run(models, days) for days in (50, 40, 30, 3)]
    units = store(home).units(RUNS, None, True, None, [])
    assert ids(select_units(Rules(older_than=35 * 86400), units, NOW)) == runs[:2]
    assert ids(select_units(Rules(older_than=7 * 86400, keep_last=2), units, NOW)) == runs[:2]
    assert ids(select_units(Rules(keep_last=3), units, NOW)) == runs[:1]


def test_archive_copies_metadata_and_artifacts_and_verifies_them(home: Settings, models: ModelStore) -> None:
    run_id = run(models, 40)
    mlflow = store(home)
    [unit] = mlflow.units(RUNS, None, True, None, [])
    receipt = mlflow.archive(unit, None, "plan/run")
    folder = home.home / "archive" / "mlflow" / "sparkhu-plant" / run_id
    assert Path(receipt.location) == folder
    document = json.loads((folder / "run.json").read_text())
    assert document["params"] == {"alpha": "0.5"}
    assert [point["value"] for point in document["metrics"]["mae"]] == [2.0, 1.5]
    assert document["info"]["status"] == "FINISHED"
    assert (folder / "artifacts" / "plots" / "fit.txt").read_text() == "plot" * 100
    assert json.loads((folder / "manifest.json").read_text())["tag"] == "plan/run"
    assert mlflow.verify(unit, receipt)
    assert mlflow.archive(unit, None, "plan/run").checksum == receipt.checksum  # a rerun replaces the copy
    (folder / "artifacts" / "plots" / "fit.txt").write_text("tampered")
    assert not mlflow.verify(unit, receipt)
    elsewhere = mlflow.archive(unit, str(home.home.parent / "cold"), "plan/run")
    assert Path(elsewhere.location) == home.home.parent / "cold" / "sparkhu-plant" / run_id
    assert mlflow.verify(unit, elsewhere)


def test_delete_is_a_soft_delete_and_gc_is_the_second_stage(home: Settings, models: ModelStore) -> None:
    run_id = run(models, 40)
    artifacts = Path(models.client.get_run(run_id).info.artifact_uri.removeprefix("file://"))
    mlflow = store(home)
    [unit] = mlflow.units(RUNS, None, True, None, [])
    assert mlflow.size("sparkhu-plant") == (1, 400)
    assert mlflow.delete(unit) == 1
    assert models.client.get_run(run_id).info.lifecycle_stage == "deleted"
    assert mlflow.remaining(unit) == 0
    assert mlflow.fingerprint(unit) != unit.fingerprint
    assert mlflow.units(RUNS, None, True, None, []) == []
    assert mlflow.reclaimable("sparkhu-plant").files == 0  # deleted just now: within the 168 h window
    assert artifacts.exists()
    now = store(home, gc_window_hours=0)
    due = now.reclaimable("sparkhu-plant")
    assert (due.files, due.bytes, due.detail["runs"]) == (1, 400, 1)
    assert now.reclaim("sparkhu-plant").detail["runs"] == 1
    with pytest.raises(MlflowException):
        models.client.get_run(run_id)
    assert not artifacts.exists() and not artifacts.parent.exists()
    assert now.reclaimable("sparkhu-plant").files == 0


def test_delete_refuses_a_run_that_changed_started_again_or_became_a_champion(
        home: Settings, models: ModelStore) -> None:
    tagged, restarted, promoted = run(models, 40), run(models, 41), run(models, 42)
    mlflow = store(home)
    units = {unit.detail["run_id"]: unit for unit in mlflow.units(RUNS, None, True, None, [])}
    models.client.set_tag(tagged, "note", "keep me")
    models.client.update_run(restarted, status="RUNNING")
    version(models, promoted, alias="champion")
    for run_id, reason in ((tagged, "changed"), (restarted, "RUNNING"), (promoted, "alias")):
        assert mlflow.fingerprint(units[run_id]) != units[run_id].fingerprint
        with pytest.raises(UnitChanged, match=reason):
            mlflow.delete(units[run_id])
        assert models.client.get_run(run_id).info.lifecycle_stage == "active"


def test_model_versions_without_alias_are_units_and_keep_last_counts_the_models_versions(
        home: Settings, models: ModelStore) -> None:
    source = run(models, 40)
    numbers = [version(models, source) for _ in range(4)]
    models.client.set_registered_model_alias("sparkhu-plant", "champion", numbers[1])
    version(models, source, model="sparkhu-other")
    mlflow = store(home)
    units = mlflow.units(VERSIONS, None, True, None, [])
    assert [unit.detail["version"] for unit in units] == ["1", "3", "4"]  # the champion is never a unit
    assert {unit.target for unit in units} == {"model:sparkhu-plant"}
    assert (units[0].files, units[0].bytes) == (1, 400)
    later = NOW + timedelta(minutes=5)
    assert [unit.detail["version"] for unit in select_units(Rules(keep_last=1), units, later)] == ["1", "3"]
    everything = mlflow.units(Scope(store="mlflow", experiment="*", table="model-versions"), None, True, None, [])
    assert len(everything) == 4


def test_a_version_is_archived_then_deleted_unless_an_alias_came_since(home: Settings, models: ModelStore) -> None:
    source = run(models, 40)
    first, second = version(models, source), version(models, source)
    mlflow = store(home)
    plain, promoted = mlflow.units(VERSIONS, None, True, None, [])
    receipt = mlflow.archive(plain, None, "plan/v1")
    folder = home.home / "archive" / "mlflow" / "registered-models" / "sparkhu-plant" / f"v{first}"
    assert Path(receipt.location) == folder and mlflow.verify(plain, receipt)
    assert json.loads((folder / "version.json").read_text())["run_id"] == source
    assert (folder / "artifacts" / "fit.txt").read_text() == "plot" * 100
    assert mlflow.delete(plain) == 1
    assert mlflow.remaining(plain) == 0 and mlflow.fingerprint(plain) == "gone"
    assert mlflow.reclaimable(plain.target).files == 0
    models.client.set_registered_model_alias("sparkhu-plant", "champion", second)
    with pytest.raises(UnitChanged, match="alias champion"):
        mlflow.delete(promoted)
    assert models.client.get_model_version("sparkhu-plant", second).aliases == ["champion"]


def test_the_engine_archives_and_deletes_old_runs_through_the_registered_store(
        home: Settings, models: ModelStore) -> None:
    old, young = run(models, 40), run(models, 2)
    champion = run(models, 50)
    version(models, champion, alias="champion")
    policies = load_policies({"policies": [{"name": "old-runs", "scope": {"store": "mlflow", "experiment": "plant"},
                                            "rules": {"older_than": "30d"}, "actions": ["archive", "delete"]}]})
    save_policies(home, policies, actor="test")
    engine = Engine(home, "test")
    [plan] = engine.plan("old-runs")
    assert [unit.key for unit in plan.units] == [f"run={old}"]
    assert [entry.target for entry in plan.reclaim] == ["sparkhu-plant"]
    record = engine.apply(plan.id)
    assert record["result"] == "ok"
    assert record["detail"]["rows"] == {"archived": 1, "downsampled": 0, "deleted": 1}
    assert record["detail"]["before"]["sparkhu-plant"]["items"] == 3
    assert record["detail"]["after"]["sparkhu-plant"]["items"] == 2
    stages = {run_id: models.client.get_run(run_id).info.lifecycle_stage for run_id in (old, young, champion)}
    assert stages == {old: "deleted", young: "active", champion: "active"}
    archived = home.home / "archive" / "mlflow" / "sparkhu-plant" / old
    assert json.loads((archived / "run.json").read_text())["info"]["run_id"] == old


@pytest.mark.parametrize(("table", "accepted"), [(None, True), ("runs", True), ("model-versions", True),
                                                  ("raw", False)])
def test_an_mlflow_scope_names_runs_or_model_versions(table: str | None, accepted: bool) -> None:
    document = {"store": "mlflow", "experiment": "plant", "table": table}
    if accepted:
        assert Scope.model_validate(document).table == table
    else:
        with pytest.raises(ValueError, match="runs or model-versions"):
            Scope.model_validate(document)
