"""The daily univariate pipeline: validation to missing-value detection, as an Argo WorkflowTemplate.

``plan-shards`` counts the series and chooses the shards; every later task fans out over those shards
(``withParam``), so the width of the run follows the data and no pod ever handles a single series::

    plan-shards -> validate -> deduplicate ------------------------> detect-missing
                            -> describe                              ^
                            -> regularity -> regularity-decision ----+
    detect-missing -> detect-outliers-iqr -> handle-missing (variants x shards) -> pool-missing
      -> decompose -> detect-anomalies-residual -> handle-anomalies (variants x shards)
      -> pool-anomalies -> normalize -> window

The variant fan-outs loop over the plan's ``{"variant", "shard"}`` lists: every variant runs as its own
parallel node for every shard, and the pooling step picks one per series by measured quality.
"""

from __future__ import annotations

from dataclasses import dataclass

from hera.workflows import DAG, Container, EmptyDirVolume, Parameter, WorkflowTemplate

from sparkhu.workflows.catalog import ANOMALY_FANOUT, MISSING_FANOUT, SHARDS_OUTPUT, TASKS, TaskSpec, task_spec
from sparkhu.workflows.containers import SCRATCH_VOLUME, argo_expression, task_template
from sparkhu.workflows.images import DEFAULT_REGISTRY

TEMPLATE_NAME = "sparkhu-daily-univariate"
"""Name of the WorkflowTemplate, referenced by the CronWorkflow and by ``argo submit --from``."""

ENTRYPOINT = "daily-univariate"

PLAN_NODE = "plan-shards"

SERVICE_ACCOUNT = "sparkhu-workflow"
"""Service account the task pods run as (the Helm chart creates it with only what Argo needs)."""


def plan_output(name: str) -> str:
    """The expression of one of the plan's JSON lists, which sharded nodes loop over."""
    return argo_expression(f"tasks.{PLAN_NODE}.outputs.parameters.{name}")

LABELS = {"app.kubernetes.io/name": "sparkhu", "app.kubernetes.io/part-of": "sparkhu"}


@dataclass(frozen=True)
class Node:
    """One task of the DAG: which task it runs, after which nodes, and whether it is sharded."""

    name: str
    task: str
    after: tuple[str, ...] = ()
    sharded: bool = True
    loop: str = SHARDS_OUTPUT

    @property
    def fans_out_variants(self) -> bool:
        """Whether the node loops over ``{"variant", "shard"}`` maps rather than plain shards."""
        return self.loop != SHARDS_OUTPUT


NODES: tuple[Node, ...] = (
    Node(PLAN_NODE, "plan", sharded=False),
    Node("validate", "validate", after=(PLAN_NODE,)),
    Node("deduplicate", "deduplicate", after=("validate",)),
    Node("describe", "describe", after=("validate",)),
    Node("regularity", "regularity", after=("validate",)),
    Node("regularity-decision", "regularity-decision", after=("regularity",)),
    Node("detect-missing", "detect-missing", after=("deduplicate", "regularity-decision")),
    Node("detect-outliers-iqr", "detect-outliers-iqr", after=("detect-missing",)),
    Node("handle-missing", "handle-missing", after=("detect-outliers-iqr",), loop=MISSING_FANOUT),
    Node("pool-missing", "pool-missing", after=("handle-missing",)),
    Node("decompose", "decompose", after=("pool-missing",)),
    Node("detect-anomalies-residual", "detect-anomalies-residual", after=("decompose",)),
    Node("handle-anomalies", "handle-anomalies", after=("detect-anomalies-residual",), loop=ANOMALY_FANOUT),
    Node("pool-anomalies", "pool-anomalies", after=("handle-anomalies",)),
    Node("normalize", "normalize", after=("pool-anomalies",)),
    Node("window", "window", after=("normalize",)),
)
"""The pipeline's shape, in an order where every node comes after the nodes it depends on."""


def workflow_parameters() -> list[Parameter]:
    """Return the workflow's parameters: the interval, then one per task parameter, with defaults."""
    params = [Parameter(name="start", value=""), Parameter(name="end", value="")]
    for spec in TASKS:
        params += [Parameter(name=p.workflow_parameter, value=p.default) for p in spec.params if p.workflow_parameter]
    return params


def node_arguments(node: Node, spec: TaskSpec) -> dict[str, str]:
    """Return the arguments a DAG node passes to its task's template."""
    arguments = {
        "start": argo_expression("workflow.parameters.start"),
        "end": argo_expression("workflow.parameters.end"),
    }
    if node.sharded:
        arguments["shard"] = argo_expression("item.shard" if node.fans_out_variants else "item")
    for param in spec.params:
        source = f"workflow.parameters.{param.workflow_parameter}" if param.workflow_parameter else f"item.{param.key}"
        arguments[param.input_name] = argo_expression(source)
    return arguments


def _add_node(node: Node, templates: dict[str, Container]) -> None:
    """Create the DAG task for ``node`` inside the open DAG context.

    ``depends`` waits for every shard of each upstream node to succeed.
    """
    templates[node.task](
        name=node.name,
        arguments=node_arguments(node, task_spec(node.task)),
        with_param=plan_output(node.loop) if node.sharded else None,
        depends=" && ".join(node.after) or None,
    )


def daily_univariate(registry: str = DEFAULT_REGISTRY) -> WorkflowTemplate:
    """Build the ``sparkhu-daily-univariate`` WorkflowTemplate.

    Args:
        registry: Optional image registry prefix for the task images.

    """
    with WorkflowTemplate(
        name=TEMPLATE_NAME,
        labels=LABELS,
        entrypoint=ENTRYPOINT,
        arguments=workflow_parameters(),
        volumes=[EmptyDirVolume(name=SCRATCH_VOLUME)],
        service_account_name=SERVICE_ACCOUNT,
    ) as template:
        templates = {spec.name: task_template(spec, registry) for spec in TASKS}
        with DAG(name=ENTRYPOINT):
            for node in NODES:
                _add_node(node, templates)
    return template
