"""Fixtures for the manifest-sync tests: an in-memory Kubernetes API (kmock) and a real local git repository.

kmock serves HTTP from an asyncio loop while the controller uses the synchronous kubernetes client, so
the emulator runs on its own loop in a background thread for the duration of a test.
"""

from __future__ import annotations

import asyncio
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import kmock
import pytest
import yaml
from kubernetes import client

from manifest_sync.config import SyncConfig
from manifest_sync.controller import Controller
from manifest_sync.kinds import KNOWN_KINDS
from manifest_sync.kube import KubeApi
from manifest_sync.retry import RetryPolicy
from manifest_sync.source import GitSource

NAMESPACE = "argo"
RESOURCES = [
    "argoproj.io/v1alpha1/workflowtemplates",
    "argoproj.io/v1alpha1/clusterworkflowtemplates",
    "argoproj.io/v1alpha1/cronworkflows",
    "v1/configmaps",
    "v1/events",
    "coordination.k8s.io/v1/leases",
]
FAST_RETRY = RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.002)
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass
class Cluster:
    """A running emulator and helpers to talk to it and read its request log."""

    url: str
    emulator: kmock.KubernetesEmulator
    loop: asyncio.AbstractEventLoop
    _mark: int = 0

    def api(self) -> KubeApi:
        """A fresh client with fast retries."""
        configuration = client.Configuration()
        configuration.host = self.url
        return KubeApi(client.ApiClient(configuration), retry=FAST_RETRY, sleep=lambda _: None)

    def mark(self) -> None:
        """Start counting requests from now."""
        self._mark = len(list(self.emulator))

    def requests(self) -> list[tuple[str, str]]:
        """(method, path) of every request since :meth:`mark`."""
        return [(str(r.method.value), r.url.path) for r in list(self.emulator)[self._mark :]]

    def writes(self, resource: str | None = None) -> list[tuple[str, str]]:
        """Write requests since :meth:`mark`, optionally only those whose path contains ``resource``."""
        return [(m, p) for m, p in self.requests() if m in WRITE_METHODS and (resource is None or resource in p)]

    def objects(self, kind: str, namespace: str | None = NAMESPACE) -> dict[str, dict[str, Any]]:
        """Live objects of ``kind`` by name."""
        items = self.api().list(KNOWN_KINDS[kind].collection_path(namespace))
        return {item["metadata"]["name"]: item for item in items}

    def fail_next(self, method: str, path: str, times: int, status: int = 503) -> None:
        """Answer the next ``times`` requests for ``method path`` with ``status``."""
        self.emulator[method.lower(), path][:times] << status


@pytest.fixture()
def cluster() -> Iterator[Cluster]:
    """A Kubernetes API emulator on 127.0.0.1 with the managed kinds, Leases and Events declared."""
    started = threading.Event()
    state: dict[str, Any] = {}

    async def serve() -> None:
        state["stop"] = asyncio.Event()
        async with kmock.KubernetesEmulator() as emulator, kmock.Server(emulator) as server:
            for resource in RESOURCES:
                emulator.resources[resource] = kmock.ResourceInfo()
            state.update(emulator=emulator, url=str(server.url).rstrip("/"), loop=asyncio.get_running_loop())
            started.set()
            await state["stop"].wait()

    thread = threading.Thread(target=lambda: asyncio.run(serve()), daemon=True)
    thread.start()
    assert started.wait(10), "the emulator did not start"
    yield Cluster(state["url"], state["emulator"], state["loop"])
    state["loop"].call_soon_threadsafe(state["stop"].set)
    thread.join(10)


@dataclass
class GitRepo:
    """A local git repository the tests commit manifests to (fetched over file://)."""

    root: Path
    branch: str = "main"
    history: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        """file:// URL (plain paths would not support shallow fetches)."""
        return self.root.as_uri()

    def git(self, *args: str) -> str:
        """Run git in the repository."""
        done = subprocess.run(["git", *args], cwd=self.root, capture_output=True, text=True, check=True)
        return done.stdout.strip()

    def write(self, relative: str, content: str | list[dict[str, Any]] | dict[str, Any]) -> None:
        """Write a file; dicts and lists of dicts are dumped as (multi-document) YAML."""
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, dict):
            content = [content]
        text = content if isinstance(content, str) else yaml.safe_dump_all(content, sort_keys=False)
        path.write_text(text, encoding="utf-8")

    def remove(self, relative: str) -> None:
        """Delete a file."""
        (self.root / relative).unlink()

    def commit(self, message: str = "change") -> str:
        """Commit everything; returns the new revision."""
        self.git("add", "-A")
        self.git("commit", "--quiet", "--allow-empty", "-m", message)
        revision = self.git("rev-parse", "HEAD")
        self.history.append(revision)
        return revision


@pytest.fixture()
def repo(tmp_path: Path) -> GitRepo:
    """An empty repository on branch main."""
    root = tmp_path / "manifests-repo"
    root.mkdir()
    repository = GitRepo(root)
    repository.git("init", "--quiet", "-b", "main")
    repository.git("config", "user.email", "test@example.com")
    repository.git("config", "user.name", "Test")
    return repository


def workflow_template(name: str, message: str = "hello", namespace: str | None = None) -> dict[str, Any]:
    """A small valid Argo WorkflowTemplate."""
    metadata: dict[str, Any] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    container = {"image": "busybox:1.36", "command": ["echo", message]}
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "WorkflowTemplate",
        "metadata": metadata,
        "spec": {"entrypoint": "main", "templates": [{"name": "main", "container": container}]},
    }


def config_map(name: str, data: dict[str, str], annotations: dict[str, str] | None = None) -> dict[str, Any]:
    """A ConfigMap."""
    metadata: dict[str, Any] = {"name": name}
    if annotations:
        metadata["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": data}


def make_config(repo: GitRepo, tmp_path: Path, **overrides: Any) -> SyncConfig:
    """Settings syncing ``repo``'s ``manifests/`` folder into the test namespace."""
    settings: dict[str, Any] = {
        "repo": repo.url,
        "branch": "main",
        "path": "manifests",
        "namespace": NAMESPACE,
        "workdir": tmp_path / "workdir",
        "interval": 3600.0,
    }
    settings.update(overrides)
    return SyncConfig(**settings)


def make_controller(cluster: Cluster, repo: GitRepo, tmp_path: Path, **overrides: Any) -> Controller:
    """A controller for ``repo`` against ``cluster`` (no election, no events unless added)."""
    config = make_config(repo, tmp_path, **overrides)
    return Controller(config, cluster.api(), GitSource(config.repo, config.branch, config.workdir))
