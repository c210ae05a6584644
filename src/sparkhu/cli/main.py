"""Entry point of the ``sparkhu`` CLI: builds the app from one module per command group."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.table import Table

from sparkhu.cli import detect, features, ingest, manifests, pipeline, report, runs, tables, task, workflow
from sparkhu.config import get_settings

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


for module in (features, ingest, detect, task, workflow, runs, tables, pipeline, manifests, report):
    module.register(app)


@app.command("config")
def show_config() -> None:
    """Print the effective configuration (environment variables SPARKHU_*)."""
    table = Table("setting", "value", "environment variable", title="Sparkhu configuration")
    for key, value in get_settings().effective().items():
        table.add_row(key, value, f"SPARKHU_{key.upper()}")
    Console().print(table)


def main() -> None:
    """Console-script entry point."""
    app()


def invoke(argv: list[str]) -> int:
    """Run the CLI in-process with ``argv`` (without the program name) and return its exit code.

    The local executor's warm workers call this for container commands that are ``sparkhu ...``: the
    same code path as a fresh process, without paying interpreter start-up and imports each time.
    """
    try:
        app(args=argv, prog_name="sparkhu", standalone_mode=True)
    except SystemExit as exit_:
        code = exit_.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0


if __name__ == "__main__":
    sys.exit(invoke(sys.argv[1:]))
