"""Compares the desired objects from git with the live ones and decides what each needs.

Per object the answer is one :class:`Action`: create it, update it (git changed), correct drift (the live
object was edited by hand), prune it (ours, gone from git), keep it (gone from git but pruning is off or
the object opted out), or nothing.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import yaml

from manifest_sync import ownership
from manifest_sync.kinds import KNOWN_KINDS, ObjectRef
from manifest_sync.validate import Desired


class Action(StrEnum):
    """What a sync does (or would do) to one object."""

    CREATE = "create"
    UPDATE = "update"
    DRIFT = "drift"
    PRUNE = "prune"
    KEEP = "keep"
    UNCHANGED = "unchanged"


PENDING = frozenset({Action.CREATE, Action.UPDATE, Action.DRIFT, Action.PRUNE})


@dataclass(frozen=True)
class Change:
    """The decision for one object.

    Attributes:
        action: What to do.
        ref: The object.
        desired: The object as git declares it (None for prune/keep).
        live: The object in the cluster (None for create).
        drifted: True when the live body no longer matches what the controller last applied.
        reason: Why, in words, for plan output and status.
        origin: File and document index in git (empty for prune/keep).
    """

    action: Action
    ref: ObjectRef
    desired: dict[str, Any] | None
    live: dict[str, Any] | None
    drifted: bool = False
    reason: str = ""
    origin: str = ""

    def diff(self) -> str:
        """Unified diff from the live object to the desired one (their bodies, labels and annotations)."""
        before = _view(self.live) if self.live is not None and self.action != Action.KEEP else ""
        after = _view(self.desired) if self.desired is not None else ""
        lines = difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True), f"live/{self.ref}", f"git/{self.ref}"
        )
        return "".join(lines)


@dataclass(frozen=True)
class Plan:
    """All decisions of one sync, in apply order (prunes last)."""

    revision: str
    changes: list[Change] = field(default_factory=list)

    def with_action(self, *actions: Action) -> list[Change]:
        """The changes whose action is one of ``actions``."""
        return [change for change in self.changes if change.action in actions]

    @property
    def pending(self) -> list[Change]:
        """Changes that would write to the cluster (create, update, drift correction, prune)."""
        return [change for change in self.changes if change.action in PENDING]

    @property
    def drifted(self) -> list[Change]:
        """Objects whose live body was edited by hand."""
        return [change for change in self.changes if change.drifted]


def make_plan(
    revision: str,
    desired: list[Desired],
    live: dict[ObjectRef, dict[str, Any]],
    source: ownership.Source,
    prune: bool,
) -> Plan:
    """Decide the action for every desired object and for every live object of ours gone from git."""
    wanted = {item.ref for item in desired}
    changes = [_decide(item, live.get(item.ref), source) for item in desired]
    leftovers = [ref for ref, obj in live.items() if ref not in wanted and ownership.is_managed(obj, source)]
    changes += [_leftover(ref, live[ref], prune) for ref in leftovers]
    return Plan(revision, sorted(changes, key=_apply_order))


def _decide(item: Desired, live: dict[str, Any] | None, source: ownership.Source) -> Change:
    """The action for one object present in git."""
    if live is None:
        return Change(Action.CREATE, item.ref, item.obj, None, reason="not in the cluster", origin=item.origin)
    applied = ownership.annotations_of(live).get(ownership.APPLIED_HASH)
    drifted = applied is not None and ownership.body_hash(live) != applied
    if not ownership.is_managed(live, source):
        reason = "exists but is not managed from this source: adopting it"
        return Change(Action.UPDATE, item.ref, item.obj, live, drifted, reason, item.origin)
    if applied != ownership.body_hash(item.obj) or not ownership.metadata_matches(item.obj, live, source):
        return Change(Action.UPDATE, item.ref, item.obj, live, drifted, "changed in git", item.origin)
    if drifted:
        return Change(Action.DRIFT, item.ref, item.obj, live, True, "edited in the cluster", item.origin)
    return Change(Action.UNCHANGED, item.ref, item.obj, live, origin=item.origin)


def _leftover(ref: ObjectRef, live: dict[str, Any], prune: bool) -> Change:
    """The action for one of our objects that git no longer declares."""
    if not prune:
        return Change(Action.KEEP, ref, None, live, reason="gone from git; pruning is off (--no-prune)")
    if ownership.prune_disabled(live):
        return Change(Action.KEEP, ref, None, live, reason=f"gone from git; kept by {ownership.PRUNE}=disabled")
    return Change(Action.PRUNE, ref, None, live, reason="gone from git")


def _apply_order(change: Change) -> tuple[int, int, ObjectRef]:
    """Writes before prunes; config before templates before cron jobs, and prunes the other way round."""
    removal = change.action in (Action.PRUNE, Action.KEEP)
    order = KNOWN_KINDS[change.ref.kind].order
    return (1, -order, change.ref) if removal else (0, order, change.ref)


def _view(obj: dict[str, Any]) -> str:
    """YAML of what the diff shows: identity, git-visible labels/annotations and the body."""
    notes = {k: v for k, v in ownership.annotations_of(obj).items() if k not in ownership.OWN_ANNOTATIONS}
    marks = {k: v for k, v in ownership.labels_of(obj).items() if k != ownership.MANAGED_BY_LABEL}
    meta: dict[str, Any] = {"name": (obj.get("metadata") or {}).get("name")}
    if marks:
        meta["labels"] = marks
    if notes:
        meta["annotations"] = notes
    shown = {"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"), "metadata": meta, **ownership.body(obj)}
    return yaml.safe_dump(shown, sort_keys=True, default_flow_style=False)
