"""Task declarations and the registry: name, input and output tables, parameters, and the work itself."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sparkhu.storage.tables import table_spec
from sparkhu.tasks.params import Param, TaskInputError

if TYPE_CHECKING:
    from sparkhu.tasks.context import TaskContext

COUNT_OUTPUTS = ("rows_in", "rows_out", "n_series")
"""Output parameters every task writes (integers as text), whatever else it declares."""


@dataclass
class TaskOutcome:
    """What a task run did, for its report row and its output parameters.

    Attributes:
        rows_in: Rows read from the task's main input.
        rows_out: Rows written to the task's main output.
        n_series: Series processed.
        counts: Named counts (rejections by reason, duplicates, inserted points...).
        metrics: Named measurements (confidence, shares...).
        outputs: Extra output parameters (name -> text), written next to rows_in/rows_out/n_series.
        failures: Why the run failed after doing the rest of its work (e.g. one retention policy of
            several): the report row and the output parameters are still written, the row's status is
            ``failed`` and ``sparkhu task run`` exits 1 with these messages. Empty: the run succeeded.
    """

    rows_in: int = 0
    rows_out: int = 0
    n_series: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ResourceProfile:
    """What a task's container asks of Kubernetes: resource requests and limits."""

    cpu_request: str
    memory_request: str
    cpu_limit: str
    memory_limit: str


LIGHT = ResourceProfile(cpu_request="100m", memory_request="256Mi", cpu_limit="500m", memory_limit="512Mi")
"""For tasks that only count or plan (no series data in memory)."""

STANDARD = ResourceProfile(cpu_request="500m", memory_request="1Gi", cpu_limit="2", memory_limit="4Gi")
"""For tasks that hold one shard's slice of data in memory."""


@dataclass(frozen=True)
class TaskSpec:
    """Declaration of a task: the one source of its CLI, its workflow template, its image and every listing.

    Attributes:
        name: Name used by ``sparkhu task run NAME``, the WorkflowTemplates and the image.
        summary: One line for ``sparkhu task list``.
        inputs: Tables the task reads.
        outputs: Tables the task writes (each replaced slice by slice).
        params: Declared parameters (typed, with defaults); each is a template input in the manifests.
        run: The work; gets a ready context and returns what it did.
        resources: Requests and limits of the task's container.
        extra_outputs: Output parameters beyond :data:`COUNT_OUTPUTS` (the run must set each one; a
            workflow can loop over them, e.g. the plan's shard list).
    """

    name: str
    summary: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    params: tuple[Param, ...]
    run: Callable[[TaskContext], TaskOutcome]
    resources: ResourceProfile = STANDARD
    extra_outputs: tuple[str, ...] = ()

    @property
    def template_name(self) -> str:
        """Name of the task's reusable container template, e.g. ``task-validate``."""
        return f"task-{self.name}"

    @property
    def output_parameters(self) -> tuple[str, ...]:
        """Every output parameter the task writes."""
        return COUNT_OUTPUTS + self.extra_outputs

    def param(self, name: str) -> Param:
        """The declared parameter ``name``.

        Raises:
            KeyError: The task has no such parameter; the message lists its parameters.
        """
        for param in self.params:
            if param.name == name:
                return param
        raise KeyError(f"task {self.name!r} has no parameter {name!r}; it has {[p.name for p in self.params]}")


_REGISTRY: dict[str, TaskSpec] = {}


def register(spec: TaskSpec) -> TaskSpec:
    """Add ``spec`` to the registry (a name is registered once).

    Raises:
        ValueError: The name is taken, a table is not declared in the storage catalog, or two parameters
            share a name.
    """
    if spec.name in _REGISTRY and _REGISTRY[spec.name] is not spec:
        raise ValueError(f"task {spec.name!r} is registered twice")
    for table in (*spec.inputs, *spec.outputs):
        table_spec(table)  # raises KeyError naming the known tables
    names = [param.name for param in spec.params]
    if len(set(names)) != len(names):
        raise ValueError(f"task {spec.name!r} declares a parameter twice: {names}")
    _REGISTRY[spec.name] = spec
    return spec


def all_tasks() -> dict[str, TaskSpec]:
    """Every registered task by name (the task modules register on import)."""
    from sparkhu.tasks import catalog  # noqa: F401  (imports every task module)

    return dict(sorted(_REGISTRY.items()))


def get_task(name: str) -> TaskSpec:
    """The task ``name``.

    Raises:
        TaskInputError: No such task; the message lists the known ones.
    """
    tasks = all_tasks()
    if name not in tasks:
        raise TaskInputError(f"unknown task {name!r}; known tasks: {', '.join(tasks)}")
    return tasks[name]


def check_outputs(spec: TaskSpec, outputs: dict[str, str]) -> None:
    """Fail when a run's extra outputs differ from the declared ones (a workflow would loop over nothing).

    Raises:
        ValueError: Naming the undeclared and the missing output parameters.
    """
    undeclared = sorted(set(outputs) - set(spec.extra_outputs))
    missing = sorted(set(spec.extra_outputs) - set(outputs))
    if undeclared or missing:
        raise ValueError(f"task {spec.name!r} wrote undeclared outputs {undeclared} and lacks {missing}")
