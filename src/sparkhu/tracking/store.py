"""Runs, trials and registered models in MLflow: SQLite under the home by default, a server in a cluster.

Every call goes through one :class:`ModelStore` holding an ``MlflowClient`` for the configured URI (no
global ``mlflow.set_tracking_uri``). A group of series is one registered model, ``sparkhu-<group>``;
its versions carry the held-out metrics as tags, and the alias ``champion`` marks the version that
forecasts. A version is saved as an MLflow pyfunc model (so ``mlflow.pyfunc.load_model`` serves it)
whose artifact is the pickled :class:`~sparkhu.models.base.Forecaster`.
"""

from __future__ import annotations

import fcntl
import json
import re
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlflow.exceptions import MlflowException
from mlflow.pyfunc import PythonModel
from mlflow.tracking import MlflowClient

from sparkhu.models.base import Forecaster

CHAMPION = "champion"
EXPERIMENT_PREFIX = "sparkhu-"
MODEL_PREFIX = "sparkhu-"
FORECASTER_ARTIFACT = "forecaster.pkl"


class ForecasterModel(PythonModel):
    """The pyfunc face of a stored forecaster: ``predict`` takes a list of Series and returns forecasts."""

    def load_context(self, context: Any) -> None:
        """Unpickle the forecaster from the model's artifacts."""
        self.forecaster = Forecaster.load(Path(context.artifacts["forecaster"]))

    def predict(self, context: Any, model_input: list[Any], params: dict[str, Any] | None = None) -> Any:
        """Forecasts of each series in ``model_input`` (a list of :class:`~sparkhu.models.panel.Series`)."""
        return self.forecaster.predict(list(model_input))


class RegistryError(RuntimeError):
    """The model registry could not be read."""


@dataclass(frozen=True)
class Version:
    """A registered model version as the pipeline uses it."""

    model: str
    version: int
    run_id: str
    aliases: tuple[str, ...]
    metrics: dict[str, float]
    tags: dict[str, str]


def registered_name(group: str) -> str:
    """The registered model of a group: ``sparkhu-<group>`` with characters MLflow refuses replaced."""
    return MODEL_PREFIX + (re.sub(r"[^A-Za-z0-9_.-]", "_", group) or "default")


class ModelStore:
    """MLflow tracking and registry at one URI.

    Args:
        uri: Tracking (and registry) URI: ``sqlite:///path/mlflow.db`` or ``http://host:port``.
        artifacts: Where experiments created here keep their artifacts (a folder or URI); None leaves
            it to the server (an ``mlflow server`` proxies artifacts itself).
    """

    def __init__(self, uri: str, artifacts: str | None = None) -> None:
        self.uri = uri
        self.artifacts = artifacts
        with _sqlite_setup_lock(uri):
            self.client = MlflowClient(tracking_uri=uri, registry_uri=uri)
            # The first call creates (or migrates) the database schema: two processes doing it at once
            # collide on SQLite, so it happens under the lock.
            self.client.search_experiments(max_results=1)

    def experiment(self, name: str) -> str:
        """The id of experiment ``sparkhu-<name>``, created when missing."""
        full = EXPERIMENT_PREFIX + name
        found = self.client.get_experiment_by_name(full)
        if found is not None:
            return str(found.experiment_id)
        location = f"{self.artifacts.rstrip('/')}/{full}" if self.artifacts else None
        try:
            return str(self.client.create_experiment(full, artifact_location=location))
        except MlflowException:  # created by a concurrent task in between
            again = self.client.get_experiment_by_name(full)
            if again is None:
                raise
            return str(again.experiment_id)

    def start_run(self, experiment: str, name: str, params: Mapping[str, Any] | None = None,
                  parent: str | None = None, tags: Mapping[str, str] | None = None) -> str:
        """A new run (nested under ``parent`` when given) with its parameters; returns its id."""
        all_tags = {**(tags or {}), **({"mlflow.parentRunId": parent} if parent else {})}
        run = self.client.create_run(self.experiment(experiment), run_name=name, tags=all_tags)
        for key, value in (params or {}).items():
            self.client.log_param(run.info.run_id, key, _text(value))
        return str(run.info.run_id)

    def log_metrics(self, run_id: str, metrics: Mapping[str, float], step: int = 0) -> None:
        """Finite metrics of a run (NaN and infinities are left out: MLflow stores them poorly)."""
        for key, value in metrics.items():
            if value == value and abs(value) != float("inf"):
                self.client.log_metric(run_id, key, float(value), step=step)

    def log_file(self, run_id: str, path: Path, folder: str | None = None) -> None:
        """Attach a file (a plot, a table) to a run."""
        self.client.log_artifact(run_id, str(path), folder)

    def finish(self, run_id: str, failed: bool = False) -> None:
        """End a run."""
        self.client.set_terminated(run_id, "FAILED" if failed else "FINISHED")

    def register(self, group: str, run_id: str, forecaster: Forecaster, metrics: Mapping[str, float],
                 tags: Mapping[str, str] | None = None) -> Version:
        """Store ``forecaster`` as a pyfunc model of ``run_id`` and register it as a new version of the group."""
        import mlflow.pyfunc

        name = registered_name(group)
        # Its own folder per version: a run that registers twice must not overwrite the first model.
        folder_name = f"model-{uuid.uuid4().hex[:12]}"
        with tempfile.TemporaryDirectory(prefix="sparkhu-model-") as folder:
            pickled = Path(folder) / FORECASTER_ARTIFACT
            forecaster.save(pickled)
            saved = Path(folder) / "model"
            mlflow.pyfunc.save_model(str(saved), python_model=ForecasterModel(),
                                     artifacts={"forecaster": str(pickled)}, pip_requirements=["sparkhu"])
            self.client.log_artifacts(run_id, str(saved), folder_name)
        self._ensure_registered(name)
        source = f"{self.client.get_run(run_id).info.artifact_uri}/{folder_name}"
        version = self.client.create_model_version(name, source, run_id=run_id, tags={
            **{f"metric.{k}": f"{v:.6g}" for k, v in metrics.items()}, **(tags or {}),
            "forecaster": forecaster.name})
        return self._version(name, int(version.version))

    def log_forecaster(self, run_id: str, forecaster: Forecaster, folder: str) -> None:
        """Attach a fitted forecaster to a run (not a registry version: a per-series model beside the group's)."""
        with tempfile.TemporaryDirectory(prefix="sparkhu-model-") as tmp:
            pickled = Path(tmp) / FORECASTER_ARTIFACT
            forecaster.save(pickled)
            self.client.log_artifact(run_id, str(pickled), folder)

    def load_logged(self, run_id: str, folder: str) -> Forecaster:
        """The forecaster :meth:`log_forecaster` attached to a run."""
        import mlflow.artifacts

        with tempfile.TemporaryDirectory(prefix="sparkhu-load-") as tmp:
            path = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=f"{folder}/{FORECASTER_ARTIFACT}",
                                                       dst_path=tmp, tracking_uri=self.uri)
            return Forecaster.load(Path(path))

    def _ensure_registered(self, name: str) -> None:
        try:
            self.client.create_registered_model(name)
        except MlflowException as error:
            if "already exists" not in str(error).lower() and "RESOURCE_ALREADY_EXISTS" not in str(error):
                raise

    def champion(self, group: str) -> Version | None:
        """The group's champion version, or None when it has none yet."""
        name = registered_name(group)
        try:
            version = self.client.get_model_version_by_alias(name, CHAMPION)
        except MlflowException:
            return None
        return self._version(name, int(version.version))

    def promote(self, group: str, version: int) -> None:
        """Point the group's ``champion`` alias at ``version``."""
        self.client.set_registered_model_alias(registered_name(group), CHAMPION, str(version))

    def load(self, group: str, version: int | None = None) -> Forecaster:
        """The forecaster of a version (the champion by default).

        Raises:
            LookupError: The group has no such version (no champion yet).
        """
        chosen = self.champion(group) if version is None else self._version(registered_name(group), version)
        if chosen is None:
            raise LookupError(f"group {group!r} has no champion model yet: run the train task first")
        import mlflow.artifacts

        source = self.client.get_model_version_download_uri(chosen.model, str(chosen.version))
        with tempfile.TemporaryDirectory(prefix="sparkhu-load-") as folder:
            path = mlflow.artifacts.download_artifacts(artifact_uri=f"{source}/artifacts/{FORECASTER_ARTIFACT}",
                                                       dst_path=folder, tracking_uri=self.uri)
            return Forecaster.load(Path(path))

    def versions(self) -> list[Version]:
        """Every version of every Sparkhu registered model, newest first per model.

        Raises:
            RegistryError: The registry cannot be read (unreachable server, foreign database).
        """
        out = []
        try:
            for model in self.client.search_registered_models(filter_string=f"name LIKE '{MODEL_PREFIX}%'"):
                numbers = sorted((int(v.version) for v in self.client.search_model_versions(f"name='{model.name}'")),
                                 reverse=True)
                out += [self._version(model.name, number) for number in numbers]
        except MlflowException as error:
            raise RegistryError(str(error)) from error
        return out

    def _version(self, name: str, number: int) -> Version:
        version = self.client.get_model_version(name, str(number))
        tags = dict(version.tags or {})
        metrics = {key.removeprefix("metric."): float(value) for key, value in tags.items()
                   if key.startswith("metric.")}
        return Version(name, number, str(version.run_id), tuple(version.aliases or ()), metrics, tags)


@contextmanager
def _sqlite_setup_lock(uri: str) -> Iterator[None]:
    """An exclusive file lock next to a SQLite tracking database (nothing for other URIs)."""
    if not uri.startswith("sqlite:///"):
        yield
        return
    database = Path(uri.removeprefix("sqlite:///"))
    database.parent.mkdir(parents=True, exist_ok=True)
    with database.with_name(database.name + ".setup.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _text(value: Any) -> str:
    """A parameter value as MLflow stores it (JSON for structures, at most 6000 characters)."""
    text = value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)
    return text[:6000]
