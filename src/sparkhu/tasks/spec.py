"""Task declarations and the registry: name, input and output tables, parameters, and the work itself."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sparkhu.tasks.params import Param, TaskInputError

if TYPE_CHECKING:
    from sparkhu.tasks.context import TaskContext


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
    """

    rows_in: int = 0
    rows_out: int = 0
    n_series: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TaskSpec:
    """Declaration of a task.

    Attributes:
        name: Name used by ``sparkhu task run NAME`` and by the WorkflowTemplates.
        summary: One line for ``sparkhu task list``.
        inputs: Tables the task reads.
        outputs: Tables the task writes (each replaced slice by slice).
        params: Declared parameters.
        run: The work; gets a ready context and returns what it did.
    """

    name: str
    summary: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    params: tuple[Param, ...]
    run: Callable[[TaskContext], TaskOutcome]


_REGISTRY: dict[str, TaskSpec] = {}


def register(spec: TaskSpec) -> TaskSpec:
    """Add ``spec`` to the registry (a name is registered once)."""
    if spec.name in _REGISTRY and _REGISTRY[spec.name] is not spec:
        raise ValueError(f"task {spec.name!r} is registered twice")
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


def describe_params(spec: TaskSpec) -> list[dict[str, Any]]:
    """Parameter declarations as plain dicts (for listings and manifests)."""
    return [
        {"name": p.name, "type": p.type.__name__, "default": p.default, "help": p.help,
         "choices": list(p.choices)}
        for p in spec.params
    ]
