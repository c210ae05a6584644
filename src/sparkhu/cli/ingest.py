"""CLI command ``sparkhu ingest``: load raw files into the lake, with a progress bar and a summary."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from sparkhu.config import get_settings

# The ingest machinery (pandas, pyarrow, the lake, the registry) is imported by the command itself, so
# that the other `sparkhu` commands start without it.
if TYPE_CHECKING:
    from sparkhu.ingest import Discovery, FileReport, IngestOptions, IngestReport

USAGE_EXIT = 2
# Beyond this many files only those with something to say are listed, to keep the summary readable.
_LISTED_FILES = 40


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("ingest")(ingest)


def ingest(
    paths: Annotated[list[str], typer.Argument(
        help="Files, folders (walked recursively, e.g. year=/month=/day= trees) or quoted globs.",
        show_default=False)],
    series_column: Annotated[str | None, typer.Option(
        help="Long layout: the column naming the series (default when no layout is given: series_id).")]
        = None,
    series_id: Annotated[str | None, typer.Option(
        help="Single-series layout: the series id of every row.")] = None,
    wide: Annotated[bool, typer.Option(
        "--wide", help="Wide layout: every non-time column is a series named after the column.")] = False,
    series_prefix: Annotated[str, typer.Option(help="Text put before every series id.")] = "",
    time_column: Annotated[str, typer.Option(help="Column holding the timestamps.")] = "timestamp",
    value_column: Annotated[str, typer.Option(help="Column holding the values (long/single).")] = "value",
    time_format: Annotated[str | None, typer.Option(
        help="strptime format, e.g. '%d/%m/%Y %H:%M'. Default: ISO 8601 text; numbers are epoch "
             "seconds/ms/us/ns by magnitude.")] = None,
    timezone: Annotated[str | None, typer.Option(
        help="IANA timezone of naive timestamps for series without one in the registry (default: UTC).")]
        = None,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Quarantine rows of unregistered series instead of registering them.")] = False,
) -> None:
    """Ingest CSV (.csv, .csv.gz), Parquet and JSON-lines (.jsonl, .ndjson, .json) files into 'raw'.

    Bad rows go to the 'quarantine' table with file, line and reason; re-ingesting a file replaces its rows.

    Exit code 2 when nothing usable was found or an option is wrong.
    """
    from sparkhu.ingest import IngestOptions, IngestUsageError, discover

    errors = Console(stderr=True)
    try:
        options = IngestOptions(series_column=series_column, series_id=series_id, wide=wide,
                                series_prefix=series_prefix, time_column=time_column,
                                value_column=value_column, time_format=time_format, timezone=timezone,
                                strict=strict)
        discovery = discover(paths)
    except IngestUsageError as error:
        errors.print(f"[red]error:[/] {error}")
        raise typer.Exit(USAGE_EXIT) from None
    report = _run_with_progress(discovery, options)
    console = Console()
    _print_report(console, report)
    if not report.usable:
        errors.print(f"[red]error:[/] {_nothing_usable(report)}")
        raise typer.Exit(USAGE_EXIT)


def _run_with_progress(discovery: Discovery, options: IngestOptions) -> IngestReport:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from sparkhu.ingest import ingest_files

    columns = (TextColumn("ingesting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("{task.description}"))
    with Progress(*columns, transient=True) as progress:
        bar = progress.add_task("", total=len(discovery.files))

        def advance(done: FileReport) -> None:
            progress.update(bar, advance=1, description=done.path.name)

        return ingest_files(discovery, options, get_settings(), on_file=advance)


def _print_report(console: Console, report: IngestReport) -> None:
    console.print(_file_table(report))
    rate = report.accepted / report.seconds if report.seconds > 0 else 0.0
    console.print(f"[bold]total[/]: {len(report.files)} file(s), {report.accepted:,} accepted, "
                  f"{report.quarantined:,} quarantined, {len(report.new_series)} new series "
                  f"({report.seconds:.1f} s, {rate:,.0f} points/s)")
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    if report.quarantined:
        console.print("quarantined rows: [cyan]sparkhu export quarantine --out quarantine.csv[/]")


def _file_table(report: IngestReport) -> Table:
    table = Table(title="Ingested files")
    table.add_column("file", overflow="fold", min_width=16)
    for name in ("accepted", "quarantined", "series (new)"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("days (UTC)", no_wrap=True)
    table.add_column("note", overflow="fold", min_width=16)
    listed = report.files if len(report.files) <= _LISTED_FILES else [
        f for f in report.files if f.error or f.quarantined or f.duplicate_of or f.notes]
    for file in listed[:_LISTED_FILES]:
        table.add_row(_shown_path(file.path), f"{file.accepted:,}", f"{file.quarantined:,}",
                      f"{file.series} ({len(file.new_series)})", _time_range(file), _note(file))
    hidden = len(report.files) - min(len(listed), _LISTED_FILES)
    if hidden:
        table.add_row(f"... {hidden} more file(s)", "", "", "", "", "")
    return table


def _shown_path(path: Path) -> str:
    """The path relative to the working folder when it lies below it (shorter), else in full."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _time_range(file: FileReport) -> str:
    if file.start is None or file.end is None:
        return ""
    return f"{file.start:%Y-%m-%d}..{file.end:%Y-%m-%d}"


def _note(file: FileReport) -> str:
    if file.error:
        return f"[red]{file.error}[/]"
    if file.duplicate_of:
        return f"same content as {file.duplicate_of.name}: skipped"
    return "; ".join(file.notes)


def _nothing_usable(report: IngestReport) -> str:
    unreadable = len(report.failed_files)
    return (f"nothing usable was found in {len(report.files)} file(s): {unreadable} could not be read, "
            f"{report.quarantined:,} row(s) quarantined, none accepted")
