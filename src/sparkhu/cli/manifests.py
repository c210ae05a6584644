"""CLI commands: ``sparkhu manifests render``, ``sparkhu manifests check`` and ``sparkhu manifests images``.

``render`` writes the Argo objects defined in :mod:`sparkhu.workflows` to YAML files (the committed
``manifests/`` folder), their copy inside the Helm chart (``charts/sparkhu/files/manifests``) and one
Dockerfile per task (``tasks/<name>/Dockerfile``); ``check`` re-renders all of them in memory and fails
when a file is out of date, which is what CI and the golden-file tests rely on. ``images`` lists the
images ``make images`` builds, so their names come from one place.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from sparkhu.cli.errors import fail
from sparkhu.workflows.images import DEFAULT_REGISTRY, normalise_registry

if TYPE_CHECKING:
    from sparkhu.workflows.render import Layout

DEFAULT_DIR = Path("manifests")

manifests_app = typer.Typer(
    help="Render the Argo WorkflowTemplates and CronWorkflows to YAML, or check the committed files.",
    no_args_is_help=True,
)
console = Console()

RegistryOption = Annotated[
    str, typer.Option("--registry", help="Image registry prefix, e.g. ghcr.io/acme (default: none).")
]
TasksDirOption = Annotated[
    Path | None,
    typer.Option("--tasks-dir", help="Folder of the task Dockerfiles (default: tasks/ next to the manifests folder)."),
]
ChartDirOption = Annotated[
    Path | None,
    typer.Option(
        "--chart-dir",
        help="Folder of the chart's copy of the manifests (default: charts/sparkhu/files/manifests beside them).",
    ),
]


def _checked_registry(registry: str) -> str:
    """Return ``registry`` if it is a valid image prefix; exit with code 2 and the reason otherwise."""
    try:
        return normalise_registry(registry)
    except ValueError as error:
        fail(str(error))


def _layout(manifests: Path, tasks_dir: Path | None, chart_dir: Path | None) -> Layout:
    """Return where each generated file goes: next to ``manifests`` unless a folder is given explicitly."""
    from sparkhu.workflows.render import Layout

    beside = Layout.beside(manifests)
    return Layout(
        manifests=manifests, chart_manifests=chart_dir or beside.chart_manifests, tasks=tasks_dir or beside.tasks,
        package_manifests=beside.package_manifests,
    )


@manifests_app.command("render")
def render(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the YAML files into.")] = DEFAULT_DIR,
    registry: RegistryOption = DEFAULT_REGISTRY,
    tasks_dir: TasksDirOption = None,
    chart_dir: ChartDirOption = None,
) -> None:
    """Write one YAML file per workflow object into OUT, its copy into the chart, and the task Dockerfiles.

    Stale generated files are removed; hand-written ones (such as tasks/base/Dockerfile) are never touched.
    """
    # Imported here, not at the top: hera costs ~0.5 s to import and every `sparkhu` command,
    # each task container included, loads this module.
    from sparkhu.workflows.render import render_all

    checked = _checked_registry(registry)
    for path in render_all(_layout(out, tasks_dir, chart_dir), checked):
        console.print(f"wrote {escape(str(path))}")


@manifests_app.command("check")
def check(
    directory: Annotated[Path, typer.Option("--dir", help="Folder of the rendered files.")] = DEFAULT_DIR,
    registry: RegistryOption = DEFAULT_REGISTRY,
    tasks_dir: TasksDirOption = None,
    chart_dir: ChartDirOption = None,
) -> None:
    """Exit 1, listing every difference, when the manifests in DIR, the chart copy or a Dockerfile is stale."""
    from sparkhu.workflows.render import diff_all

    checked = _checked_registry(registry)
    problems = diff_all(_layout(directory, tasks_dir, chart_dir), checked)
    if not problems:
        console.print(f"manifests in {escape(str(directory))}, the chart copy and the task Dockerfiles are up to date")
        return
    for problem in problems:
        console.print(escape(problem), highlight=False, soft_wrap=True)
    fix = f"sparkhu manifests render --out {escape(str(directory))}"
    console.print(f"[bold red]{len(problems)} difference(s)[/]: run `{fix}` to update the files")
    raise typer.Exit(1)


@manifests_app.command("images")
def images(registry: RegistryOption = DEFAULT_REGISTRY) -> None:
    """Print "DOCKERFILE IMAGE" per line for every Sparkhu image, base first (what `make images` builds)."""
    from sparkhu.workflows.dockerfiles import image_builds

    for build in image_builds(_checked_registry(registry)):
        typer.echo(f"{build.dockerfile} {build.image}")


def register(app: typer.Typer) -> None:
    """Add the ``manifests`` command group to ``app``."""
    app.add_typer(manifests_app, name="manifests")
