"""How the CLI reports user errors: a clear red message and exit code 2."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

USAGE_ERROR = 2

err_console = Console(stderr=True)


def fail(message: str, code: int = USAGE_ERROR) -> NoReturn:
    """Print ``message`` as a one-line error (never wrapped at the terminal width) and exit with ``code``."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code)
