"""Fixtures of the metadata tests: each test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import typer
from typer.testing import CliRunner, Result

from sparkhu.cli import features as features_cli
from sparkhu.config import Settings, get_settings

# The PostgreSQL fixtures, also usable here before tests/conftest.py registers them as a plugin; both
# registrations share one server (tests/postgres.py keeps it on the pytest config).
from tests.postgres import postgres_database, postgres_url  # noqa: F401


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, home: Settings, monkeypatch: pytest.MonkeyPatch) -> str:
    """The metadata database URL in force for the test: a SQLite file under SPARKHU_HOME, or PostgreSQL."""
    # A wide terminal keeps rich tables on one line per row, so that outputs can be matched.
    monkeypatch.setenv("COLUMNS", "240")
    if request.param == "sqlite":
        return home.database
    url: str = request.getfixturevalue("postgres_database")
    monkeypatch.setenv("SPARKHU_DATABASE_URL", url)
    get_settings.cache_clear()
    assert get_settings().database == url
    return url


@pytest.fixture()
def cli() -> Callable[..., Result]:
    """Run ``sparkhu features ...`` in-process and return the result."""
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """Test application holding the features commands."""

    features_cli.register(app)
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, ["features", *args])

    return invoke
