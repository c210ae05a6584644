"""The daily univariate pipeline, from validation to the feature store, as an Argo WorkflowTemplate.

``plan-shards`` counts the series and chooses the shards; every later task fans out over those shards
(``withParam``), so the width of the run follows the data and no pod ever handles a single series::

    plan-shards -> validate -> deduplicate ------------------------> detect-missing
                            -> describe                              ^
                            -> regularity -> regularity-decision ----+
    detect-missing -> detect-outliers-iqr -> handle-missing (variant groups x shards) -> pool-missing
      -> decompose -> detect-anomalies-residual -> handle-anomalies (variant groups x shards)
      -> pool-anomalies -> normalize -> window

The variant steps loop over the plan's ``{"variants", "shard"}`` lists: each node runs a group of
variants for one shard and scores them, and the pooling step picks one per series by measured quality.
The group size is a plan parameter (all variants in one node by default; one per node spreads them over
pods in a cluster).
"""

from __future__ import annotations

from hera.workflows import WorkflowTemplate

from sparkhu.tasks.plan import ANOMALY_FANOUT, MISSING_FANOUT, SHARDS_OUTPUT
from sparkhu.workflows.dag import Loop, Node, dag_template
from sparkhu.workflows.images import DEFAULT_REGISTRY

TEMPLATE_NAME = "sparkhu-daily-univariate"
"""Name of the WorkflowTemplate, referenced by the CronWorkflow and by ``argo submit --from``."""

ENTRYPOINT = "daily-univariate"

PLAN_NODE = "plan-shards"

SHARDS = Loop(PLAN_NODE, SHARDS_OUTPUT)
MISSING_VARIANTS = Loop(PLAN_NODE, MISSING_FANOUT, item_params=("variants",))
ANOMALY_VARIANTS = Loop(PLAN_NODE, ANOMALY_FANOUT, item_params=("variants",))

NODES: tuple[Node, ...] = (
    Node(PLAN_NODE, "plan"),
    Node("validate", "validate", after=(PLAN_NODE,), loop=SHARDS),
    Node("deduplicate", "deduplicate", after=("validate",), loop=SHARDS),
    Node("describe", "describe", after=("validate",), loop=SHARDS),
    Node("regularity", "regularity", after=("validate",), loop=SHARDS),
    Node("regularity-decision", "regularity-decision", after=("regularity",), loop=SHARDS),
    Node("detect-missing", "detect-missing", after=("deduplicate", "regularity-decision"), loop=SHARDS),
    Node("detect-outliers-iqr", "detect-outliers-iqr", after=("detect-missing",), loop=SHARDS),
    Node("handle-missing", "handle-missing", after=("detect-outliers-iqr",), loop=MISSING_VARIANTS),
    Node("pool-missing", "pool-missing", after=("handle-missing",), loop=SHARDS),
    Node("decompose", "decompose", after=("pool-missing",), loop=SHARDS),
    Node("detect-anomalies-residual", "detect-anomalies-residual", after=("decompose",), loop=SHARDS),
    Node("handle-anomalies", "handle-anomalies", after=("detect-anomalies-residual",), loop=ANOMALY_VARIANTS),
    Node("pool-anomalies", "pool-anomalies", after=("handle-anomalies",), loop=SHARDS),
    Node("normalize", "normalize", after=("pool-anomalies",), loop=SHARDS),
    Node("window", "window", after=("normalize",), loop=SHARDS),
)
"""The pipeline's shape, in an order where every node comes after the nodes it depends on."""


def daily_univariate(registry: str = DEFAULT_REGISTRY) -> WorkflowTemplate:
    """Build the ``sparkhu-daily-univariate`` WorkflowTemplate.

    Args:
        registry: Optional image registry prefix for the task images.
    """
    return dag_template(TEMPLATE_NAME, ENTRYPOINT, NODES, registry)
