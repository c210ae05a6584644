"""values.schema.json documents every value and refuses bad value sets, in `helm template` and `helm lint`."""

from __future__ import annotations

import json
from typing import Any

import helm_python
import jsonschema
import pytest
import yaml

from tests.delivery.chart import CHART, render

SCHEMA = json.loads((CHART / "values.schema.json").read_text(encoding="utf-8"))
DEFAULTS = yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))

BAD_VALUE_SETS: dict[str, tuple[dict[str, Any], str]] = {
    "latest tag": ({"image": {"tag": "latest"}}, "/image/tag"),
    "registry with scheme": ({"image": {"registry": "https://ghcr.io/acme"}}, "/image/registry"),
    "unknown key": ({"controler": {"enabled": False}}, "controler"),
    "misspelt nested key": ({"mlflow": {"enable": True}}, "enable"),
    "no replicas": ({"controller": {"replicas": 0}}, "/controller/replicas"),
    "unknown auth": ({"controller": {"git": {"auth": "password"}}}, "/controller/git/auth"),
    "memory request removed": ({"controller": {"resources": {"requests": {"memory": None}}}}, "memory"),
    "postgres latest": ({"postgresql": {"image": {"tag": "latest"}}}, "/postgresql/image/tag"),
    "password in database url": ({"config": {"databaseUrl": "postgresql://u:secret@db/x"}}, "/config/databaseUrl"),
    "interval as text": ({"controller": {"git": {"interval": "1m"}}}, "/controller/git/interval"),
    "retention without tokens secret": ({"retention": {"tokensSecret": ""}}, "/retention/tokensSecret"),
    "retention replicas": ({"retention": {"replicas": 2}}, "replicas"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD_VALUE_SETS))
def test_bad_values_fail_template_and_lint(case: str) -> None:
    values, where = BAD_VALUE_SETS[case]
    with pytest.raises(helm_python.HelmValuesError, match="schema") as raised:
        render(values)
    assert where in str(raised.value)
    report = helm_python.lint(CHART, values, strict=True)
    assert any(where in error for error in report["errors"]), report


def test_defaults_pass_schema_and_strict_lint_for_both_kubernetes_versions() -> None:
    jsonschema.Draft7Validator.check_schema(SCHEMA)
    assert list(jsonschema.Draft7Validator(SCHEMA).iter_errors(DEFAULTS)) == []
    for version in ("v1.30.0", "v1.33.0"):
        report = helm_python.lint(CHART, None, strict=True, kube_version=version)
        assert report["errors"] == [], report
        assert all(message["severity"] < 2 for message in report["messages"]), report


def test_a_rule_the_schema_cannot_express_fails_with_a_clear_message() -> None:
    with pytest.raises(helm_python.HelmRenderError, match=r"needs controller\.git\.credentialsSecret"):
        render({"controller": {"git": {"auth": "ssh"}}})


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    return SCHEMA["$defs"][ref.rsplit("/", 1)[-1]] if ref else node


def _undocumented(node: dict[str, Any], value: Any, path: str) -> list[str]:
    """Paths of values.yaml keys whose schema node has no description, or that the schema lets pass unchecked."""
    node = _resolve(node)
    missing = [] if "description" in node or path == "" else [path]
    if isinstance(value, dict) and "properties" in node:
        assert node.get("additionalProperties") is False, f"{path or '/'} accepts unknown keys"
        for key, child in value.items():
            assert key in node["properties"], f"{path}/{key} is not in the schema"
            missing += _undocumented(node["properties"][key], child, f"{path}/{key}")
    return missing


def test_every_default_value_is_described_and_every_section_is_strict() -> None:
    assert _undocumented(SCHEMA, DEFAULTS, "") == []
