"""The multivariate pipeline: per series group, the relations between its series.

``plan-groups`` (the ``plan-models`` task) lists the groups that have normalised data; ``correlate`` fans
out over them, one node per group (series of different groups are never related)::

    plan-groups -> correlate (groups)

The daily CronWorkflow runs it between the univariate and the model templates, so the models can read the
day's ``correlations``.
"""

from __future__ import annotations

from hera.workflows import WorkflowTemplate

from sparkhu.workflows.dag import Node, dag_template
from sparkhu.workflows.images import DEFAULT_REGISTRY
from sparkhu.workflows.models import GROUPS, PLAN_NODE  # the same plan node and fan-out over groups

TEMPLATE_NAME = "sparkhu-multivariate"
ENTRYPOINT = "multivariate"

NODES: tuple[Node, ...] = (
    Node(PLAN_NODE, "plan-models"),
    Node("correlate", "correlate", after=(PLAN_NODE,), loop=GROUPS),
)


def multivariate_template(registry: str = DEFAULT_REGISTRY) -> WorkflowTemplate:
    """Build the ``sparkhu-multivariate`` WorkflowTemplate."""
    return dag_template(TEMPLATE_NAME, ENTRYPOINT, NODES, registry)
