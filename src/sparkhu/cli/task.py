"""CLI commands: ``sparkhu task list`` and ``sparkhu task run`` (the command every task container runs)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from sparkhu.cli.errors import fail
from sparkhu.config import get_settings
from sparkhu.tasks.params import TaskInputError

# The task runtime (every task's libraries) is imported by the commands; the warm workers' forkserver
# preloads it (sparkhu.executor.warm.PRELOAD), so task containers run locally still find it imported.
if TYPE_CHECKING:
    from sparkhu.tasks.runner import TaskResult

task_app = typer.Typer(help="List and run single tasks (what each Argo container runs).", no_args_is_help=True)
console = Console()


@task_app.command("list")
def list_tasks() -> None:
    """List the tasks with their input/output tables and parameters."""
    from sparkhu.tasks.spec import all_tasks

    table = Table("task", "inputs", "outputs", "parameters (default)", "summary", title="Sparkhu tasks")
    for name, spec in all_tasks().items():
        params = ", ".join(f"{p.name}={p.default}" for p in spec.params) or "-"
        table.add_row(name, ", ".join(spec.inputs) or "-", ", ".join(spec.outputs) or "-", params, spec.summary)
    console.print(table)


@task_app.command("run")
def run_command(
    name: Annotated[str, typer.Argument(help="Task name (see `sparkhu task list`).")],
    start: Annotated[str, typer.Option(help="Interval start, ISO-8601 (UTC if naive). Empty: previous day.")] = "",
    end: Annotated[str, typer.Option(help="Interval end (exclusive), ISO-8601.")] = "",
    series: Annotated[list[str] | None, typer.Option("--series", help="Limit to this series (repeat).")] = None,
    shard: Annotated[str, typer.Option(help="Shard K/N: the series whose hash mod N is K.")] = "0/1",
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="Task parameter key=value.")] = None,
    outputs_dir: Annotated[Path | None, typer.Option(help="Write output parameters as files here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Run one task for an interval (and optionally a shard or some series).

    Exits 2 on bad input (nothing ran) and 1 when the task reports failures after its work (its report row
    and output files are written first).
    """
    from sparkhu.tasks.runner import TaskRequest, run_task

    request = TaskRequest(name, start, end, tuple(series or ()), shard, tuple(param or ()), outputs_dir)
    try:
        result = run_task(request, get_settings())
    except TaskInputError as error:
        fail(str(error))
    print_result(result, as_json)
    if result.outcome.failures:
        fail(f"task {name} failed: " + "; ".join(result.outcome.failures), code=1)


def print_result(result: TaskResult, as_json: bool) -> None:
    """Show what a task run did."""
    outcome = result.outcome
    summary = {"task": result.spec.name, "interval": str(result.interval), "shard": str(result.shard),
               "rows_in": outcome.rows_in, "rows_out": outcome.rows_out, "n_series": outcome.n_series,
               "duration_s": round(result.duration_s, 3), **outcome.counts,
               **{k: round(v, 4) for k, v in outcome.metrics.items()}}
    if as_json:
        console.print_json(json.dumps(summary, default=str))
        return
    table = Table("measure", "value", title=f"task {result.spec.name}")
    for key, value in summary.items():
        table.add_row(key, str(value))
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add the ``task`` group to ``app``."""
    app.add_typer(task_app, name="task")
