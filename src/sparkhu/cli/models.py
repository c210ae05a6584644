"""CLI command ``sparkhu models list``: the registered model versions in MLflow, with aliases and held-out metrics."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sparkhu.cli.errors import fail
from sparkhu.config import Settings, get_settings

# MLflow (and the store built on it) is imported by the command that reads it: it takes seconds to load.
if TYPE_CHECKING:
    from sparkhu.tracking.store import Version

models_app = typer.Typer(help="Registered forecasting models (MLflow): versions, aliases, held-out metrics.",
                         no_args_is_help=True)

METRICS = ("MAE", "RMSE", "sMAPE", "MASE")
"""The held-out metrics the train task records on every version, in display order."""
INSTALL_HINT = "pip install 'sparkhu[models]'"


def require_mlflow() -> None:
    """Exit 2 with the install command when MLflow (the ``models`` extra) is not importable."""
    if importlib.util.find_spec("mlflow") is None:
        fail(f"the model registry needs the models extra (mlflow missing): {INSTALL_HINT}")


def registry_location(settings: Settings) -> str:
    """The tracking URI as ``sparkhu config`` shows it (a password masked)."""
    return next(view.value for view in settings.describe() if view.name == "mlflow_uri")


def never_created(uri: str) -> bool:
    """Whether ``uri`` is a local SQLite store whose file does not exist yet (so it holds no model)."""
    return uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).exists()


def registered_versions(settings: Settings) -> list[Version]:
    """Every version of every Sparkhu registered model, newest first per model."""
    if never_created(settings.mlflow):
        return []  # opening it would create (and migrate) an empty database just to find nothing
    from sparkhu.tasks._modeling import model_store
    from sparkhu.tracking.store import RegistryError

    try:
        return model_store(settings).versions()
    except RegistryError as error:
        fail(f"cannot read the model registry at {registry_location(settings)}: {error}", code=1)


def _finite(value: float) -> float | None:
    """A metric for JSON: NaN and infinities (not valid JSON) become null."""
    return value if math.isfinite(value) else None


def version_document(version: Version) -> dict[str, Any]:
    """One version as a JSON object."""
    return {"model": version.model, "version": version.version, "aliases": list(version.aliases),
            "forecaster": version.tags.get("forecaster"), "run_id": version.run_id,
            "metrics": {name: _finite(value) for name, value in version.metrics.items()}}


def _metric(version: Version, name: str) -> str:
    """A metric for a table cell ("-" when not recorded)."""
    value = version.metrics.get(name)
    return "-" if value is None else f"{value:.4g}"


def versions_table(versions: list[Version], location: str) -> Table:
    """Model, version, aliases, forecaster, the held-out metrics and the run of every version."""
    table = Table(title=f"Registered models in {escape(location)}")
    table.add_column("model", overflow="fold")
    table.add_column("version", justify="right", no_wrap=True)
    table.add_column("aliases", overflow="fold", min_width=len("champion"))
    table.add_column("forecaster", overflow="fold")
    for name in METRICS:
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("run id", overflow="fold")
    for version in versions:
        aliases = ", ".join(f"[bold green]{escape(a)}[/]" for a in version.aliases) or "-"
        table.add_row(escape(version.model), str(version.version), aliases,
                      escape(version.tags.get("forecaster", "-")), *(_metric(version, name) for name in METRICS),
                      version.run_id)
    return table


@models_app.command("list")
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list of versions instead of a table.")] = False,
) -> None:
    """List registered models: every version with its aliases, held-out metrics and MLflow run."""
    require_mlflow()
    settings = get_settings()
    versions = registered_versions(settings)
    if as_json:
        typer.echo(json.dumps([version_document(v) for v in versions], indent=2))
        return
    console = Console()  # made here, so that it takes the terminal's width (COLUMNS) at the time of the command
    if not versions:
        console.print(f"No registered models in {escape(registry_location(settings))} yet: the train task "
                      "registers one per series group (`sparkhu run --workflow models`).", soft_wrap=True)
        return
    console.print(versions_table(versions, registry_location(settings)))


def register(app: typer.Typer) -> None:
    """Add the ``models`` group to ``app``."""
    app.add_typer(models_app, name="models")
