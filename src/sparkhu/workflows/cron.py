"""The CronWorkflow that runs the daily univariate pipeline every night."""

from __future__ import annotations

from hera.workflows import CronWorkflow
from hera.workflows import models as m

from sparkhu.workflows.dag import LABELS
from sparkhu.workflows.daily import TEMPLATE_NAME

CRON_NAME = "sparkhu-daily"

SCHEDULE = "30 0 * * *"
"""00:30 UTC: half an hour after the day closes, so late points of the previous day have arrived."""

STARTING_DEADLINE_SECONDS = 3600
"""A run missed while the controller was down still starts if it comes back within the hour."""


def daily_cron(template_name: str = TEMPLATE_NAME) -> CronWorkflow:
    """Build the ``sparkhu-daily`` CronWorkflow that submits ``template_name`` once a day.

    The workflow gets no arguments, so every parameter takes its template default; in particular an
    empty ``start``/``end`` makes each task process the previous full UTC day. ``Forbid`` keeps a slow
    run from overlapping the next one, which would write the same slices twice.
    """
    return CronWorkflow(
        name=CRON_NAME,
        labels=LABELS,
        schedules=[SCHEDULE],
        timezone="UTC",
        concurrency_policy="Forbid",
        starting_deadline_seconds=STARTING_DEADLINE_SECONDS,
        successful_jobs_history_limit=3,
        failed_jobs_history_limit=5,
        workflow_template_ref=m.WorkflowTemplateRef(name=template_name),
    )
