"""Run-level parts of the report: task summary, variant comparisons and the statistics overview."""

from __future__ import annotations

import pandas as pd

from sparkhu.reporting.bar_plots import bars_svg
from sparkhu.reporting.formatting import MISSING, instant, key_values, number, period, seconds
from sparkhu.reporting.model import Block, Plot, TableView
from sparkhu.reporting.runsummary import TaskSummary, summarize_tasks
from sparkhu.reporting.variants import VariantComparison, compare_variants

#: Pooling tasks and the title of their comparison.
POOLING_TASKS = {"pool-missing": "Imputation comparison", "pool-anomalies": "Anomaly-handling comparison"}
#: Rows of the statistics overview before it is cut (the per-series sections hold the rest).
OVERVIEW_ROWS = 200
STAT_COLUMNS = ("count", "n_missing", "min", "max", "mean", "median", "std", "skewness", "kurtosis", "cv", "mad")


def summary_block(reports: pd.DataFrame) -> Block:
    """The run summary: one row per task with its duration and counts, and a duration chart."""
    tasks = summarize_tasks(reports)
    if not tasks:
        return Block("Run summary", notes=("No task report rows for this run or interval.",))
    table = TableView(
        ("task", "started (UTC)", "reports", "series", "rows in", "rows out", "duration", "counts", "metrics"),
        tuple(_task_row(task) for task in tasks), text_columns=(7, 8),
    )
    durations = {task.task: task.duration_s for task in tasks}
    plot = Plot("plot-run-durations", "Task durations",
                bars_svg(durations, "Task durations", "seconds (summed over intervals and shards)",
                         "plot-run-durations", ranked=False))
    total = seconds(sum(durations.values()))
    return Block("Run summary", plot, table, (f"{len(tasks)} tasks, {total} of task time in total.",))


def _task_row(task: TaskSummary) -> tuple[str, ...]:
    return (task.task, instant(task.started_at), number(task.rows), number(task.n_series), number(task.rows_in),
            number(task.rows_out), seconds(task.duration_s), key_values(task.counts), key_values(task.metrics))


def comparison_blocks(reports: pd.DataFrame, series: tuple[str, ...]) -> list[tuple[VariantComparison, Block]]:
    """One block per pooling task that reported in this run."""
    recorded = set(reports["task"]) if len(reports) else set()
    return [(comparison, comparison_block(comparison, POOLING_TASKS[task]))
            for task in POOLING_TASKS if task in recorded
            for comparison in [compare_variants(reports, task, series)]]


def comparison_block(comparison: VariantComparison, title: str) -> Block:
    """Errors per variant (chart and table) and how many series chose each."""
    if comparison.is_empty:
        return Block(title, notes=(f"{comparison.task} recorded no per-variant errors or choices.",))
    metric = comparison.metric
    favourite = max(comparison.chosen, key=lambda v: comparison.chosen[v]) if comparison.chosen else None
    plot = None
    if metric is not None:
        key = f"plot-{comparison.task}-errors"
        plot = Plot(key, f"{metric} per variant", bars_svg(
            comparison.errors[metric], f"{comparison.task}: {metric} per variant (lower is better)", metric, key,
            highlight=favourite))
    metrics = [name for name in comparison.errors]
    variants = sorted({v for errors in comparison.errors.values() for v in errors} | set(comparison.chosen))
    rows = tuple((variant, *(number(comparison.errors[m].get(variant)) for m in metrics),
                  number(comparison.chosen.get(variant, 0) if comparison.chosen else None)) for variant in variants)
    table = TableView(("variant", *metrics, "series choosing it"), rows)
    note = f"Chosen most often: {favourite}." if favourite else "No choice counts recorded."
    return Block(title, plot, table, (note,))


def overview_block(stats: pd.DataFrame | None, regularity: pd.DataFrame | None, anchors: dict[str, str]) -> Block:
    """Descriptive statistics of every series in the interval, with the decided sampling period."""
    title = "Descriptive statistics"
    if stats is None:
        return Block(title, notes=("No `stats` table in the lake (the describe task has not run).",))
    if stats.empty:
        return Block(title, notes=("The `stats` table has no rows in this interval.",))
    ordered = stats.sort_values(["series_id", "interval_start"], kind="stable", ignore_index=True)
    decided = _latest_regularity(regularity)
    rows, links = [], []
    for row in ordered.head(OVERVIEW_ROWS).itertuples():
        sid = str(row.series_id)
        rows.append((sid, instant(row.interval_start), *(number(getattr(row, c)) for c in STAT_COLUMNS),
                     *decided.get(sid, (MISSING, MISSING, MISSING))))
        links.append(anchors.get(sid, ""))
    note = f"First {OVERVIEW_ROWS} of {len(ordered)} rows." if len(ordered) > OVERVIEW_ROWS else ""
    columns = ("series", "interval", *STAT_COLUMNS, "period", "regular", "confidence")
    return Block(title, table=TableView(columns, tuple(rows), tuple(links), note))


def _latest_regularity(regularity: pd.DataFrame | None) -> dict[str, tuple[str, str, str]]:
    """Per series, the latest decided period, regularity and confidence, as text."""
    if regularity is None or regularity.empty:
        return {}
    latest = regularity.sort_values("interval_start", kind="stable").drop_duplicates("series_id", keep="last")
    return {str(r.series_id): (period(r.period_seconds), number(r.is_regular), number(r.confidence))
            for r in latest.itertuples()}
