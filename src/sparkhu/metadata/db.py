"""Engine, sessions and the declarative base of the metadata database (SQLite or PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker


class Base(DeclarativeBase):
    """Declarative base of every metadata model."""


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """A shared engine for ``url``; SQLite files get their folder, WAL mode and a busy timeout."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    _create_schema(engine)
    return engine


def _sqlite_pragmas(connection: object, _record: object) -> None:
    """WAL lets the executor's parallel task processes read while one writes."""
    cursor = connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _create_schema(engine: Engine) -> None:
    """Bring the database to the newest schema revision (idempotent; see :mod:`sparkhu.metadata.migrate`)."""
    from sparkhu.metadata.migrate import upgrade

    upgrade(engine)


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error."""
    session = sessionmaker(bind=engine_for(url), expire_on_commit=False)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
