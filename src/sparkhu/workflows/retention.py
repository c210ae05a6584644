"""The retention workflow: one node that plans every enabled retention policy and applies those plans.

It is the scheduled, explicit apply of :mod:`sparkhu.tasks.retention`: the task applies only the plans it
has just made, so nothing is deleted that a dry run of the same moment would not have listed. Its
CronWorkflow (:func:`sparkhu.workflows.cron.retention_cron`) runs it every night, after the daily pipeline::

    retention (plan -> apply, per policy)

``-p retention-dry-run=true`` plans only; ``-p retention-policy=NAME`` runs one policy.
"""

from __future__ import annotations

from hera.workflows import WorkflowTemplate

from sparkhu.workflows.dag import Node, dag_template
from sparkhu.workflows.images import DEFAULT_REGISTRY

TEMPLATE_NAME = "sparkhu-retention"
"""Name of the WorkflowTemplate, referenced by its CronWorkflow and by ``argo submit --from``."""

ENTRYPOINT = "retention"

NODES: tuple[Node, ...] = (Node("retention", "retention"),)


def retention_template(registry: str = DEFAULT_REGISTRY) -> WorkflowTemplate:
    """Build the ``sparkhu-retention`` WorkflowTemplate.

    Args:
        registry: Optional image registry prefix for the task images.
    """
    return dag_template(TEMPLATE_NAME, ENTRYPOINT, NODES, registry)
