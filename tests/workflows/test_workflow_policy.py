"""The rendered pipeline has the agreed shape and every task container follows the cluster policy."""

from __future__ import annotations

from typing import Any

from sparkhu.analysis.imputation import VARIANTS as IMPUTATION_VARIANTS
from sparkhu.executor import features
from sparkhu.executor.engine import load_workflow
from sparkhu.tasks.spec import all_tasks
from sparkhu.workflows.dag import workflow_parameter
from sparkhu.workflows.daily import NODES
from sparkhu.workflows.images import task_image
from sparkhu.workflows.models import NODES as MODEL_NODES
from sparkhu.workflows.multivariate import NODES as MULTIVARIATE_NODES
from sparkhu.workflows.retention import NODES as RETENTION_NODES

PLAN_OUTPUT = "{{{{tasks.plan-shards.outputs.parameters.{}}}}}"
SHARDS = PLAN_OUTPUT.format("shards")

EXPECTED_DEPENDS = {
    "plan-shards": None,
    "validate": "plan-shards",
    "deduplicate": "validate",
    "describe": "validate",
    "regularity": "validate",
    "regularity-decision": "regularity",
    "detect-missing": "deduplicate && regularity-decision",
    "detect-outliers-iqr": "detect-missing",
    "handle-missing": "detect-outliers-iqr",
    "pool-missing": "handle-missing",
    "decompose": "pool-missing",
    "detect-anomalies-residual": "decompose",
    "handle-anomalies": "detect-anomalies-residual",
    "pool-anomalies": "handle-anomalies",
    "normalize": "pool-anomalies",
    "window": "normalize",
}

TASKS = tuple(all_tasks()[name] for name in dict.fromkeys(node.task for node in NODES))

# The variant steps loop over the plan's {"variants", "shard"} maps; every other sharded node over the shards.
VARIANT_LOOPS = {"handle-missing": "missing_fanout", "handle-anomalies": "anomaly_fanout"}

# The parameters with names of their own (documented, used with `-p`); every other task parameter is
# exposed as `<task>-<parameter>`.
NAMED_WORKFLOW_PARAMETERS = {
    "start": "",
    "end": "",
    "series-per-shard": "250",
    "max-shards": "8",
    "missing-variants": ",".join(IMPUTATION_VARIANTS),
    "anomaly-variants": "keep,replace_expected,ema,clip",
    "dedup-policy": "mean",
    "regularity-lookback-days": "60.0",
    "decision-lookback-days": "14.0",
    "outlier-k": "3.0",
    "anomaly-threshold": "6.0",
    "normalize-method": "minmax",
    "window-input-length": "60",
    "window-output-length": "20",
}

INTERVAL_ARGUMENTS = {"start": "{{workflow.parameters.start}}", "end": "{{workflow.parameters.end}}"}

# Some node arguments, besides the interval and the shard: workflow parameters, or the loop item's fields.
SOME_TASK_ARGUMENTS = {
    "plan-shards": {
        "series-per-shard": "{{workflow.parameters.series-per-shard}}",
        "min-shards": "{{workflow.parameters.plan-min-shards}}",
        "variants-per-node": "{{workflow.parameters.plan-variants-per-node}}",
    },
    "deduplicate": {"policy": "{{workflow.parameters.dedup-policy}}"},
    "regularity": {"lookback-days": "{{workflow.parameters.regularity-lookback-days}}"},
    "detect-outliers-iqr": {"k": "{{workflow.parameters.outlier-k}}",
                            "sample-days": "{{workflow.parameters.detect-outliers-iqr-sample-days}}"},
    "handle-missing": {"variants": "{{item.variants}}", "seed": "{{workflow.parameters.handle-missing-seed}}"},
    "handle-anomalies": {"variants": "{{item.variants}}"},
    "window": {"input-length": "{{workflow.parameters.window-input-length}}"},
}


def _params(items: list[dict[str, Any]], key: str) -> dict[str, Any]:
    return {p["name"]: p.get(key) for p in items}


def test_workflow_template_identity_and_parameters(template: dict[str, Any]) -> None:
    assert template["metadata"]["name"] == "sparkhu-daily-univariate"
    spec = template["spec"]
    assert spec["entrypoint"] == "daily-univariate"
    declared = _params(spec["arguments"]["parameters"], "value")
    assert NAMED_WORKFLOW_PARAMETERS.items() <= declared.items()
    # One workflow parameter per task parameter not fed by a loop item, with the declared default.
    expected = {workflow_parameter(node.spec, p): p.default_text for node in NODES for p in node.spec.params
                if not node.from_item(p)}
    assert declared == {"start": "", "end": "", **expected}
    assert declared["handle-missing-context-days"] == "7.0"
    assert spec["volumes"] == [{"name": "tmp", "emptyDir": {}}]


def test_dag_shape(dag_tasks: dict[str, dict[str, Any]]) -> None:
    assert {name: task.get("depends") for name, task in dag_tasks.items()} == EXPECTED_DEPENDS
    assert list(dag_tasks) == list(EXPECTED_DEPENDS)  # rendered in pipeline order
    assert dag_tasks["plan-shards"]["template"] == "task-plan"
    assert all(dag_tasks[n]["template"] == f"task-{n}" for n in EXPECTED_DEPENDS if n != "plan-shards")


def test_every_task_but_the_plan_fans_out_over_the_shards(dag_tasks: dict[str, dict[str, Any]]) -> None:
    plan = dag_tasks["plan-shards"]
    assert "withParam" not in plan and "withItems" not in plan and "withSequence" not in plan
    assert "shard" not in _params(plan["arguments"]["parameters"], "value")
    loops = {name: task["withParam"] for name, task in dag_tasks.items() if name != "plan-shards"}
    assert loops == {
        name: PLAN_OUTPUT.format(VARIANT_LOOPS.get(name, "shards"))
        for name in EXPECTED_DEPENDS
        if name != "plan-shards"
    }
    for name, task in dag_tasks.items():
        assert not {"withItems", "withSequence"} & set(task), name
        if name != "plan-shards":
            expected_shard = "{{item.shard}}" if name in VARIANT_LOOPS else "{{item}}"
            assert _params(task["arguments"]["parameters"], "value")["shard"] == expected_shard, name


def test_the_plan_declares_every_list_a_node_loops_over(containers: dict[str, dict[str, Any]]) -> None:
    plan_outputs = {p["name"]: p["valueFrom"] for p in containers["task-plan"]["outputs"]["parameters"]}
    for name in ("shards", *VARIANT_LOOPS.values()):
        # No default: a plan that wrote no list must fail the run rather than skip every later node.
        assert plan_outputs[name] == {"path": f"/tmp/outputs/{name}"}, name


def test_task_parameters_are_wired_to_workflow_parameters(dag_tasks: dict[str, dict[str, Any]]) -> None:
    for name, task in dag_tasks.items():
        arguments = _params(task["arguments"]["parameters"], "value")
        arguments.pop("shard", None)
        assert INTERVAL_ARGUMENTS.items() <= arguments.items(), name
        assert SOME_TASK_ARGUMENTS.get(name, {}).items() <= arguments.items(), name
        # Every task parameter is passed, from a workflow parameter or the loop item.
        assert len(arguments) == 2 + len(all_tasks()[task["template"].removeprefix("task-")].params), name


def test_every_workflow_parameter_feeds_a_task(template: dict[str, Any], dag_tasks: dict[str, dict[str, Any]]) -> None:
    used = {p["value"] for task in dag_tasks.values() for p in task["arguments"]["parameters"]}
    declared = _params(template["spec"]["arguments"]["parameters"], "value")
    assert {f"{{{{workflow.parameters.{name}}}}}" for name in declared} <= used


def test_item_fed_parameters_keep_their_template_defaults(containers: dict[str, dict[str, Any]]) -> None:
    # Run alone (no loop item), a variant step runs every variant.
    missing = _params(containers["task-handle-missing"]["inputs"]["parameters"], "default")
    assert missing["variants"] == ",".join(IMPUTATION_VARIANTS)
    anomalies = _params(containers["task-handle-anomalies"]["inputs"]["parameters"], "default")
    assert anomalies["variants"] == "keep,replace_expected,ema,clip"


def test_template_inputs_are_the_task_declaration(containers: dict[str, dict[str, Any]]) -> None:
    for spec in TASKS:
        inputs = _params(containers[spec.template_name]["inputs"]["parameters"], "default")
        assert inputs == {"start": "", "end": "", "shard": "0/1",
                          **{p.input_name: p.default_text for p in spec.params}}, spec.name
        for param in spec.params:  # the text default parses back to the typed default
            assert param.parse(param.default_text) == param.default, (spec.name, param.name)


def test_one_container_template_per_task(
    containers: dict[str, dict[str, Any]], dag_tasks: dict[str, dict[str, Any]]
) -> None:
    assert sorted(containers) == sorted(f"task-{spec.name}" for spec in TASKS)
    # Each task of the daily DAG runs in exactly one node.
    assert sorted(task["template"] for task in dag_tasks.values()) == sorted(containers)
    assert len(dag_tasks) == len(TASKS) == len(EXPECTED_DEPENDS)


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
    handle_missing = containers["task-handle-missing"]["container"]["args"]
    assert handle_missing[6:8] == ["--param", "variants={{inputs.parameters.variants}}"]
    window = containers["task-window"]["container"]["args"]
    assert window[6:10] == [
        "--param", "input_length={{inputs.parameters.input-length}}",
        "--param", "output_length={{inputs.parameters.output-length}}",
    ]  # fmt: skip


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


def test_native_thread_pools_are_sized_to_the_cpu_limit(containers: dict[str, dict[str, Any]]) -> None:
    from sparkhu.workflows.containers import cpu_threads

    assert (cpu_threads("2"), cpu_threads("500m"), cpu_threads("2500m"), cpu_threads("100m")) == (2, 1, 2, 1)
    for name, tpl in containers.items():
        container = tpl["container"]
        env = {item["name"]: item["value"] for item in container["env"]}
        assert env["OMP_NUM_THREADS"] == str(cpu_threads(container["resources"]["limits"]["cpu"])), name


def test_cron_workflow_chains_the_univariate_multivariate_and_model_templates_daily(
        documents: dict[str, dict[str, Any]], models_template: dict[str, Any],
        multivariate_template: dict[str, Any]) -> None:
    cron, daily = documents["CronWorkflow"], documents["WorkflowTemplate"]
    assert cron["metadata"]["name"] == "sparkhu-daily"
    spec = dict(cron["spec"])
    workflow = spec.pop("workflowSpec")
    assert spec == {"schedules": ["30 0 * * *"], "timezone": "UTC", "concurrencyPolicy": "Forbid",
                    "startingDeadlineSeconds": 3600, "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 5}
    assert workflow["entrypoint"] == "daily"
    [entry] = workflow["templates"]
    assert entry["dag"]["tasks"] == [
        {"name": "univariate", "templateRef": {"name": "sparkhu-daily-univariate", "template": "daily-univariate"}},
        {"name": "multivariate", "depends": "univariate",
         "templateRef": {"name": "sparkhu-multivariate", "template": "multivariate"}},
        {"name": "models", "depends": "multivariate", "templateRef": {"name": "sparkhu-models", "template": "models"}},
    ]
    # Every parameter of the three templates, with the template's own default (one name, one value).
    declared = _params(workflow["arguments"]["parameters"], "value")
    for template in (daily, multivariate_template, models_template):
        assert _params(template["spec"]["arguments"]["parameters"], "value").items() <= declared.items()
    assert workflow["serviceAccountName"] == daily["spec"]["serviceAccountName"]
    assert workflow["volumes"] == daily["spec"]["volumes"]


# Exactly the Argo fields the rendering uses, per level; a new one must be added here on purpose.
USED_FIELDS = {
    "spec": {"entrypoint", "templates", "arguments", "volumes", "serviceAccountName"},
    "template": {"name", "container", "dag", "inputs", "outputs", "retryStrategy", "metadata"},
    "container": {"image", "command", "args", "env", "envFrom", "volumeMounts", "resources", "securityContext"},
    "task": {"name", "template", "arguments", "depends", "withParam"},
}


def _used_fields(spec: dict[str, Any]) -> dict[str, set[str]]:
    templates = spec["templates"]
    tasks = [task for tpl in templates for task in tpl.get("dag", {}).get("tasks", [])]
    return {
        "spec": set(spec),
        "template": {key for tpl in templates for key in tpl},
        "container": {key for tpl in templates for key in tpl.get("container", {})},
        "task": {key for task in tasks for key in task},
    }


def test_only_features_the_local_executor_knows(template: dict[str, Any]) -> None:
    assert _used_fields(template["spec"]) == USED_FIELDS
    allow_lists = {"spec": features.SPEC, "template": features.TEMPLATE, "container": features.CONTAINER,
                   "task": features.TASK}  # fmt: skip
    for level, fields in USED_FIELDS.items():
        supported, ignored = allow_lists[level]
        assert fields <= supported | ignored, (level, fields - supported - ignored)
    # The environment is passed to the task processes, not dropped: the run id must reach the reports.
    assert {"env", "envFrom"} <= features.CONTAINER[0]
    for tpl in template["spec"]["templates"]:
        if "container" in tpl:
            env = tpl["container"]["env"]
            assert [item["name"] for item in env] == ["SPARKHU_RUN_ID", "OMP_NUM_THREADS"], tpl["name"]
            assert env[0] == {"name": "SPARKHU_RUN_ID", "value": "{{workflow.uid}}"}, tpl["name"]


def test_the_local_executor_accepts_the_rendered_template(template: dict[str, Any]) -> None:
    workflow = load_workflow(template)
    assert workflow.entrypoint == "daily-univariate"
    assert set(workflow.templates) == {"daily-univariate"} | {spec.template_name for spec in TASKS}


def test_every_registered_task_runs_in_a_workflow() -> None:
    # A task that no DAG runs would still get an image and a template: it must be wired or removed.
    assert set(all_tasks()) == {node.task for node in (*NODES, *MULTIVARIATE_NODES, *MODEL_NODES, *RETENTION_NODES)}


def test_multivariate_template_correlates_every_group(multivariate_template: dict[str, Any]) -> None:
    spec = multivariate_template["spec"]
    assert spec["entrypoint"] == "multivariate"
    [entry] = [t for t in spec["templates"] if t["name"] == spec["entrypoint"]]
    tasks = {task["name"]: task for task in entry["dag"]["tasks"]}
    assert {name: task.get("depends") for name, task in tasks.items()} == {"plan-groups": None,
                                                                           "correlate": "plan-groups"}
    assert tasks["plan-groups"]["template"] == "task-plan-models"
    assert tasks["correlate"]["withParam"] == "{{tasks.plan-groups.outputs.parameters.groups}}"
    arguments = _params(tasks["correlate"]["arguments"]["parameters"], "value")
    assert arguments["group"] == "{{item}}"
    assert arguments["max-lag"] == "{{workflow.parameters.correlate-max-lag}}"
    assert _params(spec["arguments"]["parameters"], "value") == {
        "start": "", "end": "", "correlate-bound": "20", "correlate-max-lag": "24", "correlate-lookback-days": "28.0"}
    [correlate] = [t for t in spec["templates"] if t["name"] == "task-correlate"]
    assert [p["name"] for p in correlate["outputs"]["parameters"]] == ["rows_in", "rows_out", "n_series", "note"]


def test_model_template_tunes_trains_fuses_and_forecasts_every_group(models_template: dict[str, Any]) -> None:
    spec = models_template["spec"]
    [entry] = [t for t in spec["templates"] if t["name"] == spec["entrypoint"]]
    tasks = {task["name"]: task for task in entry["dag"]["tasks"]}
    assert {name: task.get("depends") for name, task in tasks.items()} == {
        "plan-groups": None, "tune": "plan-groups", "train": "tune", "fuse": "train", "forecast": "fuse"}
    groups = "{{tasks.plan-groups.outputs.parameters.groups}}"
    for name in ("tune", "train", "fuse", "forecast"):
        arguments = _params(tasks[name]["arguments"]["parameters"], "value")
        assert tasks[name]["withParam"] == groups and arguments["group"] == "{{item}}"
        assert arguments["horizon"] == "{{workflow.parameters.forecast-horizon}}"  # one horizon for all
    assert _params(tasks["train"]["arguments"]["parameters"], "value")["level"] == \
        "{{workflow.parameters.forecast-level}}"
