"""Render the Helm chart in-process with helm-python-sdk (Helm v4's Go SDK as a C library, via ctypes).

No ``helm`` binary and no cluster are involved: ``Chart.render`` runs Helm's template engine (values
coalescing, ``values.schema.json`` validation, ``.Files``) offline and returns one manifest text per
template file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import helm_python
import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "charts" / "sparkhu"
NAMESPACE = "analytics"
RELEASE = "sparkhu"

ARGO_KINDS = {"WorkflowTemplate", "CronWorkflow", "ClusterWorkflowTemplate", "Workflow"}

VALUE_SETS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "mlflow-postgres": {
        "mlflow": {"enabled": True},
        "postgresql": {"enabled": True},
        "config": {"lakeUri": "s3://sparkhu/lake", "storageOptions": {"AWS_ENDPOINT_URL": "http://minio.minio:9000"}},
    },
    "registry-tag": {
        "image": {"registry": "ghcr.io/acme", "tag": "1.2.3", "pullPolicy": "Always"},
        "imagePullSecrets": ["regcred"],
    },
    "controller-disabled": {"controller": {"enabled": False}},
    "ssh-webhook-git-owned": {
        "workflows": {"enabled": False},
        "controller": {
            "replicas": 2,
            "git": {"repo": "git@github.com:acme/ops.git", "auth": "ssh", "credentialsSecret": "git-creds",
                    "knownHostsKey": "known_hosts", "branch": "prod", "path": "argo/sparkhu"},
            "webhook": {"secretName": "sync-webhook"},
            "extraArgs": ["--no-prune"],
        },
        "networkPolicy": {"controllerIngressFrom": [{"namespaceSelector": {"matchLabels": {"name": "ingress"}}}]},
    },
}  # fmt: skip
"""Value sets every rendering test runs over: defaults, the optional servers, a private registry,
no controller, and a controller that owns the templates from a private git repository."""


def render(values: dict[str, Any] | None = None, namespace: str = NAMESPACE) -> dict[str, str]:
    """Return template path -> rendered text of the chart with ``values`` (raises on a render error)."""
    with helm_python.Chart.load(CHART) as chart:
        return chart.render(values, name=RELEASE, namespace=namespace)


def objects(rendered: dict[str, str]) -> list[dict[str, Any]]:
    """Return every Kubernetes object of a rendering (NOTES.txt and empty documents left out)."""
    found: list[dict[str, Any]] = []
    for path, text in sorted(rendered.items()):
        if path.endswith(".yaml"):
            found += [doc for doc in yaml.safe_load_all(text) if doc]
    return found


def by_kind(items: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    """Return the objects of ``kind``."""
    return [obj for obj in items if obj["kind"] == kind]


def one(items: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    """Return the single object of ``kind`` named ``name``."""
    matches = [obj for obj in by_kind(items, kind) if obj["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind}/{name}, found {len(matches)}"
    return matches[0]


def pod_specs(items: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (object name, pod spec) of every Deployment."""
    for deployment in by_kind(items, "Deployment"):
        yield deployment["metadata"]["name"], deployment["spec"]["template"]["spec"]


def argo_containers(items: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (template name, container template) of every container template of every WorkflowTemplate."""
    for template in by_kind(items, "WorkflowTemplate"):
        for entry in template["spec"]["templates"]:
            if "container" in entry:
                yield entry["name"], entry
