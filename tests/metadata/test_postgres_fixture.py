"""The PostgreSQL test fixtures: a real server, fresh databases, skip or fail when unavailable."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from tests import postgres


@pytest.mark.postgres
def test_fresh_database_is_empty_and_separate(postgres_url: str, postgres_database: str) -> None:
    assert postgres_url.startswith("postgresql+psycopg2://")
    assert postgres_database.rsplit("/", 1)[0] == postgres_url.rsplit("/", 1)[0]
    engine = create_engine(postgres_database)
    try:
        with engine.connect() as connection:
            version = connection.execute(text("SHOW server_version_num")).scalar_one()
            tables = connection.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"))
            assert tables.scalar_one() == 0
    finally:
        engine.dispose()
    assert int(version) >= 130000  # DROP DATABASE ... WITH (FORCE) needs 13+


def test_missing_server_skips_locally_and_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no binaries"):
        postgres._unavailable("no binaries")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="PostgreSQL is required in CI: no binaries"):
        postgres._unavailable("no binaries")
