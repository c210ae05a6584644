"""Schema migrations of the metadata database on SQLite and PostgreSQL: fresh, legacy, concurrent, CLI."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, insert, inspect, select, text
from typer.testing import CliRunner

from sparkhu.cli.main import app
from sparkhu.metadata.db import Base, engine_for
from sparkhu.metadata.features import Feature
from sparkhu.metadata.migrate import HEAD, MIGRATIONS, alembic_config, current_revision, model_modules, upgrade


def test_head_names_the_newest_script() -> None:
    with create_engine("sqlite://").connect() as connection:
        scripts = ScriptDirectory.from_config(alembic_config(connection))
    assert scripts.get_heads() == [HEAD]
    assert (MIGRATIONS / "env.py").exists()


def test_a_fresh_database_is_migrated_to_head_and_matches_the_models(database: str) -> None:
    engine = engine_for(database)
    with engine.connect() as connection:
        assert current_revision(connection) == HEAD
        model_modules()
        # What autogenerate would write: nothing, or a model changed without a migration.
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_a_database_of_the_releases_before_migrations_is_stamped_and_keeps_its_rows(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = create_engine(url)
    model_modules()
    baseline = [Base.metadata.tables[name] for name in ("features", "workflow_runs", "workflow_nodes")]
    Base.metadata.create_all(old, tables=baseline)  # what the first releases did: no alembic_version
    with old.begin() as connection:
        connection.execute(insert(Feature).values(
            id="s1", name="", description="", unit="", type="", group_name="plant", alert_levels=[],
            timezone="UTC", tags=[], origin="manual", updated_at=datetime.now(UTC)))
    assert upgrade(old) == HEAD
    with old.connect() as connection:
        assert current_revision(connection) == HEAD
        assert connection.execute(select(Feature.group)).scalars().all() == ["plant"]
        assert "retention_policies" in inspect(connection).get_table_names()  # what 0002 added


def _open(url: str) -> str | None:
    with create_engine(url).connect() as connection:
        upgrade(connection.engine)
        return current_revision(connection)


def test_processes_starting_together_migrate_once_without_errors(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        assert pool.map(_open, [url] * 4) == [HEAD] * 4
    with create_engine(url).connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
        assert {"features", "workflow_runs", "workflow_nodes"} <= set(inspect(connection).get_table_names())


def test_db_commands_show_and_migrate_the_revision(database: str) -> None:
    runner = CliRunner()
    if database.startswith("sqlite"):
        assert "no metadata database yet" in runner.invoke(app, ["db", "current"]).output
    upgraded = runner.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0 and f"revision {HEAD}" in upgraded.output
    current = runner.invoke(app, ["db", "current"])
    assert current.exit_code == 0 and f"revision {HEAD}; newest {HEAD}: current" in current.output
    unknown = runner.invoke(app, ["db", "upgrade", "--revision", "9999"])
    assert unknown.exit_code == 2 and "9999" in unknown.output and "Traceback" not in unknown.output


def test_downgrade_to_base_then_upgrade_round_trips(tmp_path: Path) -> None:
    from alembic import command

    engine = engine_for(f"sqlite:///{tmp_path / 'round.db'}")
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
        assert "features" not in inspect(connection).get_table_names()
    assert upgrade(engine) == HEAD
