"""Helpers of the metadata tests: read counts back from CLI output, snapshot the registry."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from sparkhu.metadata.db import session_scope
from sparkhu.metadata.features import Feature

ACTIONS = ("added", "updated", "unchanged", "removed")


def counts(output: str) -> dict[str, int]:
    """Counts per action read back from the printed summary table."""
    found = {action: re.search(rf"\b{action}\b[^\d\n]*(\d+)", output) for action in ACTIONS}
    return {action: int(match.group(1)) for action, match in found.items() if match}


def snapshot(url: str) -> list[tuple[Any, ...]]:
    """Every feature row, every column, ordered by id: equal snapshots mean an untouched registry."""
    names = [column.key for column in Feature.__mapper__.column_attrs]
    with session_scope(url) as session:
        rows = session.scalars(select(Feature).order_by(Feature.id)).all()
        return [tuple(getattr(row, name) for name in names) for row in rows]
