"""Least privilege and hardening of everything the chart runs, for every value set."""

from __future__ import annotations

from typing import Any

import pytest

from sparkhu.workflows import daily, models, multivariate, retention
from tests.delivery.chart import RELEASE, VALUE_SETS, argo_containers, by_kind, objects, one, pod_specs, render

TASK_TEMPLATES = sum(len({node.task for node in dag.NODES}) for dag in (daily, multivariate, models, retention))
"""Container templates over all WorkflowTemplates: one per task and template using it (plan-models is in two)."""

SYNC_VERBS = ("get", "list", "create", "patch", "delete")  # what manifest_sync/kube.py calls
LEASE = "sparkhu-manifest-sync"
CONTROLLER = f"{RELEASE}-manifest-sync"

# (apiGroup, resource, verb, resourceName or "") -> the controller's complete, exact grant.
EXPECTED_CONTROLLER_GRANTS = (
    {("argoproj.io", "workflowtemplates", verb, "") for verb in SYNC_VERBS}
    | {("argoproj.io", "cronworkflows", verb, "") for verb in SYNC_VERBS}
    | {("", "configmaps", verb, "") for verb in SYNC_VERBS}
    | {("coordination.k8s.io", "leases", "create", ""), ("coordination.k8s.io", "leases", "get", LEASE)}
    | {("coordination.k8s.io", "leases", "patch", LEASE)}
    | {("", "events", "create", "")}
)


def _grants(role: dict[str, Any]) -> set[tuple[str, str, str, str]]:
    """Expand a Role's rules into one (group, resource, verb, resourceName) tuple per permission."""
    grants = set()
    for rule in role["rules"]:
        assert set(rule) <= {"apiGroups", "resources", "verbs", "resourceNames"}, rule
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                for verb in rule["verbs"]:
                    for name in rule.get("resourceNames", [""]):
                        grants.add((group, resource, verb, name))
    return grants


def test_the_controller_role_grants_exactly_the_kinds_and_verbs_it_syncs(default_objects: list[dict[str, Any]]) -> None:
    role = one(default_objects, "Role", CONTROLLER)
    grants = _grants(role)
    assert grants == EXPECTED_CONTROLLER_GRANTS
    assert not any("*" in part for grant in grants for part in grant)
    assert not {resource for _, resource, _, _ in grants} & {"secrets", "clusterworkflowtemplates", "workflows"}
    binding = one(default_objects, "RoleBinding", CONTROLLER)
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": CONTROLLER}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": CONTROLLER, "namespace": "analytics"}]
    deployment = one(default_objects, "Deployment", CONTROLLER)
    assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == CONTROLLER
    # The controller is told to manage exactly the kinds it may write.
    args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
    kinds = {args[i + 1] for i, arg in enumerate(args) if arg == "--kind"}
    synced = {resource for _, resource, verb, _ in grants if verb == "delete"}
    assert {kind.lower() + "s" for kind in kinds} == synced == {"workflowtemplates", "cronworkflows", "configmaps"}


def test_the_workflow_pods_may_only_report_task_results(default_objects: list[dict[str, Any]]) -> None:
    role = one(default_objects, "Role", "sparkhu-workflow")
    assert _grants(role) == {
        ("argoproj.io", "workflowtaskresults", "create", ""),
        ("argoproj.io", "workflowtaskresults", "patch", ""),
    }
    template = one(default_objects, "WorkflowTemplate", "sparkhu-daily-univariate")
    assert template["spec"]["serviceAccountName"] == "sparkhu-workflow"


@pytest.mark.parametrize(("name", "expected"), [("runner", "runner"), ("", None)])
def test_the_workflow_service_account_value_overrides_the_manifests(name: str, expected: str | None) -> None:
    # The manifests name sparkhu-workflow; an empty name must leave the pods to Argo's default account,
    # not to one the chart did not create.
    values = {"workflows": {"serviceAccount": {"create": False, "name": name}}}
    items = objects(render(values))
    template = one(items, "WorkflowTemplate", "sparkhu-daily-univariate")
    assert template["spec"].get("serviceAccountName") == expected
    assert "sparkhu-workflow" not in {sa["metadata"]["name"] for sa in by_kind(items, "ServiceAccount")}


@pytest.mark.parametrize("value_set", sorted(VALUE_SETS))
def test_nothing_cluster_wide_and_no_secret_values(value_set: str, renderings: dict[str, list[dict[str, Any]]]) -> None:
    kinds = {obj["kind"] for obj in renderings[value_set]}
    assert not kinds & {"ClusterRole", "ClusterRoleBinding", "Secret", "ClusterWorkflowTemplate", "Namespace"}


def _effective_user(pod: dict[str, Any], container: dict[str, Any]) -> Any:
    return container.get("securityContext", {}).get("runAsUser", pod.get("securityContext", {}).get("runAsUser"))


def _assert_hardened(where: str, context: dict[str, Any]) -> None:
    assert context["runAsNonRoot"] is True, where
    assert context["allowPrivilegeEscalation"] is False, where
    assert context["readOnlyRootFilesystem"] is True, where
    assert context["capabilities"] == {"drop": ["ALL"]}, where
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}, where


def _assert_resources(where: str, resources: dict[str, Any]) -> None:
    for bound in ("requests", "limits"):
        assert set(resources.get(bound, {})) >= {"cpu", "memory"}, f"{where}: {bound} {resources}"


@pytest.mark.parametrize("value_set", sorted(VALUE_SETS))
def test_no_container_runs_as_root_and_every_container_requests_resources(
    value_set: str, renderings: dict[str, list[dict[str, Any]]]
) -> None:
    items = renderings[value_set]
    checked = 0
    for name, pod in pod_specs(items):
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        for container in pod.get("initContainers", []) + pod["containers"]:
            where = f"{name}/{container['name']}"
            user = _effective_user(pod, container)
            assert isinstance(user, int) and user > 0, where
            _assert_hardened(where, container["securityContext"])
            _assert_resources(where, container["resources"])
            checked += 1
    for name, template in argo_containers(items):
        container = template["container"]
        assert container["securityContext"]["runAsUser"] > 0, name
        _assert_hardened(name, container["securityContext"])
        _assert_resources(name, container["resources"])
        checked += 1
    # One template per task and WorkflowTemplate + the controller and the retention service, + MLflow and
    # PostgreSQL; the git-owned set renders no templates.
    tasks = TASK_TEMPLATES
    expected = {
        "defaults": tasks + 2,
        "mlflow-postgres": tasks + 4,
        "registry-tag": tasks + 2,
        "controller-disabled": tasks + 1,
    }
    assert checked == expected.get(value_set, 2)


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    assert set(selector) == {"matchLabels"}, "only matchLabels selectors are used"
    return all(labels.get(key) == value for key, value in selector["matchLabels"].items())


def test_every_sparkhu_pod_is_closed_by_default(renderings: dict[str, list[dict[str, Any]]]) -> None:
    items = renderings["mlflow-postgres"]
    deny = one(items, "NetworkPolicy", f"{RELEASE}-default-deny-ingress")
    assert deny["spec"]["policyTypes"] == ["Ingress"] and "ingress" not in deny["spec"]
    pod_labels = [d["spec"]["template"]["metadata"]["labels"] for d in by_kind(items, "Deployment")]
    pod_labels += [t["metadata"]["labels"] for _, t in argo_containers(items)]  # the task pods
    assert len(pod_labels) == 4 + TASK_TEMPLATES  # controller, retention, MLflow, PostgreSQL and the task templates
    assert all(_selects(deny["spec"]["podSelector"], labels) for labels in pod_labels)


def test_allow_rules_open_only_each_servers_port(renderings: dict[str, list[dict[str, Any]]]) -> None:
    items = renderings["mlflow-postgres"]
    ports = {"manifest-sync": 8080, "mlflow": 5000, "postgresql": 5432}
    for component, port in ports.items():
        policy = one(items, "NetworkPolicy", f"{RELEASE}-{component}")
        deployment = one(items, "Deployment", f"{RELEASE}-{component}")
        assert _selects(policy["spec"]["podSelector"], deployment["spec"]["template"]["metadata"]["labels"])
        [rule] = policy["spec"]["ingress"]
        assert rule["ports"] == [{"protocol": "TCP", "port": port}]
        container_ports = [p["containerPort"] for p in deployment["spec"]["template"]["spec"]["containers"][0]["ports"]]
        assert container_ports == [port]
        if component != "manifest-sync":  # only Sparkhu pods reach the servers
            assert rule["from"] == [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "sparkhu"}}}]
    restricted = one(renderings["ssh-webhook-git-owned"], "NetworkPolicy", f"{RELEASE}-manifest-sync")
    assert restricted["spec"]["ingress"][0]["from"] == [{"namespaceSelector": {"matchLabels": {"name": "ingress"}}}]


@pytest.mark.parametrize("value_set", sorted(VALUE_SETS))
def test_every_image_is_pinned(value_set: str, renderings: dict[str, list[dict[str, Any]]]) -> None:
    items = renderings[value_set]
    images = [c["image"] for _, pod in pod_specs(items) for c in pod.get("initContainers", []) + pod["containers"]]
    images += [t["container"]["image"] for _, t in argo_containers(items)]
    for image in images:
        name, _, tag = image.rpartition(":")
        assert name and "/" not in tag and tag not in {"", "latest"}, image
