"""Entry point of the ``sparkhu`` CLI: builds the app from one module per command group."""

from __future__ import annotations

import functools
import sys

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sparkhu.cli import (
    db,
    detect,
    features,
    forecasting,
    ingest,
    manifests,
    models,
    pipeline,
    report,
    retention,
    retention_serve,
    runs,
    tables,
    task,
    workflow,
)
from sparkhu.cli.errors import fail
from sparkhu.config import SettingsError, get_settings

app = typer.Typer(
    name="sparkhu",
    help="Sparkhu: validate, clean and analyse many time series, locally or on Argo Workflows.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """Sparkhu: validate, clean and analyse many time series, locally or on Argo Workflows."""
    # Every command, `config` included, starts from valid settings: a misspelt SPARKHU_* variable is a
    # one-line error with exit code 2, not a setting silently left at its default.
    try:
        get_settings()
    except SettingsError as error:
        fail(str(error))


for module in (features, ingest, detect, forecasting, models, task, workflow, runs, tables, pipeline, db,
               retention, retention_serve, manifests, report):
    module.register(app)


@app.command("config")
def show_config() -> None:
    """Print every setting: its environment variable, effective value and source (environment or default)."""
    table = Table(title="Sparkhu configuration")
    for header in ("setting", "environment variable", "value", "source"):
        table.add_column(header, overflow="fold")  # long URLs and paths wrap, never cut to "…"
    for view in get_settings().describe():
        table.add_row(view.name, view.variable, escape(view.value), view.source)
    Console().print(table)


def main() -> None:
    """Console-script entry point."""
    app()


@functools.cache
def _command() -> typer.main._click.Command:
    """The click command tree of :data:`app`, built once per process.

    ``app(...)`` rebuilds it from the typer declarations on every call (~40 ms); a warm worker runs
    one call per workflow node, so building it once saves that on every node.
    """
    return typer.main.get_command(app)


def invoke(argv: list[str]) -> int:
    """Run the CLI in-process with ``argv`` (without the program name) and return its exit code.

    The local executor's warm workers call this for container commands that are ``sparkhu ...``: the
    same code path as a fresh process, without paying interpreter start-up and imports each time.
    """
    try:
        _command().main(args=argv, prog_name="sparkhu", standalone_mode=True)
    except SystemExit as exit_:
        code = exit_.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0


if __name__ == "__main__":
    sys.exit(invoke(sys.argv[1:]))
