"""Argo's enhanced ``depends`` logic: parse ``"a && (b.Succeeded || c.Failed)"`` and evaluate it.

A bare task name ``a`` means ``a.Succeeded || a.Skipped || a.Daemoned`` (plus ``a.Failed`` /
``a.Errored`` when task ``a`` has ``continueOn`` for them), which is also what ``dependencies: [a]``
means. ``AnySucceeded`` and ``AllFailed`` look at the expansions of a looped task.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeAlias

from sparkhu.executor.errors import WorkflowSpecError

RESULTS = ("Succeeded", "Failed", "Errored", "Skipped", "Omitted", "Daemoned", "AnySucceeded", "AllFailed")
_PHASE_OF_RESULT = {"Succeeded": "Succeeded", "Failed": "Failed", "Errored": "Error", "Skipped": "Skipped",
                    "Omitted": "Omitted"}
_TOKEN = re.compile(r"\s*(?:(&&|\|\||!|\(|\))|([A-Za-z0-9_][A-Za-z0-9_-]*)(?:\.([A-Za-z]+))?)")


@dataclass(frozen=True)
class TaskState:
    """What a finished task looks like to the tasks that depend on it.

    Attributes:
        phase: Succeeded, Failed, Error, Skipped or Omitted.
        children: Phases of the loop expansions (empty for a task without a loop).
        continue_on: ``{"failed", "error"}`` subset from the task's ``continueOn``.

    """

    phase: str
    children: tuple[str, ...] = ()
    continue_on: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Operand:
    """``task`` or ``task.Result``."""

    task: str
    result: str | None


@dataclass(frozen=True)
class Not:
    """``!expr``."""

    operand: Expr


@dataclass(frozen=True)
class Binary:
    """``left && right`` or ``left || right``."""

    op: str
    left: Expr
    right: Expr


Expr: TypeAlias = Operand | Not | Binary


def from_dependencies(names: Iterable[str]) -> str:
    """The ``depends`` expression equivalent to a ``dependencies`` list."""
    return " && ".join(names)


def parse_depends(text: str) -> Expr | None:
    """Parse a ``depends`` expression (``None`` for an empty one).

    Raises:
        WorkflowSpecError: On a syntax error or an unknown task result.

    """
    tokens = _tokenize(text)
    if not tokens:
        return None
    parser = _Parser(tokens, text)
    expr = parser.expression()
    if parser.position != len(tokens):
        raise WorkflowSpecError(f"depends {text!r}: unexpected {tokens[parser.position][0]!r}")
    return expr


def tasks_of(expr: Expr | None) -> set[str]:
    """Names of the tasks an expression refers to."""
    if expr is None:
        return set()
    if isinstance(expr, Operand):
        return {expr.task}
    if isinstance(expr, Not):
        return tasks_of(expr.operand)
    return tasks_of(expr.left) | tasks_of(expr.right)


def evaluate(expr: Expr | None, state_of: Callable[[str], TaskState]) -> bool:
    """Evaluate ``expr`` against finished tasks (an empty expression is true)."""
    if expr is None:
        return True
    if isinstance(expr, Operand):
        return _holds(state_of(expr.task), expr.result)
    if isinstance(expr, Not):
        return not evaluate(expr.operand, state_of)
    if expr.op == "&&":
        return evaluate(expr.left, state_of) and evaluate(expr.right, state_of)
    return evaluate(expr.left, state_of) or evaluate(expr.right, state_of)


def _holds(state: TaskState, result: str | None) -> bool:
    """Whether ``task.result`` is true for a task in ``state``."""
    if result is None:
        allowed = {"Succeeded", "Skipped"}
        allowed |= {"Failed"} if "failed" in state.continue_on else set()
        allowed |= {"Error"} if "error" in state.continue_on else set()
        return state.phase in allowed
    if result == "AnySucceeded":
        return "Succeeded" in (state.children or (state.phase,))
    if result == "AllFailed":
        children = state.children or (state.phase,)
        return all(phase == "Failed" for phase in children)
    if result == "Daemoned":
        return False  # daemon templates are refused up front, so nothing is ever daemoned
    return state.phase == _PHASE_OF_RESULT[result]


def _tokenize(text: str) -> list[tuple[str, str | None]]:
    """Split into (operator or task name, result or None) tokens."""
    tokens: list[tuple[str, str | None]] = []
    position, stripped = 0, text.rstrip()
    while position < len(stripped):
        match = _TOKEN.match(stripped, position)
        if match is None or match.end() == position:
            raise WorkflowSpecError(f"depends {text!r}: cannot read {stripped[position:]!r}")
        operator, task, result = match.groups()
        if operator is not None:
            tokens.append((operator, None))
        else:
            if result is not None and result not in RESULTS:
                raise WorkflowSpecError(
                    f"depends {text!r}: unknown task result .{result} (one of {', '.join(RESULTS)})"
                )
            tokens.append((f"@{task}", result))
        position = match.end()
    return tokens


class _Parser:
    """Recursive descent: ``||`` binds looser than ``&&``, which binds looser than ``!``."""

    def __init__(self, tokens: list[tuple[str, str | None]], text: str) -> None:
        self.tokens, self.text, self.position = tokens, text, 0

    def expression(self) -> Expr:
        left = self.conjunction()
        while self._peek() == "||":
            self.position += 1
            left = Binary("||", left, self.conjunction())
        return left

    def conjunction(self) -> Expr:
        left = self.unary()
        while self._peek() == "&&":
            self.position += 1
            left = Binary("&&", left, self.unary())
        return left

    def unary(self) -> Expr:
        token = self._take()
        if token[0] == "!":
            return Not(self.unary())
        if token[0] == "(":
            inner = self.expression()
            if self._peek() != ")":
                raise WorkflowSpecError(f"depends {self.text!r}: missing ')'")
            self.position += 1
            return inner
        if token[0].startswith("@"):
            return Operand(token[0][1:], token[1])
        raise WorkflowSpecError(f"depends {self.text!r}: unexpected {token[0]!r}")

    def _peek(self) -> str | None:
        return self.tokens[self.position][0] if self.position < len(self.tokens) else None

    def _take(self) -> tuple[str, str | None]:
        if self.position >= len(self.tokens):
            raise WorkflowSpecError(f"depends {self.text!r}: ends too early")
        self.position += 1
        return self.tokens[self.position - 1]
