"""The run summary: one line per task with its duration and key counts, from the ``reports`` rows."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class TaskSummary:
    """One task of a run, summed over its intervals and shards.

    Attributes:
        task: Task name.
        rows: Report rows summed (one per interval and shard).
        status: Distinct statuses, joined.
        n_series: Series processed.
        rows_in: Input rows.
        rows_out: Output rows.
        duration_s: Total task time.
        started_at: Earliest start.
        counts: Task-specific counts (summed).
        metrics: Task-specific metrics (averaged over rows).
    """

    task: str
    rows: int
    status: str
    n_series: int
    rows_in: int
    rows_out: int
    duration_s: float
    started_at: pd.Timestamp | None
    counts: dict[str, float]
    metrics: dict[str, float]


def parse_json(text: object) -> dict[str, Any]:
    """A JSON object column value as a dict; empty for null, invalid or non-object text."""
    if not isinstance(text, str) or not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def flatten(mapping: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings as one level with dotted keys (``{"a": {"b": 1}}`` -> ``{"a.b": 1}``)."""
    flat: dict[str, Any] = {}
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def numeric_items(mapping: dict[str, Any]) -> dict[str, float]:
    """The finite numbers of a flat mapping (booleans and text are left out)."""
    numbers = {k: float(v) for k, v in mapping.items() if isinstance(v, int | float) and not isinstance(v, bool)}
    return {k: v for k, v in numbers.items() if v == v and abs(v) != float("inf")}


def summarize_tasks(reports: pd.DataFrame) -> list[TaskSummary]:
    """One summary per task, in the order the tasks started."""
    if reports.empty:
        return []
    ordered = reports.sort_values(["started_at", "task"], kind="stable", na_position="last")
    return [_summarize(str(task), rows) for task, rows in ordered.groupby("task", sort=False)]


def _summarize(task: str, rows: pd.DataFrame) -> TaskSummary:
    """The summary of one task's report rows."""
    counts = _sum_dicts([numeric_items(flatten(parse_json(text))) for text in rows["counts"]])
    metric_rows = [numeric_items(flatten(parse_json(text))) for text in rows["metrics"]]
    metrics = {k: v / sum(1 for m in metric_rows if k in m) for k, v in _sum_dicts(metric_rows).items()}
    started = rows["started_at"].min()
    return TaskSummary(
        task=task, rows=len(rows), status=", ".join(sorted({str(s) for s in rows["status"].dropna()})) or "-",
        n_series=int(rows["n_series"].fillna(0).sum()),
        rows_in=int(counts.pop("rows_in", 0)), rows_out=int(counts.pop("rows_out", 0)),
        duration_s=float(rows["duration_s"].fillna(0).sum()),
        started_at=None if pd.isna(started) else pd.Timestamp(started), counts=counts, metrics=metrics,
    )


def _sum_dicts(items: list[dict[str, float]]) -> dict[str, float]:
    """Key-wise sums."""
    total: dict[str, float] = {}
    for item in items:
        for key, value in item.items():
            total[key] = total.get(key, 0.0) + value
    return total


def task_rows(reports: pd.DataFrame, task: str) -> pd.DataFrame:
    """The report rows of ``task``."""
    return reports[reports["task"] == task]
