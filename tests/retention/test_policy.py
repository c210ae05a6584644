"""Retention policy documents: the file format, its shorthand, and every guard against deleting too much."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from sparkhu.retention import policy as policy_module
from sparkhu.retention.policy import MIN_AGE_HOURS, Policy, PolicyError, load_policies, parse_bytes

DOCS = Path(__file__).resolve().parents[2] / "docs" / "retention.md"


def documented_examples() -> dict[str, str]:
    """The YAML examples users read: the module docstring's and the first block of docs/retention.md."""
    docstring = textwrap.dedent(str(policy_module.__doc__).split("::\n", 1)[1].split("\n\n", 1)[0])
    page = DOCS.read_text().split("```yaml\n", 1)[1].split("```", 1)[0]
    return {"docstring": docstring, "docs/retention.md": page}


EXAMPLE = documented_examples()["docstring"]


def policy(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {"name": "p", "scope": {"store": "lake", "table": "raw"},
                               "rules": {"older_than": "30d"}, "actions": ["delete"]}
    return {**base, **fields}


def problems_of(*records: dict[str, object]) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        load_policies({"policies": list(records)}, "f.yaml")
    return caught.value.problems


def test_the_documented_example_loads_with_its_shorthand_expanded() -> None:
    raw, downsample = load_policies(yaml.safe_load(EXAMPLE))
    assert raw.rules.older_than == 90 * 86_400 and [a.kind for a in raw.actions] == ["archive", "delete"]
    first = downsample.actions[0]
    assert first.kind == "downsample" and first.period == 3600 and first.aggregates == ["mean", "min", "max", "count"]
    assert downsample.scope.series is not None and downsample.scope.series.group == "plant"
    assert raw.deletes and downsample.deletes


@pytest.mark.parametrize("where", ["docstring", "docs/retention.md"])
def test_every_documented_example_loads(where: str) -> None:
    loaded = load_policies(yaml.safe_load(documented_examples()[where]))
    assert [p.name for p in loaded][:2] == ["raw-90d", "validated-downsample"]


def test_a_stored_document_validates_back_to_the_same_policy() -> None:
    for loaded in load_policies(yaml.safe_load(EXAMPLE)):
        assert Policy.model_validate(loaded.document()) == loaded


def test_deleting_younger_than_the_minimum_age_needs_an_override_with_a_reason() -> None:
    [message] = problems_of(policy(rules={"older_than": "2d"}))
    assert f"minimum age of {MIN_AGE_HOURS:g} h" in message and "min_age_override" in message
    override = {"hours": 24, "reason": "test environment, disposable data"}
    [allowed] = load_policies([policy(rules={"older_than": "2d"}, min_age_override=override)])
    assert allowed.min_age_override is not None and allowed.min_age_override.hours == 24
    assert problems_of(policy(rules={"older_than": "12h"}, min_age_override=override))  # below the override too
    assert "reason" in problems_of(policy(min_age_override={"hours": 24, "reason": ""}))[0]


def test_a_delete_needs_an_age_rule_and_comes_last() -> None:
    assert "needs older_than" in problems_of(policy(rules={"keep_last": 3}))[0]
    assert "delete must be the last action" in problems_of(policy(actions=["delete", "archive"]))[0]
    assert "at most once" in problems_of(policy(actions=["archive", "archive"]))[0]
    [kept] = load_policies([policy(rules={"keep_last": 3}, actions=["archive"])])  # no delete: no age needed
    assert not kept.deletes


def test_every_problem_is_reported_with_its_place() -> None:
    found = problems_of(
        policy(name="Bad Name", scope={"store": "lake"}, rules={"older_than": "30d", "colour": "red"}),
        policy(name="ok", rules={}),
        policy(name="ok"),
        policy(name="ok"),
        policy(name="m", scope={"store": "mlflow", "experiment": "plant"}, actions=[{"downsample": {"period": "1h"}}]),
    )
    text = "\n".join(found)
    assert "f.yaml: policy 1 ('Bad Name'): field 'name'" in text
    assert "field 'scope': a lake scope needs a table" in text
    assert "field 'rules.colour': unknown field" in text
    assert "policy 2 ('ok')" in text and "at least one rule" in text
    assert "policy 4 ('ok'): the name 'ok' is declared twice" in text
    assert "downsample applies to lake tables, not to mlflow" in text


@pytest.mark.parametrize("text, expected", [("10GiB", 10 * 2**30), ("500 MB", 500_000_000), ("1.5k", 1500),
                                            (2048, 2048), ("0", 0)])
def test_sizes_parse_in_decimal_and_binary_units(text: str | int, expected: int) -> None:
    assert parse_bytes(text) == expected


@pytest.mark.parametrize("text", ["ten gigs", "-5", "5 XB"])
def test_a_size_that_is_not_one_is_an_error(text: str) -> None:
    with pytest.raises(ValueError, match="size"):
        parse_bytes(text)


def test_a_series_selector_only_scopes_tables_of_series() -> None:
    assert "series selector" in problems_of(
        policy(scope={"store": "reports", "series": {"ids": ["a"]}}, actions=["archive"]))[0]
