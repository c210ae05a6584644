"""Policies and legal holds as the CLI and the service change them: validated, idempotent, audited."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import select

from sparkhu.config import Settings
from sparkhu.metadata.db import session_scope
from sparkhu.metadata.retention import (
    HoldRow,
    PolicyChanges,
    PolicyRow,
    active_holds,
    add_audit,
    stored_policies,
    upsert_policies,
)
from sparkhu.retention.policy import Policy

HoldKind = Literal["series", "table", "policy"]
"""What a hold covers: one series (in every lake table and the quarantine), a table (or experiment / folder,
optionally ``store:target``), or a policy."""


class ControlError(LookupError):
    """A policy or hold that a change names does not exist."""


def list_policies(settings: Settings) -> list[Policy]:
    """Every stored policy, by name."""
    with session_scope(settings.database) as session:
        return stored_policies(session)


def get_policy(settings: Settings, name: str) -> Policy:
    """The stored policy ``name``.

    Raises:
        ControlError: No such policy.
    """
    for policy in list_policies(settings):
        if policy.name == name:
            return policy
    raise ControlError(f"no retention policy named {name!r}")


def save_policies(settings: Settings, policies: list[Policy], actor: str, dry_run: bool = False) -> PolicyChanges:
    """Add or update policies by name, all in one transaction; audited unless nothing changed."""
    with session_scope(settings.database) as session:
        changes = upsert_policies(session, policies, dry_run=dry_run)
        if not dry_run and (changes.added or changes.updated):
            add_audit(session, actor, "policies-save", "ok", {"added": changes.added, "updated": changes.updated})
        return changes


def delete_policy(settings: Settings, name: str, actor: str) -> None:
    """Remove a stored policy (its plans become unappliable); audited.

    Raises:
        ControlError: No such policy.
    """
    with session_scope(settings.database) as session:
        row = session.get(PolicyRow, name)
        if row is None:
            raise ControlError(f"no retention policy named {name!r}")
        session.delete(row)
        add_audit(session, actor, "policy-delete", "ok", {"document": row.document}, policy=name)


def list_holds(settings: Settings) -> list[dict[str, Any]]:
    """Every legal hold, oldest first."""
    with session_scope(settings.database) as session:
        return [hold.document() for hold in active_holds(session)]


def add_hold(settings: Settings, kind: HoldKind, target: str, reason: str, actor: str) -> dict[str, Any]:
    """Place a legal hold (adding an existing one returns it unchanged); audited."""
    if not target.strip():
        raise ValueError("a hold needs a target")
    with session_scope(settings.database) as session:
        existing = session.scalars(select(HoldRow).where(HoldRow.kind == kind, HoldRow.target == target)).first()
        if existing is not None:
            return existing.document()
        row = HoldRow(kind=kind, target=target, reason=reason, created_by=actor, created_at=datetime.now(UTC))
        session.add(row)
        session.flush()
        add_audit(session, actor, "hold-add", "ok", row.document())
        return row.document()


def remove_hold(settings: Settings, actor: str, hold_id: int | None = None, kind: HoldKind | None = None,
                target: str | None = None) -> dict[str, Any]:
    """Lift a legal hold, named by id or by kind and target; audited.

    Raises:
        ControlError: No such hold.
    """
    with session_scope(settings.database) as session:
        query = select(HoldRow).where(HoldRow.id == hold_id) if hold_id is not None else select(HoldRow).where(
            HoldRow.kind == kind, HoldRow.target == target)
        row = session.scalars(query).first()
        if row is None:
            raise ControlError(f"no hold {hold_id if hold_id is not None else f'on {kind} {target}'}")
        document = row.document()
        session.delete(row)
        add_audit(session, actor, "hold-remove", "ok", document)
        return document
