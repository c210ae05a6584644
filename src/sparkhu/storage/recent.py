"""The slices this process wrote last, kept in memory so that the next step's read of them skips the lake.

A local run executes consecutive steps of one shard in the same warm worker (the executor routes a
shard's nodes to the worker that ran its previous one), and each step reads the slice that the step
before it has just written. Decoding that slice again from Parquet cost 0.3-0.7 s per node; the
Arrow table the writer committed is still in memory.

A remembered slice is served only while it is provably what the lake holds: every commit to the
table after ours must be a blind append (it removed nothing) of a slice disjoint from ours (it added
nothing inside ours: another shard's series, another interval). Any overwrite, delete, untagged
commit, overlapping append, or a history in which our commit is not found, sends the read back to the
lake. Each write tags its commit (commit metadata) with a random token, which is how we find our
commit in the history, and with its slice's bounds, which is how a later append is judged disjoint.
"""

from __future__ import annotations

import json
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from deltalake import DeltaTable

if TYPE_CHECKING:
    from sparkhu.storage.lake import Slice

TOKEN_KEY = "sparkhu.write"
"""Commit-metadata key holding the writer's token."""

SLICE_KEY = "sparkhu.slice"
"""Commit-metadata key holding the written slice's bounds (JSON, see :func:`slice_json`)."""

DEFAULT_BUDGET_BYTES = 256 * 1024 * 1024
"""Arrow bytes kept per process; the least recently used slices go first. A slice larger than a
quarter of it is not kept: holding big tables (``windows``, 80 floats a row) made the next
allocations fault fresh pages in and slowed the writes after them more than the saved reads gained."""


@dataclass(frozen=True)
class Remembered:
    """A slice as committed: its rows (the table's stored schema), the commit's token and base version."""

    where: Slice
    data: pa.Table
    token: str
    version_before: int


@dataclass(frozen=True)
class Served:
    """A remembered slice that covers a read, and the part of the read before it, if any.

    Attributes:
        slice: The remembered slice.
        earlier_end: When the read starts before the remembered slice: the end of the part that must
            still come from the lake (``[read start, earlier_end)``); None when the slice covers it all.
    """

    slice: Remembered
    earlier_end: datetime | None


def new_token() -> str:
    """A fresh token for one write's commit."""
    return uuid.uuid4().hex


def slice_json(where: Slice) -> str:
    """A slice's bounds as JSON, for a commit's metadata."""
    return json.dumps({
        "start": where.start.isoformat() if where.start is not None else None,
        "end": where.end.isoformat() if where.end is not None else None,
        "series": list(where.series) if where.series is not None else None,
        "equals": where.equals, "among": {column: list(values) for column, values in where.among.items()},
    })


def _bounds(text: str) -> dict[str, Any]:
    """The bounds :func:`slice_json` wrote, with times parsed back."""
    bounds: dict[str, Any] = json.loads(text)
    for key in ("start", "end"):
        bounds[key] = datetime.fromisoformat(bounds[key]) if bounds[key] is not None else None
    return bounds


class RecentWrites:
    """The last slices written by this process, per table URI, within a byte budget."""

    def __init__(self, budget_bytes: int = DEFAULT_BUDGET_BYTES) -> None:
        self.budget_bytes = budget_bytes
        self._slices: OrderedDict[tuple[str, str], Remembered] = OrderedDict()
        self._bytes = 0

    def remember(self, uri: str, remembered: Remembered) -> None:
        """Keep ``remembered`` (too large a slice is not kept; it replaces one with the same bounds)."""
        key = (uri, repr(remembered.where))
        self._drop(key)
        if remembered.data.nbytes > self.budget_bytes // 4:
            return
        self._slices[key] = remembered
        self._bytes += remembered.data.nbytes
        while self._bytes > self.budget_bytes:
            self._drop(next(iter(self._slices)))

    def forget(self, uri: str, where: Slice) -> None:
        """Drop the slice with these bounds (its write was not kept)."""
        self._drop((uri, repr(where)))

    def _drop(self, key: tuple[str, str]) -> None:
        dropped = self._slices.pop(key, None)
        if dropped is not None:
            self._bytes -= dropped.data.nbytes

    def serve(self, uri: str, table: DeltaTable, where: Slice, time_column: str | None,
              has_series: bool) -> Served | None:
        """A remembered slice of ``uri`` that covers ``where`` and that the lake still holds as written."""
        for key, remembered in reversed(self._slices.items()):
            if key[0] != uri:
                continue
            covered, earlier_end = _covers(remembered.where, where, time_column, has_series)
            if not covered:
                continue
            if not unchanged_since(table, remembered, time_column is not None):
                self._drop(key)
                return None
            self._slices.move_to_end(key)
            return Served(remembered, earlier_end)
        return None

    def clear(self) -> None:
        """Forget everything."""
        self._slices.clear()
        self._bytes = 0


def unchanged_since(table: DeltaTable, remembered: Remembered, timed: bool) -> bool:
    """Whether the lake still holds the remembered slice exactly as written.

    True when the remembered commit is found and every commit after it is a blind append of a slice
    disjoint from the remembered one (``timed``: the table has a time column, so intervals count).
    """
    newer = table.version() - remembered.version_before
    if newer <= 0:
        return False
    for commit in table.history(limit=newer):  # newest first
        if commit.get(TOKEN_KEY) == remembered.token:
            return True
        if not _is_blind_append(commit) or SLICE_KEY not in commit:
            return False
        if not disjoint(remembered.where, _bounds(str(commit[SLICE_KEY])), timed):
            return False
    return False


def _is_blind_append(commit: dict[str, Any]) -> bool:
    parameters = commit.get("operationParameters") or {}
    return commit.get("operation") == "WRITE" and parameters.get("mode") == "Append"


def disjoint(ours: Slice, theirs: dict[str, Any], timed: bool) -> bool:
    """Whether no row can lie in both ``ours`` and the slice with bounds ``theirs``.

    Args:
        ours: A slice.
        theirs: Another slice's bounds, as :func:`slice_json` wrote them (times parsed).
        timed: Whether the table has a time column (without one, intervals bound nothing).
    """
    ours_values = _allowed_values(ours.equals, ours.among)
    theirs_values = _allowed_values(theirs["equals"], theirs["among"])
    if any(not ours_values[c] & theirs_values[c] for c in ours_values.keys() & theirs_values.keys()):
        return True
    if ours.series is not None and theirs["series"] is not None and not set(ours.series) & set(theirs["series"]):
        return True
    return timed and not _intervals_meet(ours.start, ours.end, theirs["start"], theirs["end"])


def _allowed_values(equals: dict[str, Any], among: dict[str, Any]) -> dict[str, set[Any]]:
    """Per fixed column, the values a row of the slice may hold there."""
    allowed = {column: {value} for column, value in equals.items()}
    for column, values in among.items():
        allowed[column] = allowed.get(column, set(values)) & set(values)
    return allowed


def _intervals_meet(start: datetime | None, end: datetime | None, other_start: datetime | None,
                    other_end: datetime | None) -> bool:
    """Whether two half-open intervals (None: unbounded) share an instant."""
    if end is not None and other_start is not None and other_start >= end:
        return False
    return not (other_end is not None and start is not None and other_end <= start)


def _covers(held: Slice, wanted: Slice, time_column: str | None, has_series: bool) -> tuple[bool, datetime | None]:
    """Whether ``held`` covers ``wanted``, and the start of ``held`` when ``wanted`` starts before it.

    A read that starts earlier (a step's look-back context) is still served: only its part before
    ``held`` comes from the lake.
    """
    if held.equals != wanted.equals or held.among != wanted.among:
        return False, None
    if has_series and not _series_within(held.series, wanted.series):
        return False, None
    if time_column is None:
        return (held.start, held.end) == (wanted.start, wanted.end), None
    if held.end is not None and (wanted.end is None or wanted.end > held.end):
        return False, None
    if held.start is not None and (wanted.start is None or wanted.start < held.start):
        return True, held.start
    return True, None


def _series_within(held: tuple[str, ...] | None, wanted: tuple[str, ...] | None) -> bool:
    if held is None:
        return True
    return wanted is not None and set(wanted) <= set(held)


RECENT = RecentWrites()
"""This process's remembered slices (one per process: warm workers keep theirs between nodes)."""
