from __future__ import annotations

import pytest

from sparkhu.executor.depends import TaskState, evaluate, from_dependencies, parse_depends, tasks_of
from sparkhu.executor.errors import WorkflowSpecError

STATES = {
    "ok": TaskState("Succeeded"),
    "bad": TaskState("Failed"),
    "err": TaskState("Error"),
    "skip": TaskState("Skipped"),
    "gone": TaskState("Omitted"),
    "tolerant": TaskState("Failed", continue_on=frozenset({"failed"})),
    "loop-mixed": TaskState("Failed", ("Succeeded", "Failed")),
    "loop-failed": TaskState("Failed", ("Failed", "Failed")),
}


def holds(text: str) -> bool:
    return evaluate(parse_depends(text), STATES.__getitem__)


@pytest.mark.parametrize(("text", "expected"), [
    ("ok", True), ("skip", True), ("bad", False), ("err", False), ("gone", False),
    ("bad.Failed", True), ("err.Errored", True), ("err.Failed", False), ("gone.Omitted", True),
    ("skip.Skipped", True), ("ok.Daemoned", False), ("tolerant", True),
    ("loop-mixed.AnySucceeded", True), ("loop-mixed.AllFailed", False), ("loop-failed.AllFailed", True),
    ("ok && bad", False), ("ok || bad", True), ("!bad", True), ("!(ok && bad.Failed)", False),
    ("ok && (bad.Succeeded || err.Errored)", True), ("bad.Failed || ok && gone", True),
    ("(bad.Failed || ok) && gone", False),
])
def test_expressions_follow_argo_semantics(text: str, expected: bool) -> None:
    assert holds(text) is expected


def test_and_binds_tighter_than_or() -> None:
    expr = parse_depends("a || b && c")
    assert tasks_of(expr) == {"a", "b", "c"}
    assert evaluate(expr, lambda name: TaskState("Succeeded" if name == "a" else "Failed")) is True


def test_dependencies_list_is_a_conjunction() -> None:
    assert from_dependencies(["a", "b-2"]) == "a && b-2"
    assert parse_depends("") is None
    assert evaluate(None, STATES.__getitem__) is True


@pytest.mark.parametrize(("text", "fragment"), [
    ("a.Finished", "unknown task result .Finished"),
    ("a &&", "ends too early"),
    ("(a || b", "missing ')'"),
    ("a b", "unexpected"),
    ("a & b", "cannot read"),
])
def test_bad_expressions_are_spec_errors(text: str, fragment: str) -> None:
    with pytest.raises(WorkflowSpecError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        parse_depends(text)
