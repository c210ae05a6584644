"""The rendered pipeline has the agreed shape and every task container follows the cluster policy."""

from __future__ import annotations

from typing import Any

from sparkhu.workflows.catalog import TASKS
from sparkhu.workflows.images import task_image

SHARDS = "{{tasks.plan-shards.outputs.parameters.shards}}"

EXPECTED_DEPENDS = {
    "plan-shards": None,
    "validate": "plan-shards",
    "deduplicate": "validate",
    "describe": "validate",
    "regularity": "validate",
    "regularity-decision": "regularity",
    "detect-missing": "deduplicate && regularity-decision",
}

EXPECTED_WORKFLOW_PARAMETERS = {
    "start": "",
    "end": "",
    "series-per-shard": "250",
    "max-shards": "8",
    "dedup-policy": "mean",
    "regularity-lookback-days": "60",
    "decision-lookback-days": "14",
}


def _params(items: list[dict[str, Any]], key: str) -> dict[str, Any]:
    return {p["name"]: p.get(key) for p in items}


def test_workflow_template_identity_and_parameters(template: dict[str, Any]) -> None:
    assert template["metadata"]["name"] == "sparkhu-daily-univariate"
    spec = template["spec"]
    assert spec["entrypoint"] == "daily-univariate"
    assert _params(spec["arguments"]["parameters"], "value") == EXPECTED_WORKFLOW_PARAMETERS
    assert spec["volumes"] == [{"name": "tmp", "emptyDir": {}}]


def test_dag_shape(dag_tasks: dict[str, dict[str, Any]]) -> None:
    assert {name: task.get("depends") for name, task in dag_tasks.items()} == EXPECTED_DEPENDS
    assert dag_tasks["plan-shards"]["template"] == "task-plan"
    assert all(dag_tasks[n]["template"] == f"task-{n}" for n in EXPECTED_DEPENDS if n != "plan-shards")


def test_every_task_but_the_plan_fans_out_over_the_shards(dag_tasks: dict[str, dict[str, Any]]) -> None:
    plan = dag_tasks["plan-shards"]
    assert "withParam" not in plan and "withItems" not in plan and "withSequence" not in plan
    assert "shard" not in _params(plan["arguments"]["parameters"], "value")
    for name, task in dag_tasks.items():
        if name == "plan-shards":
            continue
        assert task["withParam"] == SHARDS, name
        assert _params(task["arguments"]["parameters"], "value")["shard"] == "{{item}}", name


def test_task_parameters_are_wired_to_workflow_parameters(dag_tasks: dict[str, dict[str, Any]]) -> None:
    def args(name: str) -> dict[str, Any]:
        return _params(dag_tasks[name]["arguments"]["parameters"], "value")

    assert args("plan-shards") == {
        "start": "{{workflow.parameters.start}}",
        "end": "{{workflow.parameters.end}}",
        "series-per-shard": "{{workflow.parameters.series-per-shard}}",
        "max-shards": "{{workflow.parameters.max-shards}}",
    }
    assert args("deduplicate")["policy"] == "{{workflow.parameters.dedup-policy}}"
    assert args("regularity")["lookback-days"] == "{{workflow.parameters.regularity-lookback-days}}"
    assert args("regularity-decision")["lookback-days"] == "{{workflow.parameters.decision-lookback-days}}"


def test_one_container_template_per_task(containers: dict[str, dict[str, Any]]) -> None:
    assert sorted(containers) == sorted(f"task-{spec.name}" for spec in TASKS)
    assert len(TASKS) == 7


def test_container_command_args_and_image(containers: dict[str, dict[str, Any]]) -> None:
    for spec in TASKS:
        container = containers[spec.template_name]["container"]
        assert container["image"] == task_image(spec.name)
        assert container["command"] == ["sparkhu", "task", "run", spec.name]
        args = container["args"]
        assert args[:6] == [
            "--start", "{{inputs.parameters.start}}",
            "--end", "{{inputs.parameters.end}}",
            "--shard", "{{inputs.parameters.shard}}",
        ]  # fmt: skip
        assert args[-2:] == ["--outputs-dir", "/tmp/outputs"]
    regularity = containers["task-regularity"]["container"]["args"]
    assert regularity[6:8] == ["--param", "lookback_days={{inputs.parameters.lookback-days}}"]


def test_container_inputs_and_outputs(containers: dict[str, dict[str, Any]]) -> None:
    for name, tpl in containers.items():
        inputs = _params(tpl["inputs"]["parameters"], "default")
        assert (inputs["start"], inputs["end"], inputs["shard"]) == ("", "", "0/1"), name
        outputs = {p["name"]: p["valueFrom"] for p in tpl["outputs"]["parameters"]}
        for count in ("rows_in", "rows_out", "n_series"):
            assert outputs[count] == {"path": f"/tmp/outputs/{count}", "default": "0"}, name
    plan_outputs = {p["name"]: p["valueFrom"] for p in containers["task-plan"]["outputs"]["parameters"]}
    assert plan_outputs["shards"] == {"path": "/tmp/outputs/shards"}
    assert _params(containers["task-plan"]["inputs"]["parameters"], "default")["max-shards"] == "8"
    assert _params(containers["task-deduplicate"]["inputs"]["parameters"], "default")["policy"] == "mean"


def test_containers_run_non_root_with_resources_and_retries(containers: dict[str, dict[str, Any]]) -> None:
    for name, tpl in containers.items():
        container = tpl["container"]
        security = container["securityContext"]
        assert security["runAsNonRoot"] is True, name
        assert security["runAsUser"] == 10001, name
        assert security["allowPrivilegeEscalation"] is False, name
        assert security["readOnlyRootFilesystem"] is True, name
        assert security["capabilities"] == {"drop": ["ALL"]}, name
        assert container["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}], name
        assert set(container["resources"]["requests"]) == {"cpu", "memory"}, name
        assert set(container["resources"]["limits"]) == {"cpu", "memory"}, name
        retry = tpl["retryStrategy"]
        assert retry["limit"] == "2" and retry["retryPolicy"] == "Always", name
        assert retry["backoff"]["duration"] == "15s", name
        assert {"configMapRef": {"name": "sparkhu-config", "optional": True}} in container["envFrom"], name


def test_cron_workflow_runs_the_template_daily(documents: dict[str, dict[str, Any]]) -> None:
    cron = documents["CronWorkflow"]
    assert cron["metadata"]["name"] == "sparkhu-daily"
    assert cron["spec"] == {
        "schedules": ["30 0 * * *"],
        "timezone": "UTC",
        "concurrencyPolicy": "Forbid",
        "startingDeadlineSeconds": 3600,
        "successfulJobsHistoryLimit": 3,
        "failedJobsHistoryLimit": 5,
        "workflowSpec": {"workflowTemplateRef": {"name": "sparkhu-daily-univariate"}},
    }


def test_only_features_the_local_executor_knows(template: dict[str, Any]) -> None:
    allowed_template_keys = {"name", "container", "dag", "inputs", "outputs", "retryStrategy", "metadata"}
    allowed_dag_task_keys = {"name", "template", "arguments", "depends", "dependencies", "withParam"}
    assert set(template["spec"]) == {"entrypoint", "templates", "arguments", "volumes"}
    for tpl in template["spec"]["templates"]:
        assert set(tpl) <= allowed_template_keys, tpl["name"]
        for task in tpl.get("dag", {}).get("tasks", []):
            assert set(task) <= allowed_dag_task_keys, task["name"]
