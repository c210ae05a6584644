"""The CronWorkflows: the daily pipeline (univariate, multivariate, then model DAG) and the nightly retention run.

Each CronWorkflow's workflow is one DAG of tasks that reference the entrypoints of WorkflowTemplates
(``templateRef``), each after the previous one succeeded. A referenced template reads the *calling*
workflow's parameters, so a CronWorkflow declares every parameter of the DAGs it chains with its default,
and the scratch volume and service account their containers need.
"""

from __future__ import annotations

from collections.abc import Sequence

from hera.workflows import DAG, CronWorkflow, EmptyDirVolume, Task
from hera.workflows import models as m

from sparkhu.workflows import daily, models, multivariate, retention
from sparkhu.workflows.containers import SCRATCH_VOLUME
from sparkhu.workflows.dag import LABELS, SERVICE_ACCOUNT, Node, workflow_parameters

CRON_NAME = "sparkhu-daily"

SCHEDULE = "30 0 * * *"
"""00:30 UTC: half an hour after the day closes, so late points of the previous day have arrived."""

STARTING_DEADLINE_SECONDS = 3600
"""A run missed while the controller was down still starts if it comes back within the hour."""

ENTRYPOINT = "daily"

CHAIN = ((daily.TEMPLATE_NAME, daily.ENTRYPOINT, "univariate"),
         (multivariate.TEMPLATE_NAME, multivariate.ENTRYPOINT, "multivariate"),
         (models.TEMPLATE_NAME, models.ENTRYPOINT, "models"))
"""The chained templates: (WorkflowTemplate, its entrypoint, the task's name), in order (the models read the
relations the multivariate template writes)."""

RETENTION_CRON_NAME = "sparkhu-retention"

RETENTION_SCHEDULE = "30 2 * * *"
"""02:30 UTC: after the daily pipeline's usual end, so the nightly deletes do not compete with its writes."""

RETENTION_ENTRYPOINT = "nightly"

RETENTION_CHAIN = ((retention.TEMPLATE_NAME, retention.ENTRYPOINT, "retention"),)


def chained_cron(name: str, schedule: str, entrypoint: str, chain: Sequence[tuple[str, str, str]],
                 nodes: Sequence[Node]) -> CronWorkflow:
    """Build a CronWorkflow that runs the templates of ``chain`` one after the other.

    ``Forbid`` keeps a slow run from overlapping the next one, which would write (or delete) the same
    slices twice.

    Args:
        name: The CronWorkflow's name.
        schedule: Its cron schedule, in UTC.
        entrypoint: Name of its DAG.
        chain: (WorkflowTemplate, its entrypoint, the DAG task's name) per step, in order.
        nodes: Every node of the chained templates: their parameters become the workflow's, with defaults.
    """
    with CronWorkflow(
        name=name,
        labels=LABELS,
        schedules=[schedule],
        timezone="UTC",
        concurrency_policy="Forbid",
        starting_deadline_seconds=STARTING_DEADLINE_SECONDS,
        successful_jobs_history_limit=3,
        failed_jobs_history_limit=5,
        entrypoint=entrypoint,
        arguments=workflow_parameters(nodes),
        volumes=[EmptyDirVolume(name=SCRATCH_VOLUME)],
        service_account_name=SERVICE_ACCOUNT,
    ) as cron, DAG(name=entrypoint):
        previous = None
        for template, template_entrypoint, task in chain:
            Task(name=task, template_ref=m.TemplateRef(name=template, template=template_entrypoint),
                 depends=previous)
            previous = task
    return cron


def daily_cron() -> CronWorkflow:
    """Build the ``sparkhu-daily`` CronWorkflow: the univariate, multivariate and model DAGs, every night.

    Every parameter takes its template default; in particular an empty ``start``/``end`` makes each
    task process the previous full UTC day.
    """
    return chained_cron(CRON_NAME, SCHEDULE, ENTRYPOINT, CHAIN, (*daily.NODES, *multivariate.NODES, *models.NODES))


def retention_cron() -> CronWorkflow:
    """Build the ``sparkhu-retention`` CronWorkflow: plan and apply every enabled retention policy nightly.

    Its parameters default to a real apply of every enabled policy (``retention-dry-run=false``); the
    task applies only the plans it has just made.
    """
    return chained_cron(RETENTION_CRON_NAME, RETENTION_SCHEDULE, RETENTION_ENTRYPOINT, RETENTION_CHAIN,
                        retention.NODES)
