"""Loop expansion of DAG tasks: ``withItems``, ``withParam`` and ``withSequence``."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sparkhu.executor.errors import NodeError
from sparkhu.executor.spec import Loop
from sparkhu.executor.templating import render_value

MAX_LABEL = 100


@dataclass(frozen=True)
class Expansion:
    """One iteration: its index, the label used in its node name, and the item."""

    index: int
    label: str
    item: Any

    def scope(self) -> dict[str, str]:
        """``{{item}}`` and, for a map item, ``{{item.key}}`` values."""
        values = {"item": render_value(self.item)}
        if isinstance(self.item, Mapping):
            values.update({f"item.{key}": render_value(value) for key, value in self.item.items()})
        return values


def expand(loop: Loop, resolve: Callable[[str], str]) -> list[Expansion]:
    """The iterations of ``loop``; ``resolve`` substitutes references in ``withParam``/``withSequence``.

    Raises:
        NodeError: When ``withParam`` is not a JSON list or a sequence bound is not a number.

    """
    if loop.items is not None:
        items = list(loop.items)
    elif loop.param is not None:
        items = _param_items(resolve(loop.param))
    else:
        items = _sequence_items({key: resolve(value) for key, value in loop.sequence or ()})
    return [Expansion(index, _label(item), item) for index, item in enumerate(items)]


def node_name(task: str, expansion: Expansion) -> str:
    """Argo's name for an iteration: ``task(0:value)``."""
    return f"{task}({expansion.index}:{expansion.label})"


def _param_items(text: str) -> list[Any]:
    """``withParam`` takes a JSON list (typically an output parameter of an earlier task)."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise NodeError(f"withParam is not JSON: {text[:200]!r} ({error.msg})") from error
    if not isinstance(value, list):
        raise NodeError(f"withParam must be a JSON list, got {type(value).__name__}: {text[:200]!r}")
    return value


def _sequence_items(fields: Mapping[str, str]) -> list[str]:
    """Numbers of ``withSequence``: ``count`` from ``start``, or ``start`` to ``end`` inclusive."""
    start = _integer(fields.get("start", "0"), "start")
    if "count" in fields and "end" in fields:
        raise NodeError("withSequence: give either count or end, not both")
    if "count" in fields:
        count = _integer(fields["count"], "count")
        numbers = list(range(start, start + count))
    elif "end" in fields:
        end = _integer(fields["end"], "end")
        step = 1 if end >= start else -1
        numbers = list(range(start, end + step, step))
    else:
        raise NodeError("withSequence: needs count or end")
    pattern = fields.get("format")
    return [pattern % number if pattern else str(number) for number in numbers]


def _integer(text: str, field: str) -> int:
    try:
        return int(str(text).strip())
    except ValueError as error:
        raise NodeError(f"withSequence.{field}: {text!r} is not a whole number") from error


def _label(item: Any) -> str:
    """A map item is labelled ``key:value,...`` (sorted), anything else by its rendered value.

    Long labels are cut: the index in the node name keeps names unique, the label is for people.
    """
    if isinstance(item, Mapping):
        label = ",".join(f"{key}:{render_value(item[key])}" for key in sorted(item))
    else:
        label = render_value(item)
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 3] + "..."
