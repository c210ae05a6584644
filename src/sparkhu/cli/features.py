"""CLI commands ``sparkhu features import|sync|list|show``: the feature (series) registry."""

from __future__ import annotations

import difflib
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sparkhu.config import get_settings
from sparkhu.durations import format_duration

# The registry (SQLAlchemy) is imported by the commands that use it, not by every `sparkhu` command.
if TYPE_CHECKING:
    from sparkhu.metadata.feature_spec import FeatureSpec
    from sparkhu.metadata.feature_sync import FeaturePlan
    from sparkhu.metadata.features import Feature

features_app = typer.Typer(
    help="The feature (series) registry: import declarations, sync from an SQL registry, list, show.",
    no_args_is_help=True,
)
# Changed features listed under the counts at most; the counts always cover everything.
_MAX_CHANGES_SHOWN = 50


def register(app: typer.Typer) -> None:
    """Add the ``features`` command group to ``app``."""
    app.add_typer(features_app, name="features")


def _fail(message: str, code: int = 2) -> NoReturn:
    """Print an error to stderr and exit with ``code`` (2: bad input)."""
    Console(stderr=True).print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(code)


@features_app.command("import")
def import_features(
    path: Annotated[
        Path, typer.Argument(help="YAML (list, or {features: [...]}) or CSV file with a header.")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would change; write nothing.")
    ] = False,
) -> None:
    """Add or update the features declared in FILE, in one transaction (all or nothing)."""
    from sparkhu.metadata.feature_io import load_feature_file
    from sparkhu.metadata.feature_spec import FeatureInputError

    try:
        specs = load_feature_file(path)
    except FeatureInputError as error:
        _fail(str(error))
    _upsert(specs, f"file:{path.name}", dry_run, sync=None)


@features_app.command("sync")
def sync_features(
    url: Annotated[str, typer.Option("--from", help="SQLAlchemy URL of the external feature registry.")],
    query: Annotated[str, typer.Option("--query", help="SQL whose column names are feature fields.")],
    column_map: Annotated[
        list[str] | None, typer.Option("--map", help="Rename a query column: COLUMN=FIELD (repeatable).")
    ] = None,
    source: Annotated[
        str | None, typer.Option("--source", help="Name of this source (default: the URL, password hidden).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would change; write nothing.")
    ] = False,
    prune: Annotated[
        bool,
        typer.Option(
            "--prune/--no-prune", help="Delete features gone from the source (default: deactivate)."
        ),
    ] = False,
    allow_empty: Annotated[
        bool,
        typer.Option("--allow-empty", help="Accept a source returning no rows (removes all its features)."),
    ] = False,
) -> None:
    """Mirror an external SQL registry: upsert its features and remove those it no longer has.

    Everything happens in one transaction; unchanged features are not written. Features of this source
    that disappeared are marked inactive, or deleted with --prune.
    """
    from sparkhu.metadata.feature_io import FeatureSourceError, display_url, parse_column_map, read_sql_source
    from sparkhu.metadata.feature_spec import FeatureInputError

    try:
        specs = read_sql_source(url, query, parse_column_map(column_map or []))
    except (FeatureInputError, FeatureSourceError) as error:
        _fail(str(error))
    _upsert(specs, f"sync:{source or display_url(url)}", dry_run, sync=(prune, allow_empty))


def _upsert(specs: list[FeatureSpec], origin: str, dry_run: bool, sync: tuple[bool, bool] | None) -> None:
    """Plan (and unless ``dry_run``, apply) an import (``sync`` None) or a sync (prune, allow_empty)."""
    from sqlalchemy.exc import SQLAlchemyError

    from sparkhu.metadata.db import session_scope
    from sparkhu.metadata.feature_sync import FeatureSyncError, apply_plan, plan_import, plan_sync

    try:
        with session_scope(get_settings().database) as session:
            if sync is None:
                plan = plan_import(session, specs, origin)
            else:
                plan = plan_sync(session, specs, origin, prune=sync[0], allow_empty=sync[1])
            if not dry_run:
                apply_plan(session, plan)
    except FeatureSyncError as error:
        _fail(str(error))
    except SQLAlchemyError as error:
        _fail(
            f"metadata database error, nothing was written: {getattr(error, 'orig', None) or error}", code=1
        )
    _print_plan(plan, dry_run, show_removed=sync is not None)


def _print_plan(plan: FeaturePlan, dry_run: bool, show_removed: bool) -> None:
    """Counts per action, then the features that change and which of their fields."""
    console = Console()
    counts = Table("result", title=f"Features from {escape(plan.origin)}")
    counts.add_column("features", justify="right")
    for action, count in plan.counts().items():
        if action != "removed" or show_removed:
            counts.add_row(action, str(count))
    console.print(counts)
    if dry_run:
        console.print("[yellow]Dry run: nothing was written.[/]")
    changed = [change for change in plan.changes if change.action != "unchanged"]
    if not changed:
        return
    details = Table("id", "change", "fields", title="Changes")
    for change in changed[:_MAX_CHANGES_SHOWN]:
        fields = "" if change.action == "added" else ", ".join(change.fields)
        details.add_row(escape(change.id), change.action, fields)
    console.print(details)
    if len(changed) > _MAX_CHANGES_SHOWN:
        console.print(f"... and {len(changed) - _MAX_CHANGES_SHOWN} more changes")


@features_app.command("list")
def list_command(
    group: Annotated[str | None, typer.Option("--group", help="Only features of this group.")] = None,
    tag: Annotated[str | None, typer.Option("--tag", help="Only features with this tag.")] = None,
    include_inactive: Annotated[
        bool, typer.Option("--all", help="Include features removed from their synced source.")
    ] = False,
) -> None:
    """List registered features."""
    from sparkhu.metadata.db import session_scope
    from sparkhu.metadata.features import list_features

    with session_scope(get_settings().database) as session:
        features = list_features(session, group=group, tag=tag, include_inactive=include_inactive)
    table = Table("id", "name", "group", "unit", "type", "range", "period", "tags", title="Features")
    if include_inactive:
        table.add_column("active")
    for feature in features:
        row = [feature.id, feature.name, feature.group, feature.unit, feature.type]
        row += [_range_text(feature), _period_text(feature.period_seconds), ", ".join(feature.tags or [])]
        table.add_row(*map(escape, row), *(["yes" if feature.active else "no"] if include_inactive else []))
    Console().print(table)
    Console().print(f"{len(features)} feature(s)")


@features_app.command("show")
def show_command(
    feature_id: Annotated[str, typer.Argument(metavar="ID", help="Feature (series) id.")],
) -> None:
    """Show every attribute of one feature."""
    from sparkhu.metadata.db import session_scope
    from sparkhu.metadata.features import get_features

    with session_scope(get_settings().database) as session:
        feature = get_features(session, [feature_id]).get(feature_id)
        known = [] if feature is not None else list(get_features(session))
    if feature is None:
        close = difflib.get_close_matches(feature_id, known, n=3)
        hint = f" (did you mean: {', '.join(close)}?)" if close else ""
        _fail(f"unknown feature {feature_id!r}{hint}; `sparkhu features list` shows the registered ones")
    table = Table("field", "value", title=f"Feature {escape(feature.id)}", show_header=False)
    for field, value in _details(feature):
        table.add_row(field, escape(value))
    Console().print(table)


def _details(feature: Feature) -> list[tuple[str, str]]:
    """Every attribute of a feature as display text."""
    levels = ", ".join(f"{level:g}" for level in feature.alert_levels or [])
    return [
        ("id", feature.id),
        ("name", feature.name),
        ("description", feature.description),
        ("unit", feature.unit),
        ("type", feature.type),
        ("group", feature.group),
        ("range", _range_text(feature)),
        ("alert levels", levels),
        ("sampling period", _period_text(feature.period_seconds)),
        ("timezone", feature.timezone),
        ("tags", ", ".join(feature.tags or [])),
        ("origin", feature.origin),
        ("active", "yes" if feature.active else "no (gone from its source)"),
        ("updated", _utc_text(feature.updated_at)),
    ]


def _utc_text(moment: datetime | None) -> str:
    """A stored time in UTC (SQLite hands back naive datetimes, which are UTC by construction)."""
    if moment is None:
        return ""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _range_text(feature: Feature) -> str:
    """``[min, max]`` with open ends shown as ``-inf``/``inf``; empty when no bound is declared."""
    if feature.range_min is None and feature.range_max is None:
        return ""
    low = "-inf" if feature.range_min is None else f"{feature.range_min:g}"
    high = "inf" if feature.range_max is None else f"{feature.range_max:g}"
    return f"[{low}, {high}]"


def _period_text(seconds: float | None) -> str:
    """Declared sampling period as ``5min (300 s)``; empty when none is declared."""
    return "" if seconds is None else f"{format_duration(seconds)} ({seconds:g} s)"
