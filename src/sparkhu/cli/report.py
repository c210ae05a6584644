"""CLI command: ``sparkhu report`` (an offline HTML report of a run, with plots)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from sparkhu.cli.errors import fail
from sparkhu.cli.tables import lake_from_settings
from sparkhu.tasks.params import TaskInputError

console = Console()


def report(
    out: Annotated[Path, typer.Option("--out", "-o", help="HTML file to write.")],
    run: Annotated[str | None, typer.Option("--run", help="Run id or its first characters. Default: latest.")] = None,
    series: Annotated[list[str] | None, typer.Option("--series", help="Series to plot (repeat).")] = None,
    start: Annotated[str | None, typer.Option(help="Interval start, ISO-8601. Default: the run's.")] = None,
    end: Annotated[str | None, typer.Option(help="Interval end (exclusive), ISO-8601. Default: the run's.")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Series plotted without --series (default 12).")] = None,
) -> None:
    """Write an HTML report of a run: task summary, statistics and per-series plots (opens offline)."""
    # Imported here: matplotlib costs half a second that no other command should pay (and pandas, which
    # parse_instant needs, most of one).
    from sparkhu.reporting import ReportRequest, ReportScopeError, write_report
    from sparkhu.tasks.interval import parse_instant

    if out.suffix.lower() not in (".html", ".htm"):
        fail(f"--out must be an .html file, got {out.name!r}")
    try:
        request = ReportRequest(run_id=run, series=tuple(series or ()),
                                start=parse_instant(start, "start") if start else None,
                                end=parse_instant(end, "end") if end else None)
        if limit is not None:
            request = dataclasses.replace(request, limit=limit)
        written = write_report(lake_from_settings(), request, out)
    except (TaskInputError, ReportScopeError) as error:
        fail(str(error))
    shown = written.report
    console.print(f"wrote report of {len(shown.series)} series with {len(shown.plot_keys())} plots "
                  f"({written.size_bytes / 1e6:.2f} MB) to")
    # the path alone on the last line, so scripts (and `make run`) can pick it up
    print(written.path.resolve())


def register(app: typer.Typer) -> None:
    """Add ``report`` to ``app``."""
    app.command("report")(report)
