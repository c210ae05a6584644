"""Every rendered object is valid against the Argo Workflows v4 JSON schema, also in a strict reading."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hera.workflows import CronWorkflow, WorkflowTemplate

ARGO = "io.argoproj.workflow.v1alpha1"


def _load_definitions(schema_path: Path) -> dict[str, Any]:
    assert schema_path.is_file(), f"Argo schema not found at {schema_path}"
    definitions: dict[str, Any] = json.loads(schema_path.read_text(encoding="utf-8"))["definitions"]
    return definitions


@pytest.fixture(scope="module")
def definitions(schema_path: Path) -> dict[str, Any]:
    """The schema's definitions: one entry per Argo/Kubernetes type, e.g. ``...v1alpha1.CronWorkflow``."""
    return _load_definitions(schema_path)


@pytest.fixture(scope="module")
def strict_definitions(definitions: dict[str, Any]) -> dict[str, Any]:
    """The same definitions, with unknown properties forbidden.

    Argo's published schema allows any extra key, so a misspelt field (or one Argo v4 removed, such
    as a CronWorkflow's ``schedule``) would pass it silently; here it does not.
    """
    strict = copy.deepcopy(definitions)
    for definition in strict.values():
        if "properties" in definition:
            definition["additionalProperties"] = False
    return strict


def _errors(document: dict[str, Any], definitions: dict[str, Any]) -> list[str]:
    schema = {"$ref": f"#/definitions/{ARGO}.{document['kind']}", "definitions": definitions}
    validator = jsonschema.Draft202012Validator(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def test_every_committed_manifest_is_valid(
    manifests_dir: Path, definitions: dict[str, Any], strict_definitions: dict[str, Any]
) -> None:
    files = sorted(manifests_dir.glob("*.yaml"))
    assert {yaml.safe_load(f.read_text())["kind"] for f in files} == {"WorkflowTemplate", "CronWorkflow"}
    for path in files:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert document["apiVersion"] == "argoproj.io/v1alpha1"
        assert _errors(document, definitions) == [], path.name
        assert _errors(document, strict_definitions) == [], path.name


def test_the_strict_reading_catches_what_the_schema_lets_through(
    documents: dict[str, dict[str, Any]], definitions: dict[str, Any], strict_definitions: dict[str, Any]
) -> None:
    cron = copy.deepcopy(documents["CronWorkflow"])
    cron["spec"]["schedule"] = cron["spec"].pop("schedules")[0]  # the pre-v4 field
    assert any("'schedules' is a required property" in e for e in _errors(cron, definitions))
    assert any("'schedule' was unexpected" in e for e in _errors(cron, strict_definitions))


def test_the_schema_rejects_a_broken_template(
    documents: dict[str, dict[str, Any]], definitions: dict[str, Any]
) -> None:
    broken = copy.deepcopy(documents["WorkflowTemplate"])
    container = broken["spec"]["templates"][0]["container"]
    container["securityContext"]["runAsUser"] = "10001"  # must be an integer
    broken["spec"]["templates"][0]["retryStrategy"]["limit"] = 2  # IntOrString is a string in Argo's schema
    errors = _errors(broken, definitions)
    assert len(errors) == 2
    assert any("runAsUser" in e for e in errors)
    assert any("retryStrategy/limit" in e for e in errors)


def test_manifests_load_back_into_hera_models(rendered: dict[str, str]) -> None:
    for name, text in rendered.items():
        document = yaml.safe_load(text)
        loaded = WorkflowTemplate.from_yaml(text) if document["kind"] == "WorkflowTemplate" else \
            CronWorkflow.from_yaml(text)
        assert isinstance(loaded, WorkflowTemplate | CronWorkflow), name
        assert loaded.to_dict() == document, name
