"""Alembic's entry point: migrate on the connection that :func:`sparkhu.metadata.migrate.upgrade` hands over."""

from __future__ import annotations

from alembic import context

from sparkhu.metadata.db import Base
from sparkhu.metadata.migrate import model_modules

model_modules()
# Batch mode: SQLite alters a table by copying it, which is how a later revision can drop or retype a column.
context.configure(connection=context.config.attributes["connection"], target_metadata=Base.metadata,
                  render_as_batch=True, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
