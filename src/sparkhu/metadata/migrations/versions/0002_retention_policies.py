"""Retention policies: the first table an install gains after the baseline.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``retention_policies`` (name, validated JSON document, timestamps)."""
    op.create_table(
        "retention_policies",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    """Drop ``retention_policies``."""
    op.drop_table("retention_policies")
