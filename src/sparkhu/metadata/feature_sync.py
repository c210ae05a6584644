"""Upsert declared features into the registry, field by field, inside the caller's transaction.

Work is split in two steps: ``plan_import``/``plan_sync`` compare the declarations with the registry and
write nothing (``--dry-run`` stops there); ``apply_plan`` writes exactly the planned changes, so an
unchanged feature is never touched and a re-run of the same sync issues no UPDATE at all. Rows are
never dropped and re-inserted: their identity and untouched columns survive every sync.

A synced feature carries its source in ``origin`` (``sync:SOURCE``). Features of that source that the
source no longer returns are *removed*: marked inactive by default, because series of the lake may still
refer to them and their description explains those data; deleted with ``prune=True``. A feature that
comes back is reactivated (an update).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from sparkhu.metadata.feature_spec import FeatureSpec
from sparkhu.metadata.features import Feature, get_features

Action = Literal["added", "updated", "unchanged", "removed"]
ACTIONS: tuple[Action, ...] = ("added", "updated", "unchanged", "removed")
# Any constant works: it only has to be the same for every writer of the features table.
_POSTGRES_LOCK_KEY = 0x5FEA7


class FeatureSyncError(RuntimeError):
    """A sync that would do something the user did not ask for (e.g. empty every feature of a source)."""


@dataclass(frozen=True)
class FeatureChange:
    """What happens to one feature: the changed column names and the columns it should end with."""

    id: str
    action: Action
    fields: tuple[str, ...] = ()
    columns: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FeaturePlan:
    """The changes one import or sync makes, in declaration order then removals."""

    origin: str
    changes: tuple[FeatureChange, ...]
    prune: bool = False

    def counts(self) -> dict[Action, int]:
        """Number of features per action, every action present."""
        tally = Counter(change.action for change in self.changes)
        return {action: tally[action] for action in ACTIONS}

    @property
    def writes(self) -> bool:
        """Whether applying the plan changes anything."""
        return any(change.action != "unchanged" for change in self.changes)


def spec_columns(spec: FeatureSpec, origin: str) -> dict[str, Any]:
    """Registry columns that a declared feature should have."""
    return {
        "id": spec.id,
        "name": spec.name,
        "description": spec.description,
        "unit": spec.unit,
        "type": spec.type,
        "group": spec.group,
        "range_min": spec.range_min,
        "range_max": spec.range_max,
        "alert_levels": list(spec.alert_levels),
        "period_seconds": spec.sampling_period,
        "timezone": spec.timezone,
        "tags": list(spec.tags),
        "origin": origin,
        "active": True,
    }


def plan_import(session: Session, specs: Iterable[FeatureSpec], origin: str) -> FeaturePlan:
    """Compare declared features with the registry: added, updated (which fields) or unchanged."""
    _serialise_writers(session)
    wanted = [spec_columns(spec, origin) for spec in specs]
    current = get_features(session, [columns["id"] for columns in wanted])
    return FeaturePlan(origin, tuple(_compare(current.get(columns["id"]), columns) for columns in wanted))


def plan_sync(
    session: Session,
    specs: Iterable[FeatureSpec],
    origin: str,
    prune: bool = False,
    allow_empty: bool = False,
) -> FeaturePlan:
    """Like ``plan_import``, plus the features of ``origin`` that the source no longer declares.

    Args:
        session: Open metadata session.
        specs: Every feature the source declares now.
        origin: The source's key (``sync:SOURCE``); removals only ever concern features of this origin.
        prune: Delete the removed features instead of marking them inactive.
        allow_empty: Accept a source that declares nothing (which removes all its features).

    Raises:
        FeatureSyncError: The source declares nothing, features of it exist and ``allow_empty`` is false.

    """
    upserts = plan_import(session, specs, origin)
    declared = {change.id for change in upserts.changes}
    owned = session.scalars(select(Feature).where(Feature.origin == origin).order_by(Feature.id)).all()
    # Inactive leftovers are only touched again when pruning deletes them.
    gone = [feature.id for feature in owned if feature.id not in declared and (prune or feature.active)]
    if not declared and gone and not allow_empty:
        raise FeatureSyncError(
            f"the source returned no features; refusing to remove all {len(gone)} features of {origin!r} "
            "(check the query, or allow an empty source explicitly)"
        )
    removals = tuple(FeatureChange(ident, "removed", () if prune else ("active",)) for ident in gone)
    return FeaturePlan(origin, upserts.changes + removals, prune)


def _compare(current: Feature | None, wanted: dict[str, Any]) -> FeatureChange:
    """The change that turns ``current`` (None: not registered) into ``wanted``."""
    if current is None:
        return FeatureChange(wanted["id"], "added", tuple(wanted), wanted)
    changed = tuple(name for name, value in wanted.items() if getattr(current, name) != value)
    return FeatureChange(wanted["id"], "updated" if changed else "unchanged", changed, wanted)


def apply_plan(session: Session, plan: FeaturePlan) -> None:
    """Write the planned changes in the session (and transaction) that planned them.

    Unchanged features are not touched, so they cost no UPDATE.
    """
    now = datetime.now(UTC)
    touched = get_features(session, [change.id for change in plan.changes if change.action != "unchanged"])
    for change in plan.changes:
        _apply_change(session, touched.get(change.id), change, plan.prune, now)
    session.flush()


def _apply_change(
    session: Session, feature: Feature | None, change: FeatureChange, prune: bool, now: datetime
) -> None:
    """Write one change: insert, update the changed columns, deactivate or delete."""
    if change.action == "added":
        session.add(Feature(**change.columns, updated_at=now))
    elif feature is None or change.action == "unchanged":
        return
    elif change.action == "updated":
        for name in change.fields:
            setattr(feature, name, change.columns[name])
        feature.updated_at = now
    elif prune:
        session.delete(feature)
    else:
        feature.active, feature.updated_at = False, now


def _serialise_writers(session: Session) -> None:
    """On PostgreSQL, one planner/writer at a time until commit, so that a plan stays true until applied.

    SQLite already allows a single writer; its planners read a consistent snapshot.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _POSTGRES_LOCK_KEY})
