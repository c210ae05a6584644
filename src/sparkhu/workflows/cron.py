"""The CronWorkflow that runs the daily pipeline every night: the univariate DAG, then the model DAG.

Its workflow is one DAG of two tasks that reference the entrypoints of the two WorkflowTemplates
(``templateRef``), the second after the first succeeded. A referenced template reads the *calling*
workflow's parameters, so the CronWorkflow declares every parameter of both DAGs with its default, and
the scratch volume and service account their containers need.
"""

from __future__ import annotations

from hera.workflows import DAG, CronWorkflow, EmptyDirVolume, Task
from hera.workflows import models as m

from sparkhu.workflows import daily, models
from sparkhu.workflows.containers import SCRATCH_VOLUME
from sparkhu.workflows.dag import LABELS, SERVICE_ACCOUNT, workflow_parameters

CRON_NAME = "sparkhu-daily"

SCHEDULE = "30 0 * * *"
"""00:30 UTC: half an hour after the day closes, so late points of the previous day have arrived."""

STARTING_DEADLINE_SECONDS = 3600
"""A run missed while the controller was down still starts if it comes back within the hour."""

ENTRYPOINT = "daily"

CHAIN = ((daily.TEMPLATE_NAME, daily.ENTRYPOINT, "univariate"), (models.TEMPLATE_NAME, models.ENTRYPOINT, "models"))
"""The chained templates: (WorkflowTemplate, its entrypoint, the task's name), in order."""


def daily_cron() -> CronWorkflow:
    """Build the ``sparkhu-daily`` CronWorkflow: the univariate DAG, then the model DAG, every night.

    Every parameter takes its template default; in particular an empty ``start``/``end`` makes each
    task process the previous full UTC day. ``Forbid`` keeps a slow run from overlapping the next one,
    which would write the same slices twice.
    """
    with CronWorkflow(
        name=CRON_NAME,
        labels=LABELS,
        schedules=[SCHEDULE],
        timezone="UTC",
        concurrency_policy="Forbid",
        starting_deadline_seconds=STARTING_DEADLINE_SECONDS,
        successful_jobs_history_limit=3,
        failed_jobs_history_limit=5,
        entrypoint=ENTRYPOINT,
        arguments=workflow_parameters((*daily.NODES, *models.NODES)),
        volumes=[EmptyDirVolume(name=SCRATCH_VOLUME)],
        service_account_name=SERVICE_ACCOUNT,
    ) as cron, DAG(name=ENTRYPOINT):
        previous = None
        for template, entrypoint, name in CHAIN:
            Task(name=name, template_ref=m.TemplateRef(name=template, template=entrypoint),
                 depends=previous)
            previous = name
    return cron
