"""Errors of the local executor: what makes a file unrunnable, and what makes one node fail."""

from __future__ import annotations

from collections.abc import Sequence


class WorkflowSpecError(ValueError):
    """The workflow cannot be run as given: bad YAML or shape, unsupported feature, bad parameter.

    Raised before anything runs. ``problems`` lists every problem found, one line each.
    """

    def __init__(self, problems: str | Sequence[str]) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class UnsupportedFeatureError(WorkflowSpecError):
    """The workflow uses Argo features that the local executor does not implement."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__(problems)

    def __str__(self) -> str:
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        return f"the local executor does not support these Argo features:\n{lines}"


class ParameterError(WorkflowSpecError):
    """A workflow parameter is missing, undeclared or outside its enum."""


class NodeError(RuntimeError):
    """A node cannot run or complete (unresolvable reference, bad loop value, missing output).

    The node ends in phase ``Error``; the run goes on with the rest of the DAG.
    """
