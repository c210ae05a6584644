"""CLI commands: ``sparkhu manifests render`` and ``sparkhu manifests check``.

``render`` writes the Argo objects defined in :mod:`sparkhu.workflows` to YAML files (the committed
``manifests/`` folder); ``check`` re-renders them in memory and fails when the files are out of date,
which is what CI and the golden-file test rely on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from sparkhu.cli.errors import fail
from sparkhu.workflows.images import DEFAULT_REGISTRY, normalise_registry

DEFAULT_DIR = Path("manifests")

manifests_app = typer.Typer(
    help="Render the Argo WorkflowTemplates and CronWorkflows to YAML, or check the committed files.",
    no_args_is_help=True,
)
console = Console()

RegistryOption = Annotated[
    str, typer.Option("--registry", help="Image registry prefix, e.g. ghcr.io/acme (default: none).")
]


def _checked_registry(registry: str) -> str:
    """Return ``registry`` if it is a valid image prefix; exit with code 2 and the reason otherwise."""
    try:
        return normalise_registry(registry)
    except ValueError as error:
        fail(str(error))


@manifests_app.command("render")
def render(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the YAML files into.")] = DEFAULT_DIR,
    registry: RegistryOption = DEFAULT_REGISTRY,
) -> None:
    """Write one YAML file per workflow object into OUT (stale generated files are removed)."""
    # Imported here, not at the top: hera costs ~0.5 s to import and every `sparkhu` command,
    # each task container included, loads this module.
    from sparkhu.workflows.render import render_manifests

    for path in render_manifests(out, _checked_registry(registry)):
        console.print(f"wrote {escape(str(path))}")


@manifests_app.command("check")
def check(
    directory: Annotated[Path, typer.Option("--dir", help="Folder of the rendered files.")] = DEFAULT_DIR,
    registry: RegistryOption = DEFAULT_REGISTRY,
) -> None:
    """Exit 1, listing every difference, when the files in DIR differ from a fresh rendering."""
    from sparkhu.workflows.render import diff_manifests

    problems = diff_manifests(directory, _checked_registry(registry))
    if not problems:
        console.print(f"manifests in {escape(str(directory))} are up to date")
        return
    for problem in problems:
        console.print(escape(problem), highlight=False, soft_wrap=True)
    fix = f"sparkhu manifests render --out {escape(str(directory))}"
    console.print(f"[bold red]{len(problems)} difference(s)[/]: run `{fix}` to update the files")
    raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the ``manifests`` command group to ``app``."""
    app.add_typer(manifests_app, name="manifests")
