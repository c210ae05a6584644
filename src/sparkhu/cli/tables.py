"""CLI commands: ``sparkhu tables`` (rows, versions, files) and ``sparkhu export`` (CSV or Parquet)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from sparkhu.cli.errors import fail
from sparkhu.config import get_settings
from sparkhu.tasks.params import TaskInputError

# The lake (deltalake, pyarrow, pandas) is imported by the functions that use it, so that every other
# command starts without it.
if TYPE_CHECKING:
    from sparkhu.storage.lake import Lake

console = Console()
EXPORT_FORMATS = (".csv", ".parquet")


def lake_from_settings() -> Lake:
    """The lake of the settings in force."""
    from sparkhu.storage.lake import Lake

    settings = get_settings()
    return Lake(settings.lake, settings.storage_options)


def tables_table(lake: Lake, title: str) -> Table:
    """Every declared table with its rows, version, files, partitioning and description."""
    from sparkhu.storage.tables import TABLES

    table = Table("table", "rows", "version", "files", "partitioned by", "description", title=title)
    for name, spec in TABLES.items():
        summary = lake.summary(name)
        table.add_row(name, f"{summary.rows:,}", "-" if summary.version is None else str(summary.version),
                      str(summary.files), ", ".join(spec.partition_by) or "-", spec.description)
    return table


def tables() -> None:
    """List the lake's tables with row counts, versions and data files."""
    lake = lake_from_settings()
    console.print(tables_table(lake, f"Tables in {lake.root}"))


def export(
    table: Annotated[str, typer.Argument(help="Table name (see `sparkhu tables`).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output file: .csv or .parquet.")],
    series: Annotated[list[str] | None, typer.Option("--series", help="Only this series (repeat).")] = None,
    start: Annotated[str | None, typer.Option(help="Only rows at or after this ISO time.")] = None,
    end: Annotated[str | None, typer.Option(help="Only rows before this ISO time.")] = None,
) -> None:
    """Export a table (or a slice of it) to CSV with a header row, or to Parquet."""
    from sparkhu.storage.lake import Slice
    from sparkhu.storage.tables import TABLES
    from sparkhu.tasks.interval import parse_instant

    if table not in TABLES:
        fail(f"unknown table {table!r}; known tables: {', '.join(TABLES)}")
    if out.suffix not in EXPORT_FORMATS:
        fail(f"--out must end with {' or '.join(EXPORT_FORMATS)}, got {out.name!r}")
    try:
        where = Slice(start=parse_instant(start, "start") if start else None,
                      end=parse_instant(end, "end") if end else None,
                      series=tuple(series) if series else None)
    except TaskInputError as error:
        fail(str(error))
    frame = lake_from_settings().read(table, where)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".csv":
        frame.to_csv(out, index=False)
    else:
        frame.to_parquet(out, index=False)
    console.print(f"wrote {len(frame):,} rows of [bold]{table}[/] to {out}")


def register(app: typer.Typer) -> None:
    """Add ``tables`` and ``export`` to ``app``."""
    app.command("tables")(tables)
    app.command("export")(export)
