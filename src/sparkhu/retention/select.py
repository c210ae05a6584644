"""Which units a policy's rules select: pure, with known answers (tests/retention/test_select.py).

The rules combine so that deleting stays conservative: ``older_than`` is a floor (no unit whose newest item
is younger than the cutoff is ever selected); ``keep_last`` and ``max_bytes`` then choose among the units
past that floor — beyond the newest N units of each target, or the oldest ones until the scope fits in ``max_bytes``.
Without ``keep_last`` and ``max_bytes`` every unit past the floor is selected.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sparkhu.retention.policy import Rules
from sparkhu.retention.store import Unit


def cutoff_of(rules: Rules, now: datetime) -> datetime | None:
    """The moment before which data is old enough for the policy (None: no age rule)."""
    return None if rules.older_than is None else now - timedelta(seconds=rules.older_than)


def select_units(rules: Rules, units: Sequence[Unit], now: datetime) -> list[Unit]:
    """The units the rules select, oldest first.

    Args:
        rules: The policy's rules.
        units: Every unit of the scope (young ones too: ``keep_last`` and ``max_bytes`` count them).
        now: The moment ages are measured from.
    """
    ordered = sorted(units, key=lambda unit: (unit.newest, unit.key))
    cutoff = cutoff_of(rules, now)
    old_enough = {unit.key for unit in ordered if cutoff is None or unit.newest < cutoff}
    if rules.keep_last is None and rules.max_bytes is None:
        chosen = old_enough
    else:
        chosen = _beyond_count(rules.keep_last, ordered) | _beyond_size(rules.max_bytes, ordered)
        chosen &= old_enough
    return [unit for unit in ordered if unit.key in chosen]


def _beyond_count(keep_last: int | None, ordered: Sequence[Unit]) -> set[str]:
    """Keys of the units outside the newest ``keep_last`` groups of their target.

    A unit without a group is its own; counting per target keeps N runs of *each* experiment (or N
    versions of each registered model) when a scope covers several.
    """
    if keep_last is None:
        return set()
    newest: dict[tuple[str, str], datetime] = {}
    for unit in ordered:
        group = (unit.target, unit.group or unit.key)
        newest[group] = max(newest.get(group, unit.newest), unit.newest)
    kept: set[tuple[str, str]] = set()
    for target in {target for target, _ in newest}:
        groups = sorted((group for group in newest if group[0] == target), key=newest.__getitem__, reverse=True)
        kept.update(groups[:keep_last])
    return {unit.key for unit in ordered if (unit.target, unit.group or unit.key) not in kept}


def _beyond_size(max_bytes: int | None, ordered: Sequence[Unit]) -> set[str]:
    """Keys of the oldest units to drop so that the rest fits in ``max_bytes``."""
    if max_bytes is None:
        return set()
    excess = sum(unit.bytes for unit in ordered) - max_bytes
    chosen: set[str] = set()
    for unit in ordered:
        if excess <= 0:
            break
        chosen.add(unit.key)
        excess -= unit.bytes
    return chosen
