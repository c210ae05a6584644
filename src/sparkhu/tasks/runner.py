"""Run one task: validate its inputs, run it, record its report row and write its output parameters."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from sparkhu.config import Settings
from sparkhu.storage.lake import Lake, Slice
from sparkhu.tasks.context import TaskContext, resolve_series
from sparkhu.tasks.engines import engine_for
from sparkhu.tasks.interval import Interval, Shard, parse_shard, resolve_interval
from sparkhu.tasks.params import parse_params
from sparkhu.tasks.spec import TaskOutcome, TaskSpec, check_outputs, get_task


@dataclass(frozen=True)
class TaskRequest:
    """A task invocation as given on the command line.

    Attributes:
        name: Task name.
        start: ISO start of the interval ("" with ``end`` "" means the previous UTC day).
        end: ISO end of the interval.
        series: Series ids to limit the run to (empty: all).
        shard: ``K/N`` shard text.
        params: ``key=value`` parameter texts.
        outputs_dir: Folder for output-parameter files (Argo ``valueFrom.path``), or None.
    """

    name: str
    start: str = ""
    end: str = ""
    series: tuple[str, ...] = ()
    shard: str = "0/1"
    params: tuple[str, ...] = ()
    outputs_dir: Path | None = None


@dataclass(frozen=True)
class TaskResult:
    """A finished task run."""

    spec: TaskSpec
    interval: Interval
    shard: Shard
    params: dict[str, Any]
    outcome: TaskOutcome
    duration_s: float


def run_task(request: TaskRequest, settings: Settings) -> TaskResult:
    """Validate ``request``, run the task, write its report row and output files.

    Raises:
        TaskInputError: Unknown task, bad interval, shard, series or parameter (nothing is written).
    """
    spec = get_task(request.name)
    interval = resolve_interval(request.start, request.end)
    shard = parse_shard(request.shard)
    params = parse_params(spec.params, request.params)
    series = resolve_series(settings, list(request.series), shard)
    lake = Lake(settings.lake, settings.storage_options)
    context = TaskContext(settings, lake, interval, shard, series, params, engine_for(settings))
    started = datetime.now(UTC)
    clock = time.perf_counter()
    outcome = spec.run(context)
    check_outputs(spec, outcome.outputs)
    outcome.metrics.update({f"seconds.{phase}": round(value, 4) for phase, value in context.seconds.items()})
    result = TaskResult(spec, interval, shard, params, outcome, time.perf_counter() - clock)
    write_report(lake, result, started, settings.run_id)
    if request.outputs_dir is not None:
        write_outputs(request.outputs_dir, outcome)
    return result


def write_report(lake: Lake, result: TaskResult, started: datetime, run_id: str | None) -> None:
    """Replace this (task, interval, shard, variant)'s row of the ``reports`` table."""
    outcome = result.outcome
    # A fan-out runs one node per variant group (or series group) for the same interval and shard: each
    # keeps its own row, keyed by what its loop item set.
    variant = str(result.params.get("variants") or result.params.get("group") or "")
    row = {
        "task": result.spec.name, "interval_start": result.interval.start,
        "interval_end": result.interval.end, "shard": str(result.shard), "variant": variant, "run_id": run_id,
        "status": "failed" if outcome.failures else "succeeded", "n_series": outcome.n_series,
        "parameters": json.dumps(result.params, sort_keys=True, default=str),
        "counts": json.dumps({"rows_in": outcome.rows_in, "rows_out": outcome.rows_out, **outcome.counts},
                             sort_keys=True),
        "metrics": json.dumps(outcome.metrics, sort_keys=True),
        "started_at": pd.Timestamp(started), "duration_s": result.duration_s,
    }
    where = Slice(start=result.interval.start, end=result.interval.end,
                  equals={"task": result.spec.name, "shard": str(result.shard), "variant": variant})
    lake.replace("reports", pd.DataFrame([row]), where)


def write_outputs(folder: Path, outcome: TaskOutcome) -> None:
    """Write each output parameter as a file named after it (Argo reads them via ``valueFrom.path``)."""
    folder.mkdir(parents=True, exist_ok=True)
    values = {"rows_in": str(outcome.rows_in), "rows_out": str(outcome.rows_out),
              "n_series": str(outcome.n_series), **outcome.outputs}
    for name, value in values.items():
        (folder / name).write_text(value)
