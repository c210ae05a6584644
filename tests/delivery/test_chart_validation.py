"""Every object the chart renders, for every value set, validates offline.

Core kinds: kubernetes-validate's strict schemas (unknown fields are errors) for Kubernetes 1.30 and
1.33. Argo kinds: the Argo Workflows v4.1.2 JSON schema, also in the strict reading of
tests/workflows/test_manifests_schema.py (whose helpers are reused here).
"""

from __future__ import annotations

import copy
from typing import Any

import kubernetes_validate
import pytest

from manifest_sync.schema import BUNDLED_SCHEMA
from tests.delivery.chart import ARGO_KINDS, VALUE_SETS
from tests.workflows.test_manifests_schema import _errors, _load_definitions

KUBERNETES_VERSIONS = ["1.30", "1.33"]


@pytest.fixture(scope="module")
def argo_definitions() -> dict[str, Any]:
    return _load_definitions(BUNDLED_SCHEMA)


@pytest.fixture(scope="module")
def strict_argo_definitions(argo_definitions: dict[str, Any]) -> dict[str, Any]:
    strict = copy.deepcopy(argo_definitions)
    for definition in strict.values():
        if "properties" in definition:
            definition["additionalProperties"] = False
    return strict


def _kubernetes_errors(obj: dict[str, Any], version: str) -> list[str]:
    try:
        validated = kubernetes_validate.validate(obj, version, strict=True)
    except kubernetes_validate.ValidationError as error:
        path = ".".join(str(part) for part in error.path)
        return [f"{obj['kind']}/{obj['metadata']['name']} ({version}): {path}: {error.message}"]
    assert validated == version  # a schema of exactly this version was used, not an older fallback
    return []


def test_kubernetes_validate_ships_the_versions_we_check() -> None:
    available = {version.rsplit(".", 1)[0] for version in kubernetes_validate.utils.all_versions()}
    assert set(KUBERNETES_VERSIONS) <= available


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("value_set", sorted(VALUE_SETS))
def test_core_objects_validate_strictly(
    value_set: str, version: str, renderings: dict[str, list[dict[str, Any]]]
) -> None:
    core = [obj for obj in renderings[value_set] if obj["kind"] not in ARGO_KINDS]
    assert len(core) >= 5  # ConfigMap, workflow ServiceAccount + Role + RoleBinding, NetworkPolicy at least
    errors = [error for obj in core for error in _kubernetes_errors(obj, version)]
    assert errors == []


@pytest.mark.parametrize("value_set", sorted(VALUE_SETS))
def test_argo_objects_validate_against_the_argo_schema(
    value_set: str,
    renderings: dict[str, list[dict[str, Any]]],
    argo_definitions: dict[str, Any],
    strict_argo_definitions: dict[str, Any],
) -> None:
    argo = [obj for obj in renderings[value_set] if obj["kind"] in ARGO_KINDS]
    expected = set() if value_set == "ssh-webhook-git-owned" else {"WorkflowTemplate", "CronWorkflow"}
    assert {obj["kind"] for obj in argo} == expected
    for obj in argo:
        assert obj["apiVersion"] == "argoproj.io/v1alpha1"
        assert _errors(obj, argo_definitions) == [], obj["metadata"]["name"]
        assert _errors(obj, strict_argo_definitions) == [], obj["metadata"]["name"]


def test_strict_validation_rejects_what_a_lenient_one_accepts(default_objects: list[dict[str, Any]]) -> None:
    deployment = copy.deepcopy(next(obj for obj in default_objects if obj["kind"] == "Deployment"))
    deployment["spec"]["template"]["spec"]["containers"][0]["securityContext"]["runAsNonroot"] = True  # typo
    assert kubernetes_validate.validate(deployment, "1.33", strict=False) == "1.33"
    with pytest.raises(kubernetes_validate.ValidationError, match="runAsNonroot"):
        kubernetes_validate.validate(deployment, "1.33", strict=True)


def test_argo_schema_rejects_a_broken_rendered_template(
    default_objects: list[dict[str, Any]], argo_definitions: dict[str, Any]
) -> None:
    template = copy.deepcopy(next(obj for obj in default_objects if obj["kind"] == "WorkflowTemplate"))
    template["spec"]["templates"][0]["container"]["resources"] = "2 cpus"
    assert any("resources" in error for error in _errors(template, argo_definitions))
