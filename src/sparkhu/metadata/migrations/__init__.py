"""Alembic migrations of the metadata database (see :mod:`sparkhu.metadata.migrate`)."""
