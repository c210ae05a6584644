"""CLI commands ``sparkhu db current`` and ``sparkhu db upgrade``: the metadata database's schema revision."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from sparkhu.cli.errors import fail
from sparkhu.config import get_settings

db_app = typer.Typer(help="The metadata database's schema (Alembic revisions).", no_args_is_help=True)
console = Console()


@db_app.command("current")
def current_command() -> None:
    """Print the schema revision of the metadata database and the newest one this release knows."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import SQLAlchemyError

    from sparkhu.metadata.migrate import HEAD, current_revision

    url = get_settings().database
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        console.print(f"no metadata database yet at {url.removeprefix('sqlite:///')} (any command creates it)")
        return
    try:
        with create_engine(url).connect() as connection:
            revision = current_revision(connection)
    except SQLAlchemyError as error:
        fail(f"cannot read the metadata database: {error.__class__.__name__}: {str(error).splitlines()[0]}")
    state = "current" if revision == HEAD else "needs `sparkhu db upgrade`"
    console.print(f"revision {revision or 'none (never migrated)'}; newest {HEAD}: {state}")


@db_app.command("upgrade")
def upgrade_command(
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
) -> None:
    """Migrate the metadata database to ``--revision`` (the newest by default); safe to rerun."""
    from alembic.util.exc import CommandError
    from sqlalchemy import create_engine
    from sqlalchemy.exc import SQLAlchemyError

    from sparkhu.metadata.migrate import upgrade

    url = get_settings().database
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    try:
        reached = upgrade(create_engine(url), revision)
    except CommandError as error:
        fail(f"cannot migrate to {revision!r}: {error}")
    except SQLAlchemyError as error:
        fail(f"cannot migrate the metadata database: {error.__class__.__name__}: {str(error).splitlines()[0]}")
    console.print(f"metadata database at revision {reached}")


def register(app: typer.Typer) -> None:
    """Attach the ``db`` command group to the root app."""
    app.add_typer(db_app, name="db")
