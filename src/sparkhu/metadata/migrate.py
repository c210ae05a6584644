"""Schema migrations of the metadata database: Alembic revisions under ``metadata/migrations/versions``.

Every engine brings its database to the newest revision before first use (:func:`upgrade`), so an
install that already runs gains new tables and columns on its next start; ``sparkhu db upgrade`` does
the same on demand (a Helm hook or an operator before a release). A database that the first releases
created without Alembic (their tables, no ``alembic_version``) is stamped as the baseline revision first.

Many processes start at once (the local executor's parallel tasks, a Deployment's replicas): one
migrates at a time, under a file lock beside a SQLite file or a PostgreSQL advisory lock; the others
then find the database current and do nothing.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
BASELINE = "0001"
"""The revision whose tables the releases before Alembic created."""
HEAD = "0003"
"""The newest revision (a test checks it against the scripts): a current database skips Alembic entirely."""
ADVISORY_LOCK = 0x5350_4B48  # "SPKH": the PostgreSQL advisory-lock key of migrations


def model_modules() -> None:
    """Import every module that declares models, so that ``Base.metadata`` knows all tables."""
    from sparkhu.metadata import features, retention, runs  # noqa: F401


def alembic_config(connection: Connection) -> Config:
    """An Alembic configuration that migrates on ``connection`` (no ``alembic.ini`` needed)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at, or None when Alembic never ran on it."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Bring the database to ``revision`` (one process at a time); the revision it is at afterwards."""
    with engine.connect() as connection:
        if revision == "head" and current_revision(connection) == HEAD:
            return HEAD
    from alembic import command

    with _exclusive(engine), engine.begin() as connection:
        config = alembic_config(connection)
        if current_revision(connection) is None and inspect(connection).has_table("features"):
            command.stamp(config, BASELINE)
        command.upgrade(config, revision)
        return current_revision(connection)


@contextmanager
def _exclusive(engine: Engine) -> Iterator[None]:
    """Hold the migration lock of the database: a file lock for a SQLite file, an advisory lock for PostgreSQL."""
    url = engine.url
    if url.get_backend_name() == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK})
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK})
        return
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        with open(f"{url.database}.migrate.lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return
    yield
