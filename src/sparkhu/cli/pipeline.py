"""CLI commands: ``sparkhu run`` (the daily pipeline, short form) and ``sparkhu demo`` (make run)."""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING, Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.table import Table
from rich.text import Text

from sparkhu.cli.errors import fail
from sparkhu.cli.tables import lake_from_settings, tables_table
from sparkhu.cli.workflow import MANIFEST_BACKOFF_HELP, backoff_mode, execute, parse_parameters
from sparkhu.config import get_settings

# pandas, the lake and the demo data generator are imported where they are used, so that commands
# other than `run` and `demo` do not pay for them.
if TYPE_CHECKING:
    import pandas as pd

    from sparkhu.demo.generate import DemoFiles
    from sparkhu.executor import RunResult
    from sparkhu.storage.lake import Lake

console = Console()
DAILY_TEMPLATE = "workflowtemplate-sparkhu-daily-univariate.yaml"


MULTIVARIATE_TEMPLATE = "workflowtemplate-sparkhu-multivariate.yaml"
MODELS_TEMPLATE = "workflowtemplate-sparkhu-models.yaml"
RETENTION_TEMPLATE = "workflowtemplate-sparkhu-retention.yaml"
WORKFLOWS = {"univariate": (DAILY_TEMPLATE,), "multivariate": (MULTIVARIATE_TEMPLATE,), "models": (MODELS_TEMPLATE,),
             "all": (DAILY_TEMPLATE, MULTIVARIATE_TEMPLATE, MODELS_TEMPLATE), "retention": (RETENTION_TEMPLATE,)}
"""What ``sparkhu run --workflow`` runs: the templates, in order (``all`` is what the daily CronWorkflow chains;
``retention`` has a CronWorkflow of its own)."""

WHOLE_INSTALL = frozenset({"retention"})
"""Workflows that act on the whole install rather than on the ingested interval: they run without data."""


def packaged_template(filename: str) -> dict[str, Any]:
    """A WorkflowTemplate as the package ships it (``src/sparkhu/manifests``, rendered with the rest).

    Loading the rendered file costs milliseconds; rendering it again would import hera and every task
    (~1.7 s) in a process that runs no task itself. ``make test`` fails when the copy is stale.
    """
    text = (resources.files("sparkhu") / "manifests" / filename).read_text(encoding="utf-8")
    document: dict[str, Any] = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return document


def daily_template() -> dict[str, Any]:
    """The daily univariate WorkflowTemplate as the package ships it."""
    return packaged_template(DAILY_TEMPLATE)


def declared_parameters(document: dict[str, Any]) -> set[str]:
    """The workflow parameters a template declares."""
    return {p["name"] for p in document.get("spec", {}).get("arguments", {}).get("parameters", [])}


def models_installed() -> bool:
    """Whether the model pipeline's libraries (the ``models`` extra) are importable."""
    import importlib.util

    return all(importlib.util.find_spec(name) is not None for name in ("sklearn", "statsforecast", "mlflow", "ray"))


def ingested_interval(lake: Lake) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """Whole UTC days covering every ingested point, or None when nothing was ingested."""
    import pandas as pd

    stamps = lake.read("raw", columns=["ts"])["ts"]
    if stamps.empty:
        return None
    return stamps.min().floor("D"), stamps.max().floor("D") + pd.Timedelta(days=1)


def run_pipeline(
    start: Annotated[str, typer.Option(help="Interval start (ISO). Default: all ingested data.")] = "",
    end: Annotated[str, typer.Option(help="Interval end, exclusive (ISO).")] = "",
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="Workflow parameter name=value.")] = None,
    parallelism: Annotated[int | None, typer.Option(help="Parallel nodes (default: workers).")] = None,
    warm: Annotated[bool, typer.Option("--warm/--no-warm", help="Run task CLIs in warm workers.")] = True,
    manifest_backoff: Annotated[bool, typer.Option("--manifest-backoff", help=MANIFEST_BACKOFF_HELP)] = False,
    workflow: Annotated[str, typer.Option(
        help="What to run: all (univariate, multivariate, then models), univariate, multivariate (the relations "
             "between the series of each group), models, or retention (plan and apply every enabled retention "
             "policy; -p retention-dry-run=true only plans).")] = "all",
) -> None:
    """Run the daily pipeline locally from its WorkflowTemplates: the univariate, multivariate and model DAGs.

    `--workflow retention` runs the nightly retention workflow instead (it needs no ingested data).
    """
    if workflow not in WORKFLOWS:
        fail(f"--workflow must be one of {', '.join(WORKFLOWS)}, got {workflow!r}")
    if bool(start) != bool(end):
        fail("give both --start and --end, or neither (all ingested data)")
    if warm:
        from sparkhu.executor.warm import prestart

        prestart()  # the workers' imports overlap with reading the lake and the manifests below
    if not start and workflow not in WHOLE_INSTALL:
        interval = ingested_interval(lake_from_settings())
        if interval is None:
            fail("nothing ingested yet: run `sparkhu ingest FILE ...` first (or `sparkhu demo`)")
        start, end = (moment.isoformat() for moment in interval)
    parameters = {"start": start, "end": end, **parse_parameters(param)}
    documents = {name: packaged_template(name) for name in WORKFLOWS[workflow]}
    unknown = sorted(set(parameters) - set().union(*(declared_parameters(d) for d in documents.values())))
    if unknown:
        fail(f"unknown workflow parameters {unknown}; see `sparkhu workflow check` or the manifests for the names")
    for name, document in documents.items():
        if name == MODELS_TEMPLATE and not models_installed():
            if workflow == "models":
                fail("the model pipeline needs the models extra: pip install 'sparkhu[models]'")
            console.print("[yellow]model pipeline skipped[/]: install the models extra (pip install 'sparkhu[models]')")
            continue
        wanted = declared_parameters(document)
        result = execute(document, {k: v for k, v in parameters.items() if k in wanted}, parallelism=parallelism,
                         warm=warm, label=name, backoff=backoff_mode(manifest_backoff))
        if name == RETENTION_TEMPLATE:
            print_retention(result)


def print_retention(result: RunResult) -> None:
    """The retention task's table (per policy: plan, planned rows and bytes, result) from its ``summary`` output."""
    import json

    from sparkhu.tasks.retention import NO_POLICIES, SUMMARY_OUTPUT, PolicyResult, summary_table

    for node in result.nodes:
        if SUMMARY_OUTPUT in node.outputs and node.template == "task-retention":
            results = [PolicyResult(**document) for document in json.loads(node.outputs[SUMMARY_OUTPUT])]
            console.print(Text(summary_table(results) if results else NO_POLICIES), soft_wrap=True)


def demo(
    days: Annotated[int, typer.Option(min=2, max=365, help="Days of demo data to generate.")] = 14,
) -> None:
    """Generate demo data, register its features, ingest it and run the pipeline end to end."""
    from sparkhu.cli.main import invoke  # the same commands a user types, in this process
    from sparkhu.demo.generate import write_demo

    files = write_demo(get_settings().home / "demo-data", days=days)
    console.rule("[bold]Sparkhu demo")
    for argv in demo_commands(files):
        console.print(f"[dim]$ sparkhu {' '.join(argv)}[/]")
        code = invoke(argv)
        if code != 0:
            fail(f"`sparkhu {' '.join(argv)}` exited with {code}", code)
    from sparkhu.reporting import ReportRequest, write_report  # matplotlib only for the demo's report

    lake = lake_from_settings()
    print_summary(lake)
    written = write_report(lake, ReportRequest(), get_settings().home / "report.html")
    console.print(
        "Next: [bold]sparkhu runs list[/] · [bold]sparkhu tables[/] · "
        "[bold]sparkhu export missing_marked --out missing.csv[/] · "
        f"[bold]sparkhu export quarantine --out quarantine.csv[/] · logs under {get_settings().logs}"
    )
    console.print(f"HTML report (open it in a browser): [bold]{written.path.resolve()}[/]")


def demo_commands(files: DemoFiles) -> list[list[str]]:
    """The commands the demo runs, in order."""
    return [
        ["features", "import", str(files.features)],
        ["ingest", str(files.long_csv), "--series-column", "sensor"],
        ["ingest", str(files.jsonl_root), "--series-column", "sensor"],
        ["ingest", str(files.wide_csv), "--wide", "--time-column", "date"],
        ["run", *DEMO_MODEL_PARAMETERS],
    ]


DEMO_MODEL_PARAMETERS = ("-p", "tune-trials=6", "-p", "tune-budget-seconds=45",
                         "-p", "model-families=seasonal_naive,ridge,auto_theta")
"""A small tuning budget for the demo: it shows the whole chain in a few minutes on a laptop (the daily
defaults tune more: see `sparkhu task list`)."""


def print_summary(lake: Lake) -> None:
    """Rows per table, decided periods and missing counts, then where to look next."""
    console.print(tables_table(lake, "Tables"))
    console.print(series_summary(lake))


def series_summary(lake: Lake) -> Table:
    """One row per series: decided period, regularity, confidence, marked and unmarked missing."""
    decided = lake.read("regularity").sort_values("interval_start").drop_duplicates("series_id", keep="last")
    missing = lake.read("missing_marked", columns=["series_id", "missing_kind"])
    kinds = missing.groupby(["series_id", "missing_kind"]).size().unstack(fill_value=0)
    table = Table("series", "period (s)", "regular", "confidence", "decided by", "points", "marked",
                  "unmarked", title="Series")
    counts = missing.groupby("series_id").size()
    for row in decided.itertuples():
        table.add_row(str(row.series_id), f"{row.period_seconds:g}", str(row.is_regular),
                      f"{row.confidence:.2f}", str(row.decided_by), f"{counts.get(row.series_id, 0):,}",
                      str(_kind_count(kinds, row.series_id, "marked")),
                      str(_kind_count(kinds, row.series_id, "unmarked")))
    return table


def _kind_count(kinds: pd.DataFrame, series_id: str, kind: str) -> int:
    """Count of ``kind`` missing points of a series (0 when none)."""
    if kind not in kinds.columns or series_id not in kinds.index:
        return 0
    return int(kinds.loc[series_id, kind])


def register(app: typer.Typer) -> None:
    """Add ``run`` and ``demo`` to ``app``."""
    app.command("run")(run_pipeline)
    app.command("demo")(demo)


