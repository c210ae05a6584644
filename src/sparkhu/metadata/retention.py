"""Retention in the metadata database: policies, legal holds, plans, the apply journal and the audit log."""

from __future__ import annotations

import fcntl
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from sparkhu.metadata.db import Base, engine_for
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


class HoldRow(Base):
    """A legal hold: while it exists, no delete touches what it covers (a series, a table or a policy)."""

    __tablename__ = "retention_holds"
    __table_args__ = (UniqueConstraint("kind", "target", name="uq_retention_holds_kind_target"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))
    target: Mapped[str] = mapped_column(String(500))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    def document(self) -> dict[str, Any]:
        """The hold as JSON-ready data."""
        return {"id": self.id, "kind": self.kind, "target": self.target, "reason": self.reason,
                "created_by": self.created_by, "created_at": as_utc(self.created_at).isoformat()}


class PlanRow(Base):
    """A stored plan; ``state`` is ``planned``, ``applying`` (an apply started: a rerun resumes) or ``applied``."""

    __tablename__ = "retention_plans"

    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    policy: Mapped[str] = mapped_column(String(100), index=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(20), default="planned")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(200), default="")


class JournalRow(Base):
    """One step of an apply, written before (``*-started``) and after (``archived``, ``deleted``…) it runs."""

    __tablename__ = "retention_journal"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("retention_plans.id", ondelete="CASCADE"), index=True)
    unit: Mapped[str] = mapped_column(String(500))
    stage: Mapped[str] = mapped_column(String(30))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditRow(Base):
    """One audited change: an apply (counts, bytes and versions before and after) or a hold added / removed."""

    __tablename__ = "retention_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(30))
    policy: Mapped[str] = mapped_column(String(100), default="")
    plan_id: Mapped[str] = mapped_column(String(20), default="", index=True)
    result: Mapped[str] = mapped_column(String(20))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    def document(self) -> dict[str, Any]:
        """The record as JSON-ready data."""
        return {"id": self.id, "at": as_utc(self.at).isoformat(), "actor": self.actor, "action": self.action,
                "policy": self.policy, "plan_id": self.plan_id, "result": self.result, "detail": self.detail}


def add_audit(session: Session, actor: str, action: str, result: str, detail: dict[str, Any],
              policy: str = "", plan_id: str = "") -> AuditRow:
    """Write one audit record (flushed, so that it has its id)."""
    row = AuditRow(at=datetime.now(UTC), actor=actor, action=action, policy=policy, plan_id=plan_id,
                   result=result, detail=detail)
    session.add(row)
    session.flush()
    return row


def audit_records(session: Session, limit: int = 100, plan_id: str | None = None) -> list[AuditRow]:
    """The newest audit records first."""
    query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
    if plan_id:
        query = query.where(AuditRow.plan_id == plan_id)
    return list(session.scalars(query))


def active_holds(session: Session) -> list[HoldRow]:
    """Every hold, oldest first."""
    return list(session.scalars(select(HoldRow).order_by(HoldRow.id)))


def journal_of(session: Session, plan_id: str) -> dict[str, dict[str, dict[str, Any]]]:
    """Per unit key, the stages its apply reached and their details."""
    stages: dict[str, dict[str, dict[str, Any]]] = {}
    for row in session.scalars(select(JournalRow).where(JournalRow.plan_id == plan_id).order_by(JournalRow.id)):
        stages.setdefault(row.unit, {})[row.stage] = row.detail
    return stages


class PlanBusy(RuntimeError):
    """Another process is applying the plan right now."""


@contextmanager
def plan_lock(url: str, plan_id: str) -> Iterator[None]:
    """Hold the plan's apply lock, without waiting; a process that dies releases it.

    PostgreSQL: a session advisory lock keyed by the plan id. SQLite: an exclusive file lock beside the
    database file. (An in-memory SQLite database has one process: nothing to lock.)

    Raises:
        PlanBusy: Another process holds it.
    """
    engine = engine_for(url)
    key = zlib.crc32(f"retention-plan:{plan_id}".encode()) - 2**31
    if engine.url.get_backend_name() == "postgresql":
        with engine.connect() as connection:
            if not connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar():
                raise PlanBusy(f"plan {plan_id} is being applied by another process")
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
        return
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.plan-{plan_id}.lock", "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise PlanBusy(f"plan {plan_id} is being applied by another process") from error
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def as_utc(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
