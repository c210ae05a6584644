"""The chart's retention service: `sparkhu retention serve` in the base image, tokens from a mounted Secret
file, probes on /healthz, a Service on 8080, and a NetworkPolicy of its own (clients in, DNS and the
metadata database out)."""

from __future__ import annotations

from typing import Any

import pytest

from sparkhu.config import known_variables
from sparkhu.workflows.images import base_image
from tests.delivery.chart import RELEASE, by_kind, objects, one, render
from tests.delivery.test_chart_validation import KUBERNETES_VERSIONS, _kubernetes_errors

RETENTION = f"{RELEASE}-retention"
MOUNT = "/var/run/secrets/sparkhu-retention"
CUSTOM = {
    "image": {"registry": "ghcr.io/acme", "tag": "1.2.3"},
    "postgresql": {"enabled": True},
    "mlflow": {"enabled": True},
    "retention": {
        "tokensSecret": "ops-tokens", "tokensKey": "entries", "clientLabel": "acme.io/retention",
        "ingressFrom": [{"namespaceSelector": {"matchLabels": {"name": "monitoring"}}}],
        "egressTo": [{"ports": [{"protocol": "TCP", "port": 443}]}],
    },
}  # fmt: skip


@pytest.fixture(scope="module")
def custom() -> list[dict[str, Any]]:
    return objects(render(CUSTOM))


def _container(items: list[dict[str, Any]]) -> dict[str, Any]:
    [container] = one(items, "Deployment", RETENTION)["spec"]["template"]["spec"]["containers"]
    return dict(container)


def test_the_service_runs_sparkhu_retention_serve_in_the_base_image(default_objects: list[dict[str, Any]],
                                                                    custom: list[dict[str, Any]]) -> None:
    deployment = one(default_objects, "Deployment", RETENTION)
    assert deployment["spec"]["replicas"] == 1 and deployment["spec"]["strategy"] == {"type": "Recreate"}
    container = _container(default_objects)
    assert container["image"] == base_image()
    assert _container(custom)["image"] == base_image("ghcr.io/acme", "1.2.3")
    assert container["command"] == ["sparkhu", "retention", "serve", "--host", "0.0.0.0", "--port", "8080"]
    assert container["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    for probe in ("livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["envFrom"] == [{"configMapRef": {"name": "sparkhu-config", "optional": True}},
                                    {"secretRef": {"name": "sparkhu-secrets", "optional": True}}]
    service = one(default_objects, "Service", RETENTION)
    assert service["spec"]["ports"] == [{"name": "http", "port": 8080, "targetPort": "http", "protocol": "TCP"}]
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]


@pytest.mark.parametrize(("values", "secret", "key"), [({}, "sparkhu-retention-tokens", "tokens"),
                                                       (CUSTOM, "ops-tokens", "entries")])
def test_the_tokens_come_from_a_secret_mounted_as_a_file(values: dict[str, Any], secret: str, key: str) -> None:
    items = objects(render(values))
    pod = one(items, "Deployment", RETENTION)["spec"]["template"]["spec"]
    container = _container(items)
    assert container["env"] == [{"name": "SPARKHU_RETENTION_TOKENS_FILE", "value": f"{MOUNT}/{key}"}]
    assert "SPARKHU_RETENTION_TOKENS_FILE" in known_variables()
    [mount] = [m for m in container["volumeMounts"] if m["name"] == "tokens"]
    assert mount == {"name": "tokens", "mountPath": MOUNT, "readOnly": True}
    [volume] = [v for v in pod["volumes"] if v["name"] == "tokens"]
    assert volume["secret"] == {"secretName": secret, "defaultMode": 0o440}
    assert pod["automountServiceAccountToken"] is False


def _labels(items: list[dict[str, Any]], component: str) -> dict[str, str]:
    return dict(one(items, "Deployment", f"{RELEASE}-{component}")["spec"]["template"]["metadata"]["labels"])


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector["matchLabels"].items())


def test_its_network_policy_admits_its_clients_and_reaches_only_dns_and_the_database(
    default_objects: list[dict[str, Any]],
) -> None:
    policy = one(default_objects, "NetworkPolicy", RETENTION)["spec"]
    assert _selects(policy["podSelector"], _labels(default_objects, "retention"))
    assert not _selects(policy["podSelector"], _labels(default_objects, "manifest-sync"))
    assert policy["policyTypes"] == ["Ingress", "Egress"]
    assert policy["ingress"] == [{"from": [{"podSelector": {"matchLabels": {"sparkhu.io/retention-client": "true"}}}],
                                  "ports": [{"protocol": "TCP", "port": 8080}]}]
    dns, database = policy["egress"]
    assert dns["to"] == [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}]
    assert dns["ports"] == [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
    assert database == {"ports": [{"protocol": "TCP", "port": 5432}]}  # an external database: its port only


def test_the_bundled_servers_and_extra_rules_extend_the_policy(custom: list[dict[str, Any]]) -> None:
    policy = one(custom, "NetworkPolicy", RETENTION)["spec"]
    [ingress] = policy["ingress"]
    assert ingress["from"] == [{"podSelector": {"matchLabels": {"acme.io/retention": "true"}}},
                               {"namespaceSelector": {"matchLabels": {"name": "monitoring"}}}]
    _, database, mlflow, extra = policy["egress"]
    assert _selects(database["to"][0]["podSelector"], _labels(custom, "postgresql"))
    assert _selects(mlflow["to"][0]["podSelector"], _labels(custom, "mlflow"))
    assert mlflow["ports"] == [{"protocol": "TCP", "port": 5000}]
    assert extra == {"ports": [{"protocol": "TCP", "port": 443}]}


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_the_retention_objects_validate_strictly(custom: list[dict[str, Any]], version: str) -> None:
    mine = [obj for obj in custom if obj["metadata"]["name"] == RETENTION and obj["kind"] in
            {"Deployment", "Service", "NetworkPolicy"}]
    assert len(mine) == 3
    assert [error for obj in mine for error in _kubernetes_errors(obj, version)] == []


def test_disabled_renders_no_retention_service(default_objects: list[dict[str, Any]]) -> None:
    def service_objects(items: list[dict[str, Any]]) -> set[tuple[str, str]]:
        return {(obj["kind"], obj["metadata"]["name"]) for kind in ("Deployment", "Service", "NetworkPolicy")
                for obj in by_kind(items, kind) if obj["metadata"]["name"] == RETENTION}

    assert service_objects(default_objects) == {("Deployment", RETENTION), ("Service", RETENTION),
                                                ("NetworkPolicy", RETENTION)}
    assert service_objects(objects(render({"retention": {"enabled": False}}))) == set()
    no_policies = objects(render({"networkPolicy": {"enabled": False}}))
    assert ("NetworkPolicy", RETENTION) not in service_objects(no_policies)
