"""The model pipeline: per series group, tune (when due), train (champion decision), forecast.

``plan-groups`` lists the groups that have normalised data; each later node fans out over them, one
node per group (a group is the unit a global model learns on)::

    plan-groups -> tune (groups) -> train (groups) -> fuse (groups) -> forecast (groups)

Tuning decides itself whether it is due (weekly, or when the data grew a lot), so the template runs
daily after the univariate one without re-tuning every night.
"""

from __future__ import annotations

from hera.workflows import WorkflowTemplate

from sparkhu.tasks.plan_models import GROUPS_OUTPUT
from sparkhu.workflows.dag import Loop, Node, dag_template
from sparkhu.workflows.images import DEFAULT_REGISTRY

TEMPLATE_NAME = "sparkhu-models"
ENTRYPOINT = "models"
PLAN_NODE = "plan-groups"
GROUPS = Loop(PLAN_NODE, GROUPS_OUTPUT, item_is="group")

NODES: tuple[Node, ...] = (
    Node(PLAN_NODE, "plan-models"),
    Node("tune", "tune", after=(PLAN_NODE,), loop=GROUPS),
    Node("train", "train", after=("tune",), loop=GROUPS),
    Node("fuse", "fuse", after=("train",), loop=GROUPS),
    Node("forecast", "forecast", after=("fuse",), loop=GROUPS),
)


def models_template(registry: str = DEFAULT_REGISTRY) -> WorkflowTemplate:
    """Build the ``sparkhu-models`` WorkflowTemplate."""
    return dag_template(TEMPLATE_NAME, ENTRYPOINT, NODES, registry)
