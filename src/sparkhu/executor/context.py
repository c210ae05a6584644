"""Shared state of one run: scope, limits, launcher, recorder, and per-node helpers."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sparkhu.executor.errors import NodeError
from sparkhu.executor.launch import Launcher
from sparkhu.executor.recorder import Recorder
from sparkhu.executor.results import NodeResult
from sparkhu.executor.retry import RetryTiming
from sparkhu.executor.spec import Template, WorkflowSpec
from sparkhu.executor.templating import substitute


@dataclass
class RunContext:
    """Everything the DAG and node runners of one run share.

    Attributes:
        limiter: Bounds the processes running at once (the run's parallelism).
        base_env: Environment of every node process before the container's own ``env``.
        retry_timing: How long to wait between attempts (local default or the manifest's backoff).
        cancel: Set when the run is interrupted; running processes are stopped.

    """

    run_id: str
    spec: WorkflowSpec
    workflow_scope: dict[str, str]
    log_dir: Path
    limiter: threading.Semaphore
    launcher: Launcher
    recorder: Recorder
    base_env: dict[str, str]
    retry_timing: RetryTiming = field(default_factory=RetryTiming)
    cancel: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)
    _log_names: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def log_path(self, node_name: str) -> Path:
        """A log file of its own for ``node_name``: ``<logs>/<run id>/<node>.log``."""
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", node_name).strip("_")[:120] or "node"
        with self._lock:
            candidate, number = stem, 1
            while candidate in self._log_names:
                number += 1
                candidate = f"{stem}-{number}"
            self._log_names.add(candidate)
        return self.log_dir / f"{candidate}.log"

    def spawn(self, name: str, target: Callable[[], None]) -> None:
        """Run ``target`` in a node thread that :meth:`stop` can wait for."""
        thread = threading.Thread(target=target, daemon=True, name=name)
        with self._lock:
            self.threads = [t for t in self.threads if t.is_alive()]
            self.threads.append(thread)
        thread.start()

    def stop(self, timeout_s: float) -> None:
        """Cancel the run and give node threads ``timeout_s`` to stop their processes."""
        self.cancel.set()
        deadline = time.monotonic() + timeout_s
        with self._lock:
            threads = list(self.threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def start(self, node: NodeResult) -> None:
        """Mark ``node`` Running and record it."""
        node.status, node.started_at = "Running", now()
        self.recorder.node(node, "node-started")

    def finish(self, node: NodeResult, status: str, message: str = "") -> None:
        """Give ``node`` its final status and record it."""
        node.status, node.finished_at = status, now()
        node.message = message or node.message
        if node.started_at is not None:
            node.duration_s = round((node.finished_at - node.started_at).total_seconds(), 3)
        self.recorder.node(node, "node-finished")


def now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def bind_inputs(
    template: Template, arguments: Mapping[str, str], workflow_scope: Mapping[str, str]
) -> dict[str, str]:
    """Input parameter values of ``template`` for a call with ``arguments``.

    Raises:
        NodeError: When a required input has no value or a value is outside its enum.

    """
    values: dict[str, str] = {}
    for parameter in template.inputs:
        fallback = parameter.value if parameter.value is not None else parameter.default
        value = arguments.get(parameter.name, fallback)
        if value is None:
            raise NodeError(f"template {template.name!r}: input parameter {parameter.name!r} has no value")
        value = substitute(value, workflow_scope, f"inputs.parameters.{parameter.name}")
        if parameter.enum and value not in parameter.enum:
            raise NodeError(f"template {template.name!r}: input {parameter.name!r}={value!r} is not one of "
                            f"{', '.join(parameter.enum)}")
        values[parameter.name] = value
    return values


def template_scope(workflow_scope: Mapping[str, str], inputs: Mapping[str, str]) -> dict[str, str]:
    """References visible inside a template: workflow values and its own inputs."""
    return {**workflow_scope, **{f"inputs.parameters.{name}": value for name, value in inputs.items()}}
