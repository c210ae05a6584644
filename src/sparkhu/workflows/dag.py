"""Build a WorkflowTemplate from a list of DAG nodes: the one mechanism behind every Sparkhu pipeline.

A workflow module (``daily.py`` and the ones after it) only says which tasks run, after which nodes,
and what each node loops over. Everything else comes from the tasks' own declarations
(:class:`~sparkhu.tasks.spec.TaskSpec`): each task used by the DAG gets its container template, and
each of its parameters becomes a workflow parameter with the declared default, so an operator tunes a
run with ``argo submit -p name=value`` (or ``sparkhu workflow run -p``) without editing templates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hera.workflows import DAG, Container, EmptyDirVolume, Parameter, WorkflowTemplate

from sparkhu.tasks.params import Param
from sparkhu.tasks.spec import TaskSpec, get_task
from sparkhu.workflows.containers import SCRATCH_VOLUME, argo_expression, task_template
from sparkhu.workflows.images import DEFAULT_REGISTRY

LABELS = {"app.kubernetes.io/name": "sparkhu", "app.kubernetes.io/part-of": "sparkhu"}

SERVICE_ACCOUNT = "sparkhu-workflow"
"""Service account the task pods run as (the Helm chart creates it with only what Argo needs)."""


@dataclass(frozen=True)
class Loop:
    """What a node fans out over: a JSON list written as an output parameter by an earlier node.

    Attributes:
        node: The node whose output holds the list.
        output: The output parameter's name.
        item_params: Task parameters taken from each item (items are then ``{"shard", <param>...}``
            maps); empty when the items are plain values.
        item_is: The task parameter a plain item is (``shard`` by default: items are shard labels; e.g.
            ``group`` for a list of series groups).
    """

    node: str
    output: str
    item_params: tuple[str, ...] = ()
    item_is: str = "shard"

    @property
    def expression(self) -> str:
        """The Argo expression of the list (``withParam``)."""
        return argo_expression(f"tasks.{self.node}.outputs.parameters.{self.output}")


@dataclass(frozen=True)
class Node:
    """One task of the DAG: which task it runs, after which nodes, and over which list it fans out.

    Attributes:
        name: The DAG task's name (unique in the DAG).
        task: The registered task it runs.
        after: Nodes that must succeed first (every shard of them).
        loop: The list the node fans out over, or None for a single node over all series.
    """

    name: str
    task: str
    after: tuple[str, ...] = ()
    loop: Loop | None = None

    @property
    def spec(self) -> TaskSpec:
        """The task's declaration."""
        return get_task(self.task)

    def from_item(self, param: Param) -> bool:
        """Whether the loop item, not a workflow parameter, supplies ``param``."""
        if self.loop is None:
            return False
        return param.name in self.loop.item_params or (not self.loop.item_params and param.name == self.loop.item_is)


def workflow_parameter(spec: TaskSpec, param: Param) -> str:
    """The workflow parameter that feeds ``param`` of ``spec`` (its declared name or ``<task>-<param>``)."""
    return param.workflow_name or f"{spec.name}-{param.input_name}"


def workflow_parameters(nodes: Iterable[Node]) -> list[Parameter]:
    """The interval, then one parameter per task parameter not fed by a loop item, with its default.

    Raises:
        ValueError: Two task parameters with different defaults share one workflow parameter.
    """
    defaults: dict[str, str] = {"start": "", "end": ""}
    for node in nodes:
        for param in node.spec.params:
            if node.from_item(param):
                continue
            name, default = workflow_parameter(node.spec, param), param.default_text
            if defaults.setdefault(name, default) != default:
                raise ValueError(f"workflow parameter {name!r} has two defaults: {defaults[name]!r}, {default!r}")
    return [Parameter(name=name, value=value) for name, value in defaults.items()]


def node_arguments(node: Node) -> dict[str, str]:
    """The arguments a DAG node passes to its task's template."""
    arguments = {"start": argo_expression("workflow.parameters.start"),
                 "end": argo_expression("workflow.parameters.end")}
    if node.loop is not None and node.loop.item_is == "shard":
        arguments["shard"] = argo_expression("item.shard" if node.loop.item_params else "item")
    for param in node.spec.params:
        if not node.from_item(param):
            source = f"workflow.parameters.{workflow_parameter(node.spec, param)}"
        else:
            source = f"item.{param.name}" if node.loop and node.loop.item_params else "item"
        arguments[param.input_name] = argo_expression(source)
    return arguments


def _add_node(node: Node, templates: dict[str, Container]) -> None:
    """Create the DAG task of ``node`` inside the open DAG context (``depends``: every shard succeeded)."""
    templates[node.task](
        name=node.name,
        arguments=node_arguments(node),
        with_param=node.loop.expression if node.loop else None,
        depends=" && ".join(node.after) or None,
    )


def check_order(nodes: tuple[Node, ...]) -> None:
    """Fail unless node names are unique and every node comes after the nodes it depends on or loops over.

    Raises:
        ValueError: Naming the offending node.
    """
    seen: set[str] = set()
    for node in nodes:
        needed = set(node.after) | ({node.loop.node} if node.loop else set())
        if node.name in seen or not needed <= seen:
            raise ValueError(f"node {node.name!r} is repeated or comes before {sorted(needed - seen)}")
        seen.add(node.name)


def dag_template(name: str, entrypoint: str, nodes: tuple[Node, ...],
                 registry: str = DEFAULT_REGISTRY) -> WorkflowTemplate:
    """A WorkflowTemplate that runs ``nodes`` as one DAG, with one container template per task used.

    Args:
        name: The template's name (what a CronWorkflow or ``argo submit --from`` references).
        entrypoint: Name of the DAG template.
        nodes: The DAG, every node after the nodes it depends on.
        registry: Optional image registry prefix for the task images.
    """
    check_order(nodes)
    with WorkflowTemplate(
        name=name,
        labels=LABELS,
        entrypoint=entrypoint,
        arguments=workflow_parameters(nodes),
        volumes=[EmptyDirVolume(name=SCRATCH_VOLUME)],
        service_account_name=SERVICE_ACCOUNT,
    ) as template:
        tasks = dict.fromkeys(node.task for node in nodes)
        templates = {task: task_template(get_task(task), registry) for task in tasks}
        with DAG(name=entrypoint):
            for node in nodes:
                _add_node(node, templates)
    return template
