from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from sparkhu.config import Settings
from sparkhu.executor import (
    ParameterError,
    UnsupportedFeatureError,
    WorkflowSpecError,
    effective_parallelism,
    load_workflow,
    workflow_parameters,
)

from .builders import container, shell, task, workflow


def base() -> dict[str, Any]:
    return workflow(
        [task("a", "echo", args={"msg": "hi"}), task("b", "echo", dependencies=["a"], args={"msg": "x"})],
        [shell("echo", 'echo "$1"', ("msg",))],
    )


def templates(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in doc["spec"]["templates"]}


def with_change(change: Any) -> dict[str, Any]:
    doc = copy.deepcopy(base())
    change(doc)
    return doc


REFUSED = {
    "steps": (lambda d: d["spec"]["templates"].append({"name": "s", "steps": [[{"name": "x"}]]}),
              "spec.templates[s].steps"),
    "resource": (lambda d: d["spec"]["templates"].append({"name": "r", "resource": {"action": "create"}}),
                 "spec.templates[r].resource"),
    "suspend": (lambda d: d["spec"]["templates"].append({"name": "w", "suspend": {}}),
                "spec.templates[w].suspend"),
    "http": (lambda d: d["spec"]["templates"].append({"name": "h", "http": {"url": "http://x"}}),
             "spec.templates[h].http"),
    "when": (lambda d: templates(d)["main"]["dag"]["tasks"][1].update(when="1 == 1"),
             "spec.templates[main].dag.tasks[b].when"),
    "onExit": (lambda d: d["spec"].update(onExit="echo"), "spec.onExit"),
    "hooks": (lambda d: templates(d)["main"]["dag"]["tasks"][0].update(hooks={"exit": {"template": "echo"}}),
              "spec.templates[main].dag.tasks[a].hooks"),
    "synchronization": (lambda d: templates(d)["echo"].update(synchronization={"mutex": {"name": "m"}}),
                        "spec.templates[echo].synchronization"),
    "artifacts": (lambda d: templates(d)["echo"].update(outputs={"artifacts": [{"name": "a", "path": "/a"}]}),
                  "spec.templates[echo].outputs.artifacts"),
    "persistentVolumeClaim": (
        lambda d: d["spec"].update(volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": "c"}}]),
        "spec.volumes[data].persistentVolumeClaim"),
    "volumeClaimTemplates": (lambda d: d["spec"].update(volumeClaimTemplates=[]),
                             "spec.volumeClaimTemplates"),
    "memoize": (lambda d: templates(d)["echo"].update(memoize={"key": "k"}), "spec.templates[echo].memoize"),
    "templateRef": (lambda d: templates(d)["main"]["dag"]["tasks"][0].update(templateRef={"name": "t"}),
                    "spec.templates[main].dag.tasks[a].templateRef"),
    "envFrom": (lambda d: templates(d)["echo"]["container"].update(envFrom=[{"secretRef": {"name": "s"}}]),
                "spec.templates[echo].container.envFrom[0]"),
    "valueFrom": (lambda d: templates(d)["echo"]["container"].update(
        env=[{"name": "X", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]),
        "spec.templates[echo].container.env[X].valueFrom"),
    "sidecars": (lambda d: templates(d)["echo"].update(sidecars=[]), "spec.templates[echo].sidecars"),
    "globalName": (lambda d: templates(d)["echo"].update(outputs={"parameters": [
        {"name": "o", "globalName": "g", "valueFrom": {"path": "/tmp/o/x"}}]}),
        "spec.templates[echo].outputs.parameters[o].globalName"),
    "expression": (lambda d: templates(d)["main"]["dag"]["tasks"][0]["arguments"]["parameters"][0].update(
        value="{{=sprig.upper('x')}}"), "spec.templates[main].dag.tasks[a].arguments.parameters[msg]"),
    "retry expression": (lambda d: templates(d)["echo"].update(retryStrategy={"limit": 1, "expression": "x"}),
                         "spec.templates[echo].retryStrategy.expression"),
}


@pytest.mark.parametrize("feature", sorted(REFUSED))
def test_unsupported_feature_is_refused_with_name_and_place(feature: str) -> None:
    change, place = REFUSED[feature]
    with pytest.raises(UnsupportedFeatureError) as caught:
        load_workflow(with_change(change))
    message = str(caught.value)
    assert place in message
    assert feature.split()[-1] in message
    assert message.startswith("the local executor does not support")


def test_all_refused_features_are_listed_together() -> None:
    def change(doc: dict[str, Any]) -> None:
        REFUSED["when"][0](doc)
        REFUSED["memoize"][0](doc)

    with pytest.raises(UnsupportedFeatureError) as caught:
        load_workflow(with_change(change))
    assert len(caught.value.problems) == 2


def test_kubernetes_only_fields_are_ignored() -> None:
    doc = base()
    doc["spec"].update(serviceAccountName="runner", podGC={"strategy": "OnPodSuccess"}, ttlStrategy={},
                       activeDeadlineSeconds=600, securityContext={"runAsNonRoot": True},
                       volumes=[{"name": "scratch", "emptyDir": {}}])
    echo = templates(doc)["echo"]
    echo.update(nodeSelector={"k": "v"}, tolerations=[], metadata={"labels": {"app": "x"}}, podSpecPatch="{}")
    echo["container"]["envFrom"] = [{"configMapRef": {"name": "cfg", "optional": True}},
                                    {"secretRef": {"name": "s", "optional": True}}]
    echo["container"].update(imagePullPolicy="Always", resources={"requests": {"cpu": "1", "memory": "1Gi"}},
                             securityContext={"runAsUser": 1000}, volumeMounts=[{"name": "scratch",
                                                                                 "mountPath": "/tmp"}])
    spec = load_workflow(doc)
    assert spec.templates["echo"].process is not None
    assert spec.templates["main"].dag is not None
    assert [t.depends for t in spec.templates["main"].dag.tasks] == ["", "a"]


@pytest.mark.parametrize(("change", "fragment"), [
    (lambda d: templates(d)["main"]["dag"]["tasks"][0].update(template="nope"), "no template named 'nope'"),
    (lambda d: templates(d)["main"]["dag"]["tasks"][1].update(dependencies=["zz"]), "no task named 'zz'"),
    (lambda d: templates(d)["main"]["dag"]["tasks"][0].update(dependencies=["b"]), "dependency cycle"),
    (lambda d: templates(d)["main"]["dag"]["tasks"][0].pop("arguments"), "input 'msg' of template 'echo'"),
    (lambda d: templates(d)["echo"]["container"].update(args=["{{inputs.parameters.other}}"]),
     "unknown reference '{{inputs.parameters.other}}'"),
    (lambda d: templates(d)["main"]["dag"]["tasks"][0]["arguments"]["parameters"][0].update(value="{{item}}"),
     "unknown reference '{{item}}'"),
    (lambda d: templates(d)["main"]["dag"]["tasks"][1]["arguments"]["parameters"][0].update(
        value="{{tasks.a.outputs.parameters.out}}"),
     "unknown reference '{{tasks.a.outputs.parameters.out}}'"),
    (lambda d: templates(d)["main"]["dag"]["tasks"][0]["arguments"]["parameters"][0].update(
        value="{{workflow.parameters.day}}"), "unknown reference '{{workflow.parameters.day}}'"),
    (lambda d: d["spec"].update(entrypoint="start"), "no template named 'start'"),
    (lambda d: templates(d)["main"]["dag"]["tasks"][1].update(depends="a.Done", dependencies=None),
     "tasks[b]: depends 'a.Done': unknown task result .Done"),
])
def test_static_problems_are_reported_before_running(change: Any, fragment: str) -> None:
    with pytest.raises(WorkflowSpecError) as caught:
        load_workflow(with_change(change))
    assert fragment in str(caught.value)


def test_output_of_a_task_that_is_not_an_ancestor_is_refused() -> None:
    doc = workflow(
        [task("a", "out"), task("b", "echo", args={"msg": "{{tasks.a.outputs.parameters.v}}"})],
        [container("out", ["true"], outputs={"v": "/tmp/o/v"}), shell("echo", 'echo "$1"', ("msg",))],
    )
    with pytest.raises(WorkflowSpecError, match=r"tasks\.a\.outputs\.parameters\.v"):
        load_workflow(doc)
    templates(doc)["main"]["dag"]["tasks"][1]["dependencies"] = ["a"]
    assert load_workflow(doc).name == "test-flow"


def test_yaml_file_with_several_documents(tmp_path: Path) -> None:
    path = tmp_path / "flow.yaml"
    path.write_text(yaml.safe_dump_all([{"kind": "ConfigMap", "metadata": {"name": "c"}}, base()]))
    assert load_workflow(path).entrypoint == "main"
    path.write_text(yaml.safe_dump({"kind": "CronWorkflow", "spec": {}}))
    with pytest.raises(WorkflowSpecError, match="exactly one of Workflow"):
        load_workflow(path)
    path.write_text("spec: [unclosed")
    with pytest.raises(WorkflowSpecError, match="not valid YAML"):
        load_workflow(path)
    with pytest.raises(WorkflowSpecError, match="cannot read"):
        load_workflow(tmp_path / "missing.yaml")


def test_workflow_parameters_are_checked() -> None:
    doc = workflow([task("a", "echo", args={"msg": "{{workflow.parameters.day}}"})],
                   [shell("echo", 'echo "$1"', ("msg",))], parameters={"day": None, "mode": "fast"})
    doc["spec"]["arguments"]["parameters"][1]["enum"] = ["fast", "slow"]
    spec = load_workflow(doc)
    assert workflow_parameters(spec, {"day": "2024-01-01"}) == {"day": "2024-01-01", "mode": "fast"}
    with pytest.raises(ParameterError, match="'day' has no value"):
        workflow_parameters(spec, {})
    with pytest.raises(ParameterError, match=r"unknown workflow parameter\(s\) dya"):
        workflow_parameters(spec, {"day": "x", "dya": "y"})
    with pytest.raises(ParameterError, match="not one of fast, slow"):
        workflow_parameters(spec, {"day": "x", "mode": "medium"})


def test_parallelism_flag_wins_and_spec_is_capped_by_workers(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, workers=3)
    plain = load_workflow(base())
    wide = load_workflow({**base(), "spec": {**base()["spec"], "parallelism": 8}})
    narrow = load_workflow({**base(), "spec": {**base()["spec"], "parallelism": 1}})
    assert effective_parallelism(plain, settings, None) == 3
    assert effective_parallelism(wide, settings, None) == 3
    assert effective_parallelism(narrow, settings, None) == 1
    assert effective_parallelism(narrow, settings, 5) == 5
