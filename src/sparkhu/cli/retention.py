"""CLI ``sparkhu retention``: import and list policies, plan (the default: a dry run), apply a plan id, audit, holds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
import yaml
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sparkhu.cli.errors import fail
from sparkhu.config import get_settings

if TYPE_CHECKING:
    from sparkhu.retention.plan import Plan
    from sparkhu.retention.policy import Policy
    from sparkhu.retention_engine.control import HoldKind
    from sparkhu.retention_engine.engine import Engine

retention_app = typer.Typer(help="Retention policies: what is archived, downsampled and deleted, and when.",
                            no_args_is_help=True)
policies_app = typer.Typer(help="Declare retention policies from a YAML file.", no_args_is_help=True)
retention_app.add_typer(policies_app, name="policies")
console = Console()


def database_failure(error: Exception, consequence: str = "") -> NoReturn:
    """Exit 1 naming the metadata database's own error (the driver's message when there is one)."""
    fail(f"metadata database error{consequence}: {getattr(error, 'orig', None) or error}", code=1)


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
        database_failure(error, ", nothing was written")
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
        database_failure(error)
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


def _engine() -> Engine:
    """The engine for the configured install, acting as the OS user (the audit's actor)."""
    import getpass

    from sparkhu.retention_engine.engine import Engine

    return Engine(get_settings(), actor=f"cli:{getpass.getuser()}")


@retention_app.command("plan")
def plan(
    policy: Annotated[str | None, typer.Option("--policy", help="Plan this policy only (default: all enabled).")]
    = None,
    ttl: Annotated[str, typer.Option("--ttl", help="How long the plan may be applied: 1h, 30m, PT6H.")] = "1h",
    as_json: Annotated[bool, typer.Option("--json", help="Print the plans as JSON documents.")] = False,
) -> None:
    """Dry run: list what each policy would archive, downsample and delete, and store the plan.

    Nothing changes until `sparkhu retention apply PLAN_ID`.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from sparkhu.durations import parse_duration
    from sparkhu.retention.store import StoreError

    try:
        plans = _engine().plan(policy, ttl_s=parse_duration(ttl))
    except (LookupError, StoreError, ValueError) as error:
        fail(str(error))
    except SQLAlchemyError as error:
        database_failure(error)
    if as_json:
        typer.echo(json.dumps([plan.document() for plan in plans], indent=2))
        return
    if not plans:
        console.print("no enabled retention policies (add some with `sparkhu retention policies import FILE`)")
    for one in plans:
        _print_plan(one)


@retention_app.command("apply")
def apply(
    plan_id: Annotated[str, typer.Argument(help="The id `sparkhu retention plan` printed.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the audit record as JSON.")] = False,
) -> None:
    """Apply a plan that is still valid (rerun an interrupted apply to resume it); print its audit record."""
    from rich.progress import Progress

    from sparkhu.retention.store import StoreError
    from sparkhu.retention_engine.engine import PlanRefused

    engine = _engine()
    try:
        planned, _state = engine.stored_plan(plan_id)
        with Progress(console=console, transient=True, disable=as_json) as bar:
            task = bar.add_task(f"applying {plan_id}", total=len(planned.units))
            record = engine.apply(plan_id, progress=lambda _unit: bar.advance(task))
    except PlanRefused as error:
        fail(f"refused: {error}")
    except StoreError as error:
        fail(f"apply stopped, nothing unverified was deleted (rerun to resume): {error}", code=1)
    if as_json:
        typer.echo(json.dumps(record, indent=2, default=str))
        return
    _print_audit([record])


@retention_app.command("audit")
def audit(
    limit: Annotated[int, typer.Option("--limit", min=1, help="Newest records to show.")] = 20,
    plan_id: Annotated[str | None, typer.Option("--plan", help="Only this plan's records.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the records as JSON.")] = False,
) -> None:
    """The audit log: every apply (counts, bytes and versions before/after) and every hold change."""
    records = _engine().audit(plan_id=plan_id, limit=limit)
    if as_json:
        typer.echo(json.dumps(records, indent=2, default=str))
        return
    if not records:
        console.print("no audit records yet")
        return
    _print_audit(records)


hold_app = typer.Typer(help="Legal holds: while one exists, no delete touches what it covers.",
                       no_args_is_help=True)
retention_app.add_typer(hold_app, name="hold")


def _hold_target(series: str | None, table: str | None, policy: str | None) -> tuple[HoldKind, str]:
    """The one of --series / --table / --policy that was given."""
    given = [(kind, value) for kind, value in (("series", series), ("table", table), ("policy", policy)) if value]
    if len(given) != 1:
        fail("give exactly one of --series ID, --table T or --policy NAME")
    kind, value = given[0]
    return kind, value  # type: ignore[return-value]


@hold_app.command("add")
def hold_add(
    series: Annotated[str | None, typer.Option("--series", help="Hold one series everywhere.")] = None,
    table: Annotated[str | None, typer.Option("--table", help="Hold a table (or experiment / folder).")] = None,
    policy: Annotated[str | None, typer.Option("--policy", help="Hold every delete of a policy.")] = None,
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the audit log).")] = "",
) -> None:
    """Place a legal hold (idempotent)."""
    from sparkhu.retention_engine.control import add_hold

    kind, target = _hold_target(series, table, policy)
    hold = add_hold(get_settings(), kind, target, reason, _engine().actor)
    console.print(f"hold #{hold['id']} on {hold['kind']} {escape(hold['target'])}")


@hold_app.command("remove")
def hold_remove(
    series: Annotated[str | None, typer.Option("--series", help="The held series.")] = None,
    table: Annotated[str | None, typer.Option("--table", help="The held table.")] = None,
    policy: Annotated[str | None, typer.Option("--policy", help="The held policy.")] = None,
) -> None:
    """Lift a legal hold."""
    from sparkhu.retention_engine.control import ControlError, remove_hold

    kind, target = _hold_target(series, table, policy)
    try:
        hold = remove_hold(get_settings(), _engine().actor, kind=kind, target=target)
    except ControlError as error:
        fail(str(error))
    console.print(f"lifted hold #{hold['id']} on {hold['kind']} {escape(hold['target'])}")


@hold_app.command("list")
def hold_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print the holds as JSON.")] = False,
) -> None:
    """List the legal holds."""
    from sparkhu.retention_engine.control import list_holds

    holds = list_holds(get_settings())
    if as_json:
        typer.echo(json.dumps(holds, indent=2))
        return
    table = Table("id", "kind", "target", "reason", "by", "since", title="Legal holds")
    for hold in holds:
        table.add_row(str(hold["id"]), hold["kind"], escape(hold["target"]), escape(hold["reason"]),
                      escape(hold["created_by"]), hold["created_at"][:19])
    console.print(table if holds else "no legal holds")


def _print_plan(plan: Plan) -> None:
    """One plan: its totals per action, the second stage, and its notes."""
    table = Table("action", "units", "rows", "bytes", "files",
                  title=f"Plan {plan.id} — policy {escape(plan.policy)} (expires {plan.expires_at:%Y-%m-%d %H:%M} UTC)")
    totals = plan.totals()
    for action in ("archive", "downsample", "delete", "blocked"):
        if action in totals:
            entry = totals[action]
            table.add_row(action, str(entry["units"]), f"{entry['rows']:,}", f"{entry['bytes']:,}", str(entry["files"]))
    for reclaim in plan.reclaim:
        table.add_row("vacuum (2nd stage)", "", "", f"{reclaim.bytes:,}", str(reclaim.files))
    console.print(table if totals or plan.reclaim else f"Plan {plan.id} — policy {escape(plan.policy)}: nothing to do")
    for note in plan.notes:
        console.print(f"  [yellow]{escape(note)}[/]")
    if plan.units:
        console.print(f"  apply with: sparkhu retention apply {plan.id}")


def _print_audit(records: list[dict[str, object]]) -> None:
    """Audit records as a table."""
    table = Table("id", "at", "actor", "action", "policy", "plan", "result", "details", title="Retention audit")
    for record in records:
        detail = record["detail"]
        summary = _audit_summary(detail) if isinstance(detail, dict) else ""
        table.add_row(str(record["id"]), str(record["at"])[:19], escape(str(record["actor"])), str(record["action"]),
                      escape(str(record["policy"])), str(record["plan_id"]), str(record["result"]), escape(summary))
    console.print(table)


def _audit_summary(detail: dict[str, object]) -> str:
    """Rows archived / downsampled / deleted and units skipped, in one line."""
    rows, units = detail.get("rows"), detail.get("units")
    if not isinstance(rows, dict) or not isinstance(units, dict):
        return ", ".join(f"{key}={value}" for key, value in detail.items() if isinstance(value, str | int))
    return (f"archived {rows['archived']:,}, downsampled {rows['downsampled']:,}, deleted {rows['deleted']:,} rows; "
            f"{units['done']} units done, {units['skipped']} skipped")
