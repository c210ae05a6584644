"""Retention policies in the metadata database: one row per policy, its validated document as JSON."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from sparkhu.metadata.db import Base
from sparkhu.retention.policy import Policy


class PolicyRow(Base):
    """A stored policy; ``document`` is :meth:`Policy.document` (validated again whenever it is read)."""

    __tablename__ = "retention_policies"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass
class PolicyChanges:
    """What an import did (or would do): names added, updated and unchanged."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def upsert_policies(session: Session, policies: Iterable[Policy], dry_run: bool = False) -> PolicyChanges:
    """Add new policies and update changed ones by name (idempotent: a second import changes nothing)."""
    changes = PolicyChanges()
    now = datetime.now(UTC)
    for policy in policies:
        row = session.get(PolicyRow, policy.name)
        document = policy.document()
        if row is None:
            changes.added.append(policy.name)
            if not dry_run:
                session.add(PolicyRow(name=policy.name, document=document, created_at=now, updated_at=now))
        elif row.document != document:
            changes.updated.append(policy.name)
            if not dry_run:
                row.document, row.updated_at = document, now
        else:
            changes.unchanged.append(policy.name)
    return changes


def stored_policies(session: Session) -> list[Policy]:
    """Every stored policy, by name."""
    rows = session.scalars(select(PolicyRow).order_by(PolicyRow.name))
    return [Policy.model_validate(row.document) for row in rows]
