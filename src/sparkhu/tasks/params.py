"""Typed task parameters: declared once, parsed from ``key=value`` text, validated with clear errors."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


class TaskInputError(ValueError):
    """A task was called with bad input (parameters, interval, shard, series): exit code 2."""


@dataclass(frozen=True)
class Param:
    """One declared parameter of a task.

    Attributes:
        name: Parameter name, as written in ``--param name=value``.
        type: Python type the text converts to (``int``, ``float``, ``str`` or ``bool``).
        default: Value used when the parameter is not given.
        help: One line for ``sparkhu task list``.
        choices: Allowed values (for ``str`` parameters).
        minimum: Smallest allowed value (numbers).
        maximum: Largest allowed value (numbers).
        workflow_name: Name of the workflow parameter that feeds it (``argo submit -p NAME=...``); by
            default ``<task>-<name>`` in kebab case. Tasks that must agree on a value (the same context
            window, say) share one parameter by giving it the same name.
    """

    name: str
    type: type
    default: Any
    help: str = ""
    choices: tuple[str, ...] = field(default=())
    minimum: float | None = None
    maximum: float | None = None
    workflow_name: str | None = None

    @property
    def input_name(self) -> str:
        """Name of the parameter as a template input; Argo names are kebab-case by convention."""
        return self.name.replace("_", "-")

    @property
    def default_text(self) -> str:
        """The default as the text a command line or a manifest carries (``parse`` reads it back)."""
        if self.type is bool:
            return "true" if self.default else "false"
        return str(self.default)

    def parse(self, text: str) -> Any:
        """Convert ``text`` to this parameter's type and check its bounds.

        Raises:
            TaskInputError: The text does not convert or the value is out of bounds.
        """
        value = _convert(self, text)
        if self.choices and value not in self.choices:
            raise TaskInputError(f"parameter {self.name!r} must be one of {list(self.choices)}, got {text!r}")
        if self.minimum is not None and value < self.minimum:
            raise TaskInputError(f"parameter {self.name!r} must be >= {self.minimum}, got {value}")
        if self.maximum is not None and value > self.maximum:
            raise TaskInputError(f"parameter {self.name!r} must be <= {self.maximum}, got {value}")
        return value


def _convert(param: Param, text: str) -> Any:
    """Text to the parameter's type, with an error naming the parameter and the expected type."""
    if param.type is bool:
        lowered = text.strip().lower()
        if lowered in {"true", "1", "yes"}:
            return True
        if lowered in {"false", "0", "no"}:
            return False
        raise TaskInputError(f"parameter {param.name!r} expects true/false, got {text!r}")
    try:
        return param.type(text.strip())
    except ValueError:
        raise TaskInputError(
            f"parameter {param.name!r} expects {param.type.__name__}, got {text!r}"
        ) from None


def parse_params(declared: Iterable[Param], assignments: Iterable[str]) -> dict[str, Any]:
    """Values of every declared parameter from ``key=value`` texts, defaults filling the rest.

    Raises:
        TaskInputError: Malformed assignment, unknown parameter, or a value that fails validation.
    """
    by_name = {param.name: param for param in declared}
    values = {name: param.default for name, param in by_name.items()}
    for assignment in assignments:
        key, sep, text = assignment.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise TaskInputError(f"--param expects key=value, got {assignment!r}")
        if key not in by_name:
            known = ", ".join(sorted(by_name)) or "none"
            raise TaskInputError(f"unknown parameter {key!r}; this task takes: {known}")
        values[key] = by_name[key].parse(text)
    return values
