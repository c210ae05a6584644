"""CLI commands: ``sparkhu runs list`` and ``sparkhu runs show`` (recorded workflow runs)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Protocol

import typer
from rich.console import Console
from rich.rule import Rule
from rich.table import Table

from sparkhu.cli.errors import fail
from sparkhu.config import get_settings

# The run records (SQLAlchemy) are imported by the commands that read them: `sparkhu workflow` and
# `sparkhu run` use this module's tables without the database.
if TYPE_CHECKING:
    from sparkhu.metadata.runs import WorkflowRun

runs_app = typer.Typer(help="Recorded workflow runs: their status, nodes and logs.", no_args_is_help=True)
console = Console()

STATUS_STYLES = {"Succeeded": "green", "Failed": "red", "Error": "bold red", "Running": "cyan",
                 "Pending": "dim", "Skipped": "yellow", "Omitted": "yellow"}


class NodeLike(Protocol):
    """What a node table shows (a recorded NodeRun or a live NodeResult)."""

    name: str
    template: str
    status: str
    attempts: int
    exit_code: int | None
    duration_s: float | None
    message: str


def styled(status: str) -> str:
    """A status in its colour."""
    style = STATUS_STYLES.get(status, "")
    return f"[{style}]{status}[/]" if style else status


def seconds(value: float | None) -> str:
    """A duration for a table cell."""
    return "-" if value is None else f"{value:.2f}s"


def nodes_table(nodes: Sequence[NodeLike], title: str) -> Table:
    """Nodes with status, attempts, duration, exit code and message."""
    table = Table(title=title)
    widest = max((len(node.name) for node in nodes), default=4)
    table.add_column("node", overflow="fold", min_width=min(widest, 32))
    table.add_column("template", overflow="fold")
    table.add_column("status", no_wrap=True)
    table.add_column("attempts", justify="right")
    table.add_column("duration", justify="right", no_wrap=True)
    table.add_column("exit", justify="right")
    table.add_column("message", overflow="fold", ratio=1)
    for node in nodes:
        exit_code = "-" if node.exit_code is None else str(node.exit_code)
        table.add_row(node.name, node.template, styled(node.status), str(node.attempts),
                      seconds(node.duration_s), exit_code, node.message)
    return table


@runs_app.command("list")
def list_command(
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many runs (newest first).")] = 20,
) -> None:
    """List recent workflow runs."""
    from sparkhu.metadata.db import session_scope
    from sparkhu.metadata.runs import list_runs

    with session_scope(get_settings().database) as session:
        runs = list_runs(session, limit)
        table = Table("run id", "workflow", "status", "started", "duration", "nodes", "message",
                      title="Workflow runs")
        for run in runs:
            table.add_row(run.id[:8], run.template, styled(run.status), _when(run.started_at),
                          seconds(run.duration_s), str(len(run.nodes)), run.message)
    if not runs:
        console.print("No runs yet: start one with `sparkhu workflow run FILE.yaml`.")
        return
    console.print(table)


@runs_app.command("show")
def show_command(
    run_id: Annotated[str, typer.Argument(help="Run id, or its first characters.")],
    logs: Annotated[bool, typer.Option("--logs", help="Also print each node's log.")] = False,
) -> None:
    """Show one run: parameters, status and every node (optionally with logs)."""
    from sparkhu.metadata.db import session_scope
    from sparkhu.metadata.runs import RunLookupError, find_run

    with session_scope(get_settings().database) as session:
        try:
            run = find_run(session, run_id)
        except RunLookupError as error:
            fail(str(error))
        console.print(_summary(run))
        console.print(nodes_table(run.nodes, f"Nodes of run {run.id[:8]}"))
        if logs:
            for node in run.nodes:
                _print_log(node.name, node.log_path)


def _summary(run: WorkflowRun) -> Table:
    """Key facts of a run as a two-column table."""
    table = Table(show_header=False, box=None)
    rows = [("run id", run.id), ("workflow", run.template), ("file", run.file or "-"),
            ("parameters", json.dumps(run.parameters) if run.parameters else "-"),
            ("status", styled(run.status)), ("started", _when(run.started_at)),
            ("finished", _when(run.finished_at)), ("duration", seconds(run.duration_s)),
            ("message", run.message or "-")]
    for key, value in rows:
        table.add_row(f"[bold]{key}[/]", value)
    return table


def _print_log(name: str, log_path: str) -> None:
    """One node's log under a heading."""
    console.print(Rule(f"{name}  {log_path}".strip()))
    path = Path(log_path) if log_path else None
    if path is None or not path.is_file():
        console.print("[dim](no log)[/]")
        return
    console.print(path.read_text(encoding="utf-8", errors="replace"), markup=False, highlight=False,
                  end="")


def _when(moment: datetime | None) -> str:
    """A timestamp in local time, to the second."""
    if moment is None:
        return "-"
    # SQLite hands timestamps back without their zone; they were stored in UTC.
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def register(app: typer.Typer) -> None:
    """Add the ``runs`` group to ``app``."""
    app.add_typer(runs_app, name="runs")
