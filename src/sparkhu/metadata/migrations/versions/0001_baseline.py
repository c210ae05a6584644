"""Baseline: the feature catalog and the workflow-run records, as the first releases created them.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``features``, ``workflow_runs`` and ``workflow_nodes``."""
    op.create_table(
        "features",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("unit", sa.String(50), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("group_name", sa.String(200), nullable=False),
        sa.Column("range_min", sa.Float(), nullable=True),
        sa.Column("range_max", sa.Float(), nullable=True),
        sa.Column("alert_levels", sa.JSON(), nullable=False),
        sa.Column("period_seconds", sa.Float(), nullable=True),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("origin", sa.String(500), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_features_origin", "features", ["origin"])
    op.create_table(
        "workflow_runs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("template", sa.String(200), nullable=False),
        sa.Column("file", sa.Text(), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
    )
    op.create_table(
        "workflow_nodes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(36), sa.ForeignKey("workflow_runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("display_name", sa.String(500), nullable=False),
        sa.Column("template", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("log_path", sa.Text(), nullable=False),
        sa.Column("outputs", sa.JSON(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.UniqueConstraint("run_id", "name", name="uq_workflow_nodes_run_name"),
    )
    op.create_index("ix_workflow_nodes_run_id", "workflow_nodes", ["run_id"])


def downgrade() -> None:
    """Drop the three tables (everything: only for tests and a fresh start)."""
    op.drop_index("ix_workflow_nodes_run_id", "workflow_nodes")
    op.drop_table("workflow_nodes")
    op.drop_table("workflow_runs")
    op.drop_index("ix_features_origin", "features")
    op.drop_table("features")
