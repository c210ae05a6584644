"""CLI commands: ``sparkhu workflow run|check`` (run Argo WorkflowTemplates on this machine)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.text import Text

from sparkhu.cli.errors import fail
from sparkhu.cli.runs import STATUS_STYLES, nodes_table, seconds, styled
from sparkhu.config import get_settings

# The executor (SQLAlchemy for the run records, YAML, multiprocessing) is imported by the functions that
# run or check a workflow, so that every other `sparkhu` command starts without it.
if TYPE_CHECKING:
    from rich.progress import TaskID

    from sparkhu.executor import BackoffMode, NodeResult, RunEvent, RunResult

workflow_app = typer.Typer(help="Run Argo WorkflowTemplates locally, without a cluster.",
                           no_args_is_help=True)
console = Console()

# sparkhu.executor.LOCAL_MAX_DELAY_S, repeated here because the help text is built when this module is
# imported, and importing the executor for it would slow down every command (tests/cli checks they agree).
LOCAL_MAX_DELAY_S = 0.2
PARAM_HELP = "Workflow parameter name=value (repeat)."
PARALLELISM_HELP = "Most node processes at once (default: the workflow's, at most SPARKHU_WORKERS)."
NO_WARM_HELP = "Start a fresh process for every node, also for `sparkhu ...` commands."
MANIFEST_BACKOFF_HELP = (
    "Retry exactly as the manifest's retryStrategy says: its backoff delays (15s, then 30s in the committed "
    "manifests) and every failure its retryPolicy names. Default: the same retry limits and policies with "
    f"delays of at most {LOCAL_MAX_DELAY_S:g}s, and no retry of a command that refused its input (exit code 2)."
)
EXCERPT_NODES = 5  # failed nodes whose log excerpt a failed run shows; `sparkhu runs show --logs` has all
FAILED = ("Failed", "Error")


def parse_parameters(pairs: list[str] | None) -> dict[str, str]:
    """``name=value`` strings as a mapping (the value may itself contain ``=``).

    Raises:
        typer.Exit: With code 2 when a pair has no ``=`` or no name.

    """
    values: dict[str, str] = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            fail(f"-p expects name=value, got {pair!r}")
        values[name.strip()] = value
    return values


class LiveProgress:
    """Progress of a run: a spinner with counts, and a line per finished node."""

    def __init__(self, console: Console) -> None:
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        from sparkhu.executor import FINISHED

        self.finished_statuses = FINISHED
        self.console = console
        self.progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                                 console=console, transient=True)
        self.task: TaskID | None = None
        self.finished = 0
        self.running: set[str] = set()
        self._lock = threading.Lock()

    def __enter__(self) -> LiveProgress:
        self.progress.start()
        self.task = self.progress.add_task("starting")
        return self

    def __exit__(self, *_exc: object) -> None:
        self.progress.stop()

    def __call__(self, event: RunEvent) -> None:
        """Handle an event from the executor (called from several threads)."""
        node = event.node
        if node is None:
            return
        with self._lock:
            if event.kind == "node-started":
                self.running.add(node.name)
            elif node.status in self.finished_statuses:
                self.running.discard(node.name)
                self.finished += 1
                self.console.print(f"{styled(node.status):>20} {node.name} [dim]{seconds(node.duration_s)}"
                                   f"{'  ' + node.message if node.message else ''}[/]")
            if self.task is not None:
                shown = ", ".join(sorted(self.running)[:3]) + ("..." if len(self.running) > 3 else "")
                self.progress.update(self.task, description=f"{self.finished} done, {len(self.running)} "
                                                            f"running {shown}")


@workflow_app.command("run")
def run_command(
    file: Annotated[Path, typer.Argument(help="Rendered WorkflowTemplate (or Workflow) YAML file.")],
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help=PARAM_HELP)] = None,
    parallelism: Annotated[int | None, typer.Option(min=1, help=PARALLELISM_HELP)] = None,
    no_warm: Annotated[bool, typer.Option("--no-warm", help=NO_WARM_HELP)] = False,
    manifest_backoff: Annotated[bool, typer.Option("--manifest-backoff", help=MANIFEST_BACKOFF_HELP)] = False,
) -> None:
    """Run a WorkflowTemplate on this machine: DAG order, loops, retries, parallel branches."""
    execute(file, parse_parameters(param), parallelism=parallelism, warm=not no_warm, label=str(file),
            backoff=backoff_mode(manifest_backoff))


def backoff_mode(manifest_backoff: bool) -> BackoffMode:
    """The executor's backoff mode for the ``--manifest-backoff`` flag (short local delays without it)."""
    from sparkhu.executor import BackoffMode

    return BackoffMode.MANIFEST if manifest_backoff else BackoffMode.LOCAL


def execute(source: Path | dict[str, Any], parameters: dict[str, str], *, parallelism: int | None, warm: bool,
            label: str, backoff: BackoffMode | None = None) -> RunResult:
    """Run a workflow with live progress, print its node table, and exit 1 when it failed (2 when refused).

    Args:
        source: The WorkflowTemplate file, or the document as a mapping.
        parameters: Workflow parameter values.
        parallelism: Most node processes at once (None: the workflow's, at most the workers).
        warm: Run ``sparkhu ...`` commands in warm workers.
        label: How error messages name the workflow.
        backoff: Short local retry delays (the default, None), or the manifest's exactly.

    Returns:
        The run's result, when it succeeded.

    Raises:
        typer.Exit: 1 when the run failed (after the log excerpts of its failed nodes), 2 when refused.

    """
    from sparkhu.executor import BackoffMode, WorkflowSpecError, run_workflow

    try:
        with LiveProgress(console) as progress:
            result = run_workflow(source, parameters, get_settings(), parallelism=parallelism, warm=warm,
                                  on_event=progress, backoff=BackoffMode.LOCAL if backoff is None else backoff)
    except WorkflowSpecError as error:
        fail(f"{label}: {error}")
    report(result)
    if not result.ok:
        raise typer.Exit(1)
    return result


def report(result: RunResult) -> None:
    """The final table of nodes, the log excerpts of failed nodes, and the run's status line."""
    console.print(nodes_table(result.nodes, f"Workflow {result.name}"))
    if not result.ok:
        print_failure_excerpts(result.nodes)
    message = f" ({result.message})" if result.message else ""
    console.print(f"Run [bold]{result.run_id}[/] {styled(result.status)} in {seconds(result.duration_s)}"
                  f"{message}. Logs: {get_settings().logs / result.run_id}")
    if not result.ok:
        console.print(f"See `sparkhu runs show {result.run_id[:8]} --logs`.")


def print_failure_excerpts(nodes: list[NodeResult], lines: int | None = None, most: int = EXCERPT_NODES) -> None:
    """For each failed node that ran a command (at most ``most``), the last ``lines`` lines of its log.

    Args:
        nodes: The run's nodes, in the order they started.
        lines: Lines of each log to show (None: the executor's ``EXCERPT_LINES``).
        most: Failed nodes to show; the rest are counted.

    """
    from sparkhu.executor import EXCERPT_LINES, log_tail

    lines = EXCERPT_LINES if lines is None else lines
    failed = [node for node in nodes if node.status in FAILED and node.log_path]
    for node in failed[:most]:
        console.print(excerpt_heading(node, lines), soft_wrap=True)
        for line in log_tail(node.log_path, lines) or ["(empty log)"]:
            console.print(Text(f"  {line}"), soft_wrap=True)
    if len(failed) > most:
        console.print(f"... and {len(failed) - most} more failed nodes.")


def excerpt_heading(node: NodeResult, lines: int) -> Text:
    """``<node> <status>: last <n> lines of <log path>`` in the status colour."""
    return Text.assemble((node.name, "bold"), " ", (node.status, STATUS_STYLES.get(node.status, "")),
                         f": last {lines} lines of {node.log_path}")


@workflow_app.command("check")
def check_command(
    file: Annotated[Path, typer.Argument(help="WorkflowTemplate YAML file to check.")],
) -> None:
    """Check that a WorkflowTemplate can run locally (supported features, references, dependencies)."""
    from sparkhu.executor import WorkflowSpecError, load_workflow

    try:
        workflow = load_workflow(file)
    except WorkflowSpecError as error:
        fail(f"{file}: {error}")
    tasks = sum(len(t.dag.tasks) for t in workflow.templates.values() if t.dag is not None)
    console.print(f"{file}: workflow {workflow.name!r} can run locally ({len(workflow.templates)} templates, "
                  f"{tasks} dag tasks, entrypoint {workflow.entrypoint!r}).")


def register(app: typer.Typer) -> None:
    """Add the ``workflow`` group to ``app``."""
    app.add_typer(workflow_app, name="workflow")
