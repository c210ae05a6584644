"""What a run produces: node and run results, and the events a progress display listens to."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

PHASES = ("Pending", "Running", "Succeeded", "Failed", "Error", "Skipped", "Omitted")
FINISHED = frozenset({"Succeeded", "Failed", "Error", "Skipped", "Omitted"})


@dataclass
class NodeResult:
    """One node of a run: a task, one loop expansion of a task, or a nested dag.

    Attributes:
        name: Unique name within the run (``task``, ``task(0:item)``, ``outer.inner``).
        display_name: The last part of ``name``.
        template: Name of the template the node runs.
        status: One of :data:`PHASES`.
        attempts: Process runs so far (retries included).
        exit_code: Exit code of the last attempt, when a process ran.
        log_path: The node's log file (empty for nodes that run nothing).
        outputs: Output parameters by name.
        message: Why the node ended as it did.

    """

    name: str
    display_name: str
    template: str
    status: str = "Pending"
    attempts: int = 0
    exit_code: int | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_s: float | None = None
    log_path: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    message: str = ""


@dataclass
class RunResult:
    """Outcome of :func:`sparkhu.executor.run_workflow`."""

    run_id: str
    name: str
    status: str
    nodes: list[NodeResult]
    started_at: datetime
    finished_at: datetime | None = None
    duration_s: float | None = None
    message: str = ""
    parameters: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the run succeeded."""
        return self.status == "Succeeded"

    def node(self, name: str) -> NodeResult:
        """The node called ``name`` (raises KeyError when there is none)."""
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(name)


EventKind = Literal["run-started", "node-started", "node-finished", "run-finished"]


@dataclass(frozen=True)
class RunEvent:
    """A change a progress display may show; ``node`` is a snapshot taken when the event fired."""

    kind: EventKind
    run_id: str
    node: NodeResult | None = None
    run: RunResult | None = None
