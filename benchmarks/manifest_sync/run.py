"""Manifest-sync benchmark: N WorkflowTemplates from a local git repository into the kmock API emulator.

Measures, with Events and a real git fetch each time:
  first sync     every template created (N POSTs)
  no change      a resync of the same revision: must write no managed object (only the sync's Event)
  one change     one template edited in git: exactly one PATCH
  drift          one template edited in the cluster, corrected by one PATCH
  baseline       the same N objects POSTed by a bare loop into a fresh emulator: its own cost
Writes are counted from the emulator's own request log (POST/PUT/PATCH/DELETE), not by the controller.

Usage: python benchmarks/manifest_sync/run.py [--templates 200] [--out FILE.md]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import kmock
import yaml
from kubernetes import client

from manifest_sync.config import SyncConfig
from manifest_sync.controller import Controller
from manifest_sync.events import EventRecorder
from manifest_sync.kube import KubeApi
from manifest_sync.source import GitSource

NAMESPACE = "argo"
RESOURCES = [
    "argoproj.io/v1alpha1/workflowtemplates",
    "argoproj.io/v1alpha1/clusterworkflowtemplates",
    "argoproj.io/v1alpha1/cronworkflows",
    "v1/configmaps",
    "v1/events",
]
WT_PATH = f"/apis/argoproj.io/v1alpha1/namespaces/{NAMESPACE}/workflowtemplates"


@contextmanager
def emulator() -> Iterator[tuple[str, kmock.KubernetesEmulator]]:
    """The kmock emulator on its own event loop thread: (base URL, handler with the request log)."""
    started, state = threading.Event(), dict[str, Any]()

    async def serve() -> None:
        state["stop"] = asyncio.Event()
        async with kmock.KubernetesEmulator() as handler, kmock.Server(handler) as server:
            for resource in RESOURCES:
                handler.resources[resource] = kmock.ResourceInfo()
            state.update(handler=handler, url=str(server.url).rstrip("/"), loop=asyncio.get_running_loop())
            started.set()
            await state["stop"].wait()

    thread = threading.Thread(target=lambda: asyncio.run(serve()), daemon=True)
    thread.start()
    started.wait(10)
    try:
        yield state["url"], state["handler"]
    finally:
        state["loop"].call_soon_threadsafe(state["stop"].set)
        thread.join(10)


def template(name: str, message: str) -> dict[str, Any]:
    """A small Argo WorkflowTemplate."""
    container = {"image": "busybox:1.36", "command": ["echo", message]}
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "WorkflowTemplate",
        "metadata": {"name": name},
        "spec": {"entrypoint": "main", "templates": [{"name": "main", "container": container}]},
    }


def commit(repo: Path, documents: list[dict[str, Any]], message: str) -> None:
    """Write the templates to manifests/all.yaml and commit."""
    (repo / "manifests").mkdir(exist_ok=True)
    (repo / "manifests" / "all.yaml").write_text(yaml.safe_dump_all(documents, sort_keys=False))
    for args in (["add", "-A"], ["-c", "user.name=b", "-c", "user.email=b@x", "commit", "-qm", message]):
        subprocess.run(["git", *args], cwd=repo, check=True)


def measure(handler: kmock.KubernetesEmulator, step: Callable[[], object]) -> tuple[float, dict[str, int]]:
    """Seconds the step took and the write requests it caused, by kind of target."""
    before = len(list(handler))
    started = time.perf_counter()
    step()
    seconds = time.perf_counter() - started
    writes = [r for r in list(handler)[before:] if r.method.value in ("POST", "PUT", "PATCH", "DELETE")]
    managed = sum(1 for r in writes if "/events" not in r.url.path)
    return seconds, {
        "managed": managed,
        "events": len(writes) - managed,
        "patch": sum(r.method.value == "PATCH" for r in writes),
    }


def run(templates: int) -> list[tuple[str, float, dict[str, int]]]:
    """The four measured steps."""
    with tempfile.TemporaryDirectory() as scratch, emulator() as (url, handler):
        repo = Path(scratch) / "repo"
        repo.mkdir()
        subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
        documents = [template(f"template-{i:04d}", f"message {i}") for i in range(templates)]
        commit(repo, documents, "seed")
        configuration = client.Configuration()
        configuration.host = url
        api = KubeApi(client.ApiClient(configuration))
        config = SyncConfig(repo=repo.as_uri(), path="manifests", namespace=NAMESPACE, workdir=Path(scratch) / "work")
        controller = Controller(
            config,
            api,
            GitSource(config.repo, config.branch, config.workdir),
            events=EventRecorder(api, NAMESPACE, "bench"),
        )
        rows = [("first sync", *measure(handler, controller.sync_once))]
        rows.append(("no change", *measure(handler, controller.sync_once)))
        documents[7] = template("template-0007", "edited in git")
        commit(repo, documents, "edit one")
        rows.append(("one change", *measure(handler, controller.sync_once)))
        api.patch(f"{WT_PATH}/template-0042", {"spec": {"entrypoint": "hand-edited"}})
        rows.append(("drift", *measure(handler, controller.sync_once)))
        raw = "/apis/argoproj.io/v1alpha1/namespaces/baseline/workflowtemplates"
        rows.append(("baseline: bare POSTs", *measure(handler, lambda: [api.create(raw, d) for d in documents])))
        return rows


def table(templates: int, rows: list[tuple[str, float, dict[str, int]]]) -> str:
    """Markdown results table."""
    lines = [
        f"Manifest sync of {templates} WorkflowTemplates against the kmock emulator",
        "",
        "| step | seconds | managed-object writes | PATCH | Event writes |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {name} | {seconds:.2f} | {w['managed']} | {w['patch']} | {w['events']} |" for name, seconds, w in rows
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Parse arguments, run, print (and optionally save) the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--templates", type=int, default=200)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    result = table(args.templates, run(args.templates))
    print(result)
    if args.out:
        args.out.write_text(result)


if __name__ == "__main__":
    main()
