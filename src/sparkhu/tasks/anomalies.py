"""Task ``detect-anomalies-residual``: few, well-placed alarms from robust residual scores."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from sparkhu.analysis.anomalies import MAX_ALARMS, THRESHOLD, detect_anomalies
from sparkhu.tasks.context import TaskContext
from sparkhu.tasks.engines import SeriesStep, counts
from sparkhu.tasks.params import Param
from sparkhu.tasks.spec import TaskOutcome, TaskSpec, register


def scored(frames: Mapping[str, pd.DataFrame], *, threshold: float, max_alarms: int, start: pd.Timestamp
           ) -> dict[str, pd.DataFrame]:
    """Scores and alarms of whole series over the context; the rows from ``start``."""
    rows = detect_anomalies(frames["decomposed"], threshold=threshold, max_alarms=max_alarms)
    rows = rows[rows["ts"] >= start].copy()
    rows["is_outlier"] = rows["is_outlier"].fillna(False).astype(bool)
    return {"anomalies": rows, "counts": counts(anomalies=int(rows["is_anomaly"].sum()))}


def run(ctx: TaskContext) -> TaskOutcome:
    """Score residuals (spikes and level shifts) and keep the strongest separated peaks as anomalies."""
    result = ctx.run_step(SeriesStep(
        reads={"decomposed": ctx.reading("decomposed", start=ctx.days_before_start(ctx.params["context_days"]))},
        compute=scored, writes={"anomalies": ctx.writing("anomalies")},
        kwargs={"threshold": ctx.params["threshold"], "max_alarms": ctx.params["max_alarms"],
                "start": ctx.interval.start},
    ))
    return TaskOutcome(rows_in=result.rows_in["decomposed"], rows_out=result.rows_out["anomalies"],
                       n_series=result.n_series, counts=result.totals())


SPEC = register(TaskSpec(
    name="detect-anomalies-residual",
    summary="Robust (median/MAD) residual and level-shift scores; is_anomaly for events worth attention",
    inputs=("decomposed",),
    outputs=("anomalies",),
    params=(
        Param("threshold", float, THRESHOLD, "Score (robust standard deviations) that can raise an alarm",
              minimum=0.5, maximum=1000, workflow_name="anomaly-threshold"),
        Param("max_alarms", int, MAX_ALARMS, "Most alarms per series and window", minimum=0, maximum=100_000),
        Param("context_days", float, 7.0, "Days before the interval scored with it", minimum=0.0, maximum=3650),
    ),
    run=run,
))
