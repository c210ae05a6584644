"""MLflow as a retention store: finished runs of an experiment, or registered model versions without alias.

A policy's ``scope.table`` chooses the unit (:data:`~sparkhu.retention.policy.MLFLOW_UNITS`):

* ``runs`` (the default): one finished run (``FINISHED``, ``FAILED`` or ``KILLED``) of the experiment named
  by ``scope.experiment`` — its name, or a series group (``sparkhu-<group>``), or ``*`` for every Sparkhu
  experiment (named ``sparkhu-…``: a shared server's other experiments are never in a ``*`` scope). Its age
  is its end time and its bytes are its artifacts where they are local files. A nested run (a tuning trial)
  counts for ``keep_last`` with its parent.
* ``model-versions``: one version of the registered model named by ``scope.experiment`` (or of every
  ``sparkhu-…`` model for ``*``), aged from its registration.

``keep_last`` counts per target (:func:`~sparkhu.retention.select.select_units`): it keeps the newest N
runs of each experiment (N versions of each registered model), also in a ``*`` scope.

**What forecasts use is never a unit**: a run that is still running, a version an alias points to (the
``champion``) and the run such a version was registered from. Each is re-checked right before its delete
(MLflow has no write lock: an alias set in the instant between that check and the delete is the one
window left, and ``delete_model_version`` refuses nothing, so the check is as late as it can be).

A run's delete is MLflow's own two stages: ``delete`` marks it deleted (restorable, hidden from searches)
and ``reclaim`` is ``mlflow gc`` for the runs marked more than the window (168 h by default) ago: their
artifacts are removed and their rows dropped with the same backend-store calls ``mlflow gc`` makes
(``_get_deleted_runs``, ``_hard_delete_run``, available on database backends; against a tracking server the
second stage is the server's own ``mlflow gc``). A model version's delete is final at once: nothing is
left for a second stage (its files belong to its run).

An archive is a bundle (:mod:`sparkhu.retention.files`) under ``<home>/archive/mlflow/<experiment>/<run>``
(``…/registered-models/<model>/v<n>`` for a version) or under ``{archive: {to: FOLDER}}``: the metadata as
JSON (info, parameters, tags, the full history of every metric; or the version's fields) and a copy of the
artifacts, each file verified by SHA-256.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlparse

from mlflow.entities import Experiment, Run, ViewType
from mlflow.entities.model_registry import ModelVersion, RegisteredModel
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from sparkhu.retention.files import (
    GONE,
    json_bytes,
    local_folder,
    safe_name,
    short_digest,
    tree_files,
    tree_size,
    verify_bundle,
    write_bundle,
)
from sparkhu.retention.policy import MIN_AGE_HOURS, Scope
from sparkhu.retention.store import NoDownsample, Receipt, Reclaim, StoreError, Unit, UnitChanged
from sparkhu.tracking.store import EXPERIMENT_PREFIX, MODEL_PREFIX, ModelStore, registered_name

FINISHED = frozenset({"FINISHED", "FAILED", "KILLED"})
"""Run statuses of a run that is over (``RUNNING`` and ``SCHEDULED`` runs are never units)."""
MODEL_TARGET = "model:"
"""Prefix of a registered model's target (an experiment's target is its name)."""
PARENT_TAG = "mlflow.parentRunId"
_T = TypeVar("_T")


class MlflowStore(NoDownsample):
    """Retention over the runs and registered model versions of one MLflow tracking URI.

    Args:
        uri: Tracking (and registry) URI.
        home: Sparkhu's home: default archives go to ``<home>/archive/mlflow``, relative ``to`` paths
            start there.
        gc_window_hours: How long a deleted run stays restorable before ``reclaim`` removes it for good;
            tests shorten it to see the second stage at once.
    """

    holds = "MLflow runs or models"

    name = "mlflow"

    def __init__(self, uri: str, home: Path, gc_window_hours: float = MIN_AGE_HOURS) -> None:
        self.uri = uri
        self.home = home
        self.gc_window_hours = gc_window_hours
        self._client: MlflowClient | None = None

    @property
    def client(self) -> MlflowClient:
        """The MLflow client (created, with the database schema for SQLite, on first use)."""
        if self._client is None:
            self._client = ModelStore(self.uri).client
        return self._client

    def units(self, scope: Scope, cutoff: datetime | None, deletes: bool, series: list[str] | None,
              held_series: list[str]) -> list[Unit]:
        """Finished, unprotected runs (or versions without alias) of the scope, oldest first."""
        pattern = scope.experiment or "*"
        units = self._version_units(pattern) if scope.table == "model-versions" else self._run_units(pattern)
        return sorted(units, key=lambda unit: (unit.newest, unit.key))

    def fingerprint(self, unit: Unit) -> str:
        """The run's (or version's) state now: status, times, tags, metrics, aliases; ``gone`` once removed."""
        if unit.detail["kind"] == "version":
            version = self._model_version(unit.detail["model"], unit.detail["version"])
            return GONE if version is None else _version_fingerprint(version)
        run = self._run(unit.detail["run_id"])
        if run is None:
            return GONE
        return _run_fingerprint(run, self._is_protected(run.info.run_id))

    def remaining(self, unit: Unit) -> int:
        """1 while the run is active (or the version exists), else 0."""
        if unit.detail["kind"] == "version":
            return int(self._model_version(unit.detail["model"], unit.detail["version"]) is not None)
        run = self._run(unit.detail["run_id"])
        return int(run is not None and run.info.lifecycle_stage == "active")

    def archive(self, unit: Unit, location: str | None, tag: str) -> Receipt:
        """Copy the run's (version's) metadata and artifacts into a bundle, and verify it file by file."""
        base = local_folder(location, self.home) if location else self.home / "archive" / "mlflow"
        if unit.detail["kind"] == "version":
            return self._archive_version(unit, base, tag)
        run = self._run(unit.detail["run_id"])
        if run is None:
            raise StoreError(f"run {unit.detail['run_id']} is no longer in MLflow: nothing to archive")
        dest = base / safe_name(unit.target) / run.info.run_id
        with _materialized(run.info.artifact_uri, self.uri) as artifacts:
            files = {f"artifacts/{name}": path for name, path in artifacts.items()}
            return write_bundle(dest, {"run.json": json_bytes(self._run_document(run))}, files, tag, rows=1)

    def verify(self, unit: Unit, receipt: Receipt) -> bool:
        """Whether the bundle still holds exactly the files it was written with."""
        return verify_bundle(receipt)


    def delete(self, unit: Unit) -> int:
        """Mark the run deleted (or delete the version) after re-checking it is unchanged and unprotected."""
        if unit.detail["kind"] == "version":
            return self._delete_version(unit)
        run = self._run(unit.detail["run_id"])
        if run is None:
            return 0
        where = f"run {run.info.run_id} of {unit.target}"
        if run.info.status not in FINISHED:
            raise UnitChanged(f"{where} is {run.info.status}: a run that is not over is never deleted")
        if self._is_protected(run.info.run_id):
            raise UnitChanged(f"{where}: a model version with an alias points to it now")
        if _run_fingerprint(run, False) != unit.fingerprint:
            raise UnitChanged(f"{where} changed since the plan")
        self.client.delete_run(run.info.run_id)
        return 1

    def reclaimable(self, target: str) -> Reclaim:
        """What ``mlflow gc`` would remove now: runs of ``target`` deleted more than the window ago."""
        return self._gc(target, dry_run=True)

    def reclaim(self, target: str) -> Reclaim:
        """``mlflow gc`` for ``target``: remove the artifacts and rows of runs deleted more than the window ago."""
        return self._gc(target, dry_run=False)

    def size(self, target: str) -> tuple[int, int]:
        """Active runs (or versions) of the target and the bytes of their local artifacts."""
        if target.startswith(MODEL_TARGET):
            versions = self._versions(target.removeprefix(MODEL_TARGET))
            return len(versions), sum(tree_size(_local_path(version.source))[1] for version in versions)
        experiment = self.client.get_experiment_by_name(target)
        if experiment is None:
            return 0, 0
        runs = self._runs(experiment.experiment_id)
        return len(runs), sum(tree_size(_local_path(run.info.artifact_uri))[1] for run in runs)

    def version(self, target: str) -> str | None:
        """MLflow has no versions of an experiment."""
        return None

    def _run_units(self, pattern: str) -> list[Unit]:
        protected = self._protected_runs()
        units = []
        for experiment in self._experiments(pattern):
            for run in self._runs(experiment.experiment_id):
                if run.info.status in FINISHED and run.info.run_id not in protected:
                    units.append(_run_unit(experiment.name, run))
        return units

    def _version_units(self, pattern: str) -> list[Unit]:
        units = []
        for model in self._models(pattern):
            aliased = {str(number) for number in (model.aliases or {}).values()}
            for found in self._versions(model.name):
                if str(found.version) in aliased:
                    continue
                version = self._model_version(model.name, str(found.version))
                if version is not None and not version.aliases and version.status != "PENDING_REGISTRATION":
                    units.append(_version_unit(version))
        return units

    def _experiments(self, pattern: str) -> list[Experiment]:
        """The active experiments a scope names: ``*`` (every ``sparkhu-…``), a name, or a series group."""
        if pattern == "*":
            return _pages(lambda token: self.client.search_experiments(
                view_type=ViewType.ACTIVE_ONLY, filter_string=f"name LIKE '{EXPERIMENT_PREFIX}%'",
                page_token=token))
        for name in (pattern, EXPERIMENT_PREFIX + pattern):
            found = self.client.get_experiment_by_name(name)
            if found is not None and found.lifecycle_stage == "active":
                return [found]
        return []

    def _models(self, pattern: str) -> list[RegisteredModel]:
        """The registered models a scope names: ``*`` (every ``sparkhu-…``), a name, or a series group."""
        if pattern == "*":
            return _pages(lambda token: self.client.search_registered_models(
                filter_string=f"name LIKE '{MODEL_PREFIX}%'", page_token=token))
        for name in dict.fromkeys((pattern, registered_name(pattern))):
            found = self._registered_model(name)
            if found is not None:
                return [found]
        return []

    def _registered_model(self, name: str) -> RegisteredModel | None:
        return _or_none(lambda: self.client.get_registered_model(name))

    def _runs(self, experiment_id: str) -> list[Run]:
        return _pages(lambda token: self.client.search_runs(
            [experiment_id], filter_string="", run_view_type=ViewType.ACTIVE_ONLY, max_results=1000,
            page_token=token))

    def _versions(self, model: str) -> list[ModelVersion]:
        return _pages(lambda token: self.client.search_model_versions(
            f"name='{model}'", page_token=token))

    def _run(self, run_id: str) -> Run | None:
        return _or_none(lambda: self.client.get_run(run_id))

    def _model_version(self, model: str, version: str) -> ModelVersion | None:
        return _or_none(lambda: self.client.get_model_version(model, version))

    def _protected_runs(self) -> set[str]:
        """Runs that a version with an alias was registered from (any registered model of the server)."""
        protected = set()
        for model in _pages(lambda token: self.client.search_registered_models(page_token=token)):
            for number in set((model.aliases or {}).values()):
                version = self._model_version(model.name, str(number))
                if version is not None and version.run_id:
                    protected.add(str(version.run_id))
        return protected

    def _is_protected(self, run_id: str) -> bool:
        """Whether a version with an alias was registered from ``run_id`` (asked of the registry now)."""
        for version in self.client.search_model_versions(f"run_id='{run_id}'"):
            model = self.client.get_registered_model(version.name)
            if str(version.version) in {str(number) for number in (model.aliases or {}).values()}:
                return True
        return False

    def _run_document(self, run: Run) -> dict[str, Any]:
        """Everything MLflow knows of a run but its artifacts, as JSON-ready data."""
        info = run.info
        history = {key: [{"value": metric.value, "step": metric.step, "timestamp": metric.timestamp}
                         for metric in self.client.get_metric_history(info.run_id, key)]
                   for key in sorted(run.data.metrics)}
        return {"info": {field: getattr(info, field) for field in (
                    "run_id", "run_name", "experiment_id", "user_id", "status", "start_time", "end_time",
                    "artifact_uri", "lifecycle_stage")},
                "params": dict(sorted(run.data.params.items())), "tags": dict(sorted(run.data.tags.items())),
                "metrics": history}

    def _archive_version(self, unit: Unit, base: Path, tag: str) -> Receipt:
        version = self._model_version(unit.detail["model"], unit.detail["version"])
        if version is None:
            raise StoreError(f"{unit.key} is no longer in the registry: nothing to archive")
        dest = base / "registered-models" / safe_name(version.name) / f"v{version.version}"
        source = self.client.get_model_version_download_uri(version.name, str(version.version))
        with _materialized(source, self.uri) as artifacts:
            files = {f"artifacts/{name}": path for name, path in artifacts.items()}
            return write_bundle(dest, {"version.json": json_bytes(_version_document(version))}, files, tag,
                                rows=1)

    def _delete_version(self, unit: Unit) -> int:
        version = self._model_version(unit.detail["model"], unit.detail["version"])
        if version is None:
            return 0
        if version.aliases:
            raise UnitChanged(f"{unit.key}: alias {', '.join(version.aliases)} points to it now")
        if _version_fingerprint(version) != unit.fingerprint:
            raise UnitChanged(f"{unit.key} changed since the plan")
        self.client.delete_model_version(version.name, str(version.version))
        return 1

    def _gc(self, target: str, dry_run: bool) -> Reclaim:
        """``mlflow gc --older-than <window>`` restricted to the runs of one experiment."""
        if target.startswith(MODEL_TARGET):
            return Reclaim(target=target, files=0, bytes=0,
                           detail={"dry_run": dry_run, "note": "a model version's delete has no second stage"})
        backend = self.client._tracking_client.store
        if not (hasattr(backend, "_get_deleted_runs") and hasattr(backend, "_hard_delete_run")):
            return Reclaim(target=target, files=0, bytes=0, detail={
                "dry_run": dry_run, "unsupported": "this tracking backend gc's on its side (`mlflow gc`)"})
        runs = self._deleted_runs(backend, target)
        sizes = [tree_size(_local_path(run.info.artifact_uri)) for run in runs]
        if not dry_run:
            for run in runs:
                _remove_artifacts(run.info.artifact_uri)
                backend._hard_delete_run(run.info.run_id)
        return Reclaim(target=target, files=sum(files for files, _ in sizes), bytes=sum(size for _, size in sizes),
                       detail={"dry_run": dry_run, "runs": len(runs)})

    def _deleted_runs(self, backend: Any, target: str) -> list[Run]:
        """Runs of experiment ``target`` marked deleted more than the window ago (still deleted now)."""
        experiment = self.client.get_experiment_by_name(target)
        if experiment is None:
            return []
        window_ms = int(self.gc_window_hours * 3600 * 1000)
        runs = [self._run(run_id) for run_id in backend._get_deleted_runs(older_than=window_ms)]
        return [run for run in runs if run is not None and run.info.experiment_id == experiment.experiment_id
                and run.info.lifecycle_stage == "deleted"]


def _run_unit(experiment: str, run: Run) -> Unit:
    """A finished run as a unit (a nested run is in its parent's ``keep_last`` group)."""
    info = run.info
    files, size = tree_size(_local_path(info.artifact_uri))
    parent = run.data.tags.get(PARENT_TAG) or info.run_id
    return Unit(key=f"run={info.run_id}", target=experiment, newest=_moment(info.end_time or info.start_time),
                rows=1, bytes=size, files=files, fingerprint=_run_fingerprint(run, False),
                detail={"kind": "run", "run_id": info.run_id, "experiment_id": info.experiment_id},
                group=f"run={parent}")


def _version_unit(version: ModelVersion) -> Unit:
    files, size = tree_size(_local_path(version.source))
    return Unit(key=f"version={version.name}/{version.version}", target=MODEL_TARGET + version.name,
                newest=_moment(version.creation_timestamp), rows=1, bytes=size, files=files,
                fingerprint=_version_fingerprint(version),
                detail={"kind": "version", "model": version.name, "version": str(version.version),
                        "run_id": version.run_id or ""})


def _run_fingerprint(run: Run, protected: bool) -> str:
    """What changes when a run does: stage, status, end time, parameters, tags, metrics, local artifacts."""
    info, data = run.info, run.data
    stamps = [metric.timestamp for metric in getattr(data, "_metric_objs", [])]
    return short_digest({
        "stage": info.lifecycle_stage, "status": info.status, "end": info.end_time, "protected": protected,
        "params": sorted(data.params.items()), "tags": sorted(data.tags.items()),
        "metrics": sorted(data.metrics.items()), "last_metric": max(stamps, default=None),
        "artifacts": tree_size(_local_path(info.artifact_uri))})


def _version_fingerprint(version: ModelVersion) -> str:
    """What changes when a version does: status, stage, update time, tags, aliases, source."""
    return short_digest({
        "status": version.status, "stage": version.current_stage, "updated": version.last_updated_timestamp,
        "tags": sorted((version.tags or {}).items()), "aliases": sorted(version.aliases or []),
        "source": version.source, "run": version.run_id, "description": version.description})


def _version_document(version: ModelVersion) -> dict[str, Any]:
    return {field: getattr(version, field) for field in (
        "name", "version", "source", "run_id", "status", "current_stage", "description", "creation_timestamp",
        "last_updated_timestamp", "user_id", "run_link")} | {"tags": dict(sorted((version.tags or {}).items()))}


def _local_path(uri: str | None) -> Path | None:
    """The local path of a ``file:`` URI or a plain path (None for any other scheme)."""
    if not uri:
        return None
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    return Path(uri) if parsed.scheme == "" else None


@contextmanager
def _materialized(uri: str, tracking_uri: str) -> Iterator[dict[str, Path]]:
    """Files of an artifact location by relative path: in place if local, else downloaded for the copy."""
    local = _local_path(uri)
    if local is not None:
        yield tree_files(local) if local.exists() else {}
        return
    import mlflow.artifacts

    with tempfile.TemporaryDirectory(prefix="sparkhu-archive-") as folder:
        try:
            path = mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=folder, tracking_uri=tracking_uri)
        except MlflowException as error:
            raise StoreError(f"cannot download the artifacts at {uri} to archive them: {error}") from error
        yield tree_files(Path(path))


def _remove_artifacts(uri: str) -> None:
    """Remove a deleted run's artifacts (and its run folder once empty), as ``mlflow gc`` does."""
    local = _local_path(uri)
    if local is None:
        from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

        get_artifact_repository(uri).delete_artifacts()
        return
    shutil.rmtree(local, ignore_errors=True)
    if local.name == "artifacts":  # MLflow's layout: <experiment>/<run_id>/artifacts
        with contextlib.suppress(OSError):
            local.parent.rmdir()


def _moment(millis: int | None) -> datetime:
    return datetime.fromtimestamp((millis or 0) / 1000, UTC)


def _or_none(call: Callable[[], _T]) -> _T | None:
    """``call()``, or None when MLflow says the run, version or model does not exist."""
    try:
        return call()
    except MlflowException as error:
        if error.error_code == "RESOURCE_DOES_NOT_EXIST":
            return None
        raise


def _pages(fetch: Callable[[str | None], Any]) -> list[Any]:
    """Every item of a paged MLflow search."""
    items: list[Any] = []
    token: str | None = None
    while True:
        page = fetch(token)
        items += list(page)
        token = page.token
        if not token:
            return items
