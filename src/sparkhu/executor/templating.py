"""Argo ``{{...}}`` parameter references: finding them and substituting values."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from sparkhu.executor.errors import NodeError

# Argo tolerates blanks inside the braces: "{{ inputs.parameters.x }}" is the same reference.
_REFERENCE = re.compile(r"\{\{\s*(.*?)\s*\}\}")


def references(text: str) -> list[str]:
    """The references in ``text``, in order (``{{=expr}}`` expressions come back starting with ``=``)."""
    return _REFERENCE.findall(text)


def substitute(text: str, scope: Mapping[str, str], where: str) -> str:
    """Replace every ``{{name}}`` in ``text`` with ``scope[name]``.

    Raises:
        NodeError: When a reference has no value in ``scope`` (``where`` says which field).

    """

    def value_of(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in scope:
            raise NodeError(f"{where}: no value for '{{{{{name}}}}}'")
        return scope[name]

    return _REFERENCE.sub(value_of, text)


def render_value(value: Any) -> str:
    """A parameter value as Argo prints it: strings as they are, anything else as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))
