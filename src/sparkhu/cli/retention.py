"""CLI commands ``sparkhu retention policies import FILE`` and ``sparkhu retention list``: the stored policies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
import yaml
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sparkhu.cli.errors import fail
from sparkhu.config import get_settings

if TYPE_CHECKING:
    from sparkhu.retention.policy import Policy

retention_app = typer.Typer(help="Retention policies: what is archived, downsampled and deleted, and when.",
                            no_args_is_help=True)
policies_app = typer.Typer(help="Declare retention policies from a YAML file.", no_args_is_help=True)
retention_app.add_typer(policies_app, name="policies")
console = Console()


@policies_app.command("import")
def import_policies(
    path: Annotated[Path, typer.Argument(help="YAML file: {policies: [...]} (see docs/retention.md).")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report what would change; write nothing.")] = False,
) -> None:
    """Add or update the policies of FILE by name, all or nothing (a rerun changes nothing)."""
    from sqlalchemy.exc import SQLAlchemyError

    from sparkhu.metadata.db import session_scope
    from sparkhu.metadata.retention import upsert_policies
    from sparkhu.retention.policy import PolicyError, load_policies

    try:
        policies = load_policies(_read_yaml(path), path.name)
        with session_scope(get_settings().database) as session:
            changes = upsert_policies(session, policies, dry_run=dry_run)
    except PolicyError as error:
        fail("invalid policies, nothing was written:\n  " + "\n  ".join(error.problems))
    except SQLAlchemyError as error:
        fail(f"metadata database error, nothing was written: {getattr(error, 'orig', None) or error}", code=1)
    table = Table("result", "policies", "names", title=f"Policies from {escape(path.name)}")
    for action, names in (("added", changes.added), ("updated", changes.updated), ("unchanged", changes.unchanged)):
        table.add_row(action, str(len(names)), escape(", ".join(names)))
    console.print(table)
    if dry_run:
        console.print("[yellow]Dry run: nothing was written.[/]")


@retention_app.command("list")
def list_policies(
    as_json: Annotated[bool, typer.Option("--json", help="Print the policies as JSON documents.")] = False,
) -> None:
    """List the stored policies: scope, rules, actions, and whether each is enabled or on hold."""
    from sqlalchemy.exc import SQLAlchemyError

    from sparkhu.metadata.db import session_scope
    from sparkhu.metadata.retention import stored_policies

    try:
        with session_scope(get_settings().database) as session:
            policies = stored_policies(session)
    except SQLAlchemyError as error:
        fail(f"metadata database error: {getattr(error, 'orig', None) or error}", code=1)
    if as_json:
        typer.echo(json.dumps([policy.document() for policy in policies], indent=2))
        return
    if not policies:
        console.print("no retention policies (add some with `sparkhu retention policies import FILE.yaml`)")
        return
    table = Table("name", "scope", "rules", "actions", "state", title="Retention policies")
    for policy in policies:
        table.add_row(escape(policy.name), escape(_scope(policy)), escape(_rules(policy)),
                      " → ".join(action.kind for action in policy.actions), _state(policy))
    console.print(table)


def _read_yaml(path: Path) -> object:
    """The YAML document of ``path``; a missing or malformed file exits 2 with the reason."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        fail(f"cannot read {path}: {error.strerror or error}")
    except yaml.YAMLError as error:
        fail(f"{path} is not valid YAML: {str(error).splitlines()[0]}")


def _scope(policy: Policy) -> str:
    scope = policy.scope
    target = scope.table or scope.experiment or scope.path or "*"
    series = scope.series
    picked = "" if series is None else " " + json.dumps(series.model_dump(exclude_defaults=True), sort_keys=True)
    return f"{scope.store}:{target}{picked}"


def _rules(policy: Policy) -> str:
    from sparkhu.durations import format_duration

    rules = policy.rules
    parts = [f"older than {format_duration(rules.older_than)}" if rules.older_than else "",
             f"keep last {rules.keep_last}" if rules.keep_last else "",
             f"max {rules.max_bytes:,} B" if rules.max_bytes is not None else ""]
    return ", ".join(part for part in parts if part)


def _state(policy: Policy) -> str:
    state = "enabled" if policy.enabled else "disabled"
    return state + (", hold" if policy.hold else "") + (", min-age override" if policy.min_age_override else "")


def register(app: typer.Typer) -> None:
    """Attach the ``retention`` command group to the root app."""
    app.add_typer(retention_app, name="retention")
