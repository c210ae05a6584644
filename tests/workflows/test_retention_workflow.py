"""The rendered retention objects: one node that plans and applies, run nightly by its CronWorkflow."""

from __future__ import annotations

from typing import Any

from sparkhu.executor import features
from sparkhu.executor.engine import load_workflow
from sparkhu.tasks.spec import get_task

PARAMETERS = {"start": "", "end": "", "retention-policy": "", "retention-dry-run": "false", "retention-ttl": "1h"}
"""The workflow parameters: a real apply of every enabled policy by default (the schedule is the apply)."""


def _params(items: list[dict[str, Any]], key: str) -> dict[str, Any]:
    return {p["name"]: p.get(key) for p in items}


def _entry(document: dict[str, Any]) -> dict[str, Any]:
    spec = document["spec"].get("workflowSpec", document["spec"])
    return next(t for t in spec["templates"] if t["name"] == spec["entrypoint"])


def test_the_template_runs_the_retention_task_once(retention_documents: dict[str, dict[str, Any]]) -> None:
    template = retention_documents["WorkflowTemplate"]
    spec = template["spec"]
    assert (template["metadata"]["name"], spec["entrypoint"]) == ("sparkhu-retention", "retention")
    assert _params(spec["arguments"]["parameters"], "value") == PARAMETERS
    [task] = _entry(template)["dag"]["tasks"]
    assert task["name"] == "retention" and task["template"] == "task-retention"
    assert not {"withParam", "withItems", "withSequence", "depends"} & set(task)
    assert _params(task["arguments"]["parameters"], "value") == {
        "start": "{{workflow.parameters.start}}", "end": "{{workflow.parameters.end}}",
        "policy": "{{workflow.parameters.retention-policy}}",
        "dry-run": "{{workflow.parameters.retention-dry-run}}", "ttl": "{{workflow.parameters.retention-ttl}}"}


def test_the_container_is_the_task_declaration(retention_documents: dict[str, dict[str, Any]]) -> None:
    spec = get_task("retention")
    [container] = [t for t in retention_documents["WorkflowTemplate"]["spec"]["templates"] if "container" in t]
    assert container["container"]["command"] == ["sparkhu", "task", "run", "retention"]
    assert _params(container["inputs"]["parameters"], "default") == {
        "start": "", "end": "", "shard": "0/1", **{p.input_name: p.default_text for p in spec.params}}
    outputs = {p["name"]: p["valueFrom"] for p in container["outputs"]["parameters"]}
    assert outputs["summary"] == {"path": "/tmp/outputs/summary"}  # no default: a run that wrote none fails
    assert container["container"]["securityContext"]["runAsNonRoot"] is True
    assert container["retryStrategy"]["limit"] == "2"  # a retried attempt resumes its run's applies


def test_the_cron_workflow_runs_it_nightly_without_overlap(retention_documents: dict[str, dict[str, Any]]) -> None:
    cron, template = retention_documents["CronWorkflow"], retention_documents["WorkflowTemplate"]
    spec = dict(cron["spec"])
    workflow = spec.pop("workflowSpec")
    assert spec == {"schedules": ["30 2 * * *"], "timezone": "UTC", "concurrencyPolicy": "Forbid",
                    "startingDeadlineSeconds": 3600, "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 5}
    assert _entry(cron)["dag"]["tasks"] == [
        {"name": "retention", "templateRef": {"name": "sparkhu-retention", "template": "retention"}}]
    assert _params(workflow["arguments"]["parameters"], "value") == PARAMETERS
    assert workflow["serviceAccountName"] == template["spec"]["serviceAccountName"]
    assert workflow["volumes"] == template["spec"]["volumes"]


def test_the_local_executor_accepts_the_template(retention_documents: dict[str, dict[str, Any]]) -> None:
    template = retention_documents["WorkflowTemplate"]
    workflow = load_workflow(template)
    assert set(workflow.templates) == {"retention", "task-retention"}
    allowed = features.TEMPLATE[0] | features.TEMPLATE[1]
    assert {key for tpl in template["spec"]["templates"] for key in tpl} <= allowed
