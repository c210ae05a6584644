"""Retention engine: legal holds, plans, the apply journal and the audit log.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``retention_holds``, ``retention_plans``, ``retention_journal`` and ``retention_audit``."""
    op.create_table(
        "retention_holds",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("target", sa.String(500), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("kind", "target", name="uq_retention_holds_kind_target"),
    )
    op.create_table(
        "retention_plans",
        sa.Column("id", sa.String(20), primary_key=True),
        sa.Column("policy", sa.String(100), nullable=False, index=True),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "retention_journal",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("plan_id", sa.String(20), sa.ForeignKey("retention_plans.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("unit", sa.String(500), nullable=False),
        sa.Column("stage", sa.String(30), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "retention_audit",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("policy", sa.String(100), nullable=False),
        sa.Column("plan_id", sa.String(20), nullable=False, index=True),
        sa.Column("result", sa.String(20), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    """Drop the four tables."""
    for table in ("retention_audit", "retention_journal", "retention_plans", "retention_holds"):
        op.drop_table(table)
