"""Workflow runs and their nodes, as recorded by the local executor (``sparkhu runs list|show``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from sparkhu.metadata.db import Base


class WorkflowRun(Base):
    """One execution of a WorkflowTemplate (or Workflow) file."""

    __tablename__ = "workflow_runs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    template: Mapped[str] = mapped_column(String(200))
    file: Mapped[str] = mapped_column(Text, default="")
    parameters: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="Running")
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    duration_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    message: Mapped[str] = mapped_column(Text, default="")

    nodes: Mapped[list[NodeRun]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="NodeRun.id"
    )


class NodeRun(Base):
    """One node of a run: a task, a loop expansion of a task, or a nested DAG."""

    __tablename__ = "workflow_nodes"
    __table_args__ = (UniqueConstraint("run_id", "name", name="uq_workflow_nodes_run_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("workflow_runs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(500))
    display_name: Mapped[str] = mapped_column(String(500))
    template: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    exit_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    duration_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    log_path: Mapped[str] = mapped_column(Text, default="")
    outputs: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    message: Mapped[str] = mapped_column(Text, default="")

    run: Mapped[WorkflowRun] = relationship(back_populates="nodes")


class RunLookupError(LookupError):
    """No run, or more than one run, matches an id prefix."""


def list_runs(session: Session, limit: int = 20) -> list[WorkflowRun]:
    """The most recent runs, newest first."""
    query = select(WorkflowRun).order_by(WorkflowRun.started_at.desc()).limit(limit)
    return list(session.scalars(query))


def find_run(session: Session, id_prefix: str) -> WorkflowRun:
    """The run whose id starts with ``id_prefix``.

    Raises:
        RunLookupError: When no run or several runs match.

    """
    prefix = id_prefix.strip().lower()
    if not prefix:
        raise RunLookupError("give a run id (or the start of one)")
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    query = select(WorkflowRun).where(WorkflowRun.id.like(f"{escaped}%", escape="\\")).limit(3)
    matches = list(session.scalars(query))
    if not matches:
        raise RunLookupError(f"no run id starts with {id_prefix!r} (see `sparkhu runs list`)")
    if len(matches) > 1:
        shown = ", ".join(run.id[:12] for run in matches)
        raise RunLookupError(f"{id_prefix!r} matches several runs ({shown}...): give more characters")
    return matches[0]
