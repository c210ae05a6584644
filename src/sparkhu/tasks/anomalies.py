"""Task ``detect-anomalies-residual``: few, well-placed alarms from robust residual scores."""

from __future__ import annotations

from sparkhu.analysis.anomalies import MAX_ALARMS, THRESHOLD, detect_anomalies
from sparkhu.tasks.context import TaskContext
from sparkhu.tasks.params import Param
from sparkhu.tasks.spec import TaskOutcome, TaskSpec, register


def run(ctx: TaskContext) -> TaskOutcome:
    """Score residuals (spikes and level shifts) and keep the strongest separated peaks as anomalies."""
    frame = ctx.read("decomposed", start=ctx.days_before_start(ctx.params["context_days"]))
    scored = ctx.engine.map_series(detect_anomalies, frame, threshold=ctx.params["threshold"],
                                   max_alarms=ctx.params["max_alarms"])
    scored = scored[scored["ts"] >= ctx.interval.start]
    scored["is_outlier"] = scored["is_outlier"].fillna(False).astype(bool)
    ctx.write("anomalies", scored)
    return TaskOutcome(rows_in=len(frame), rows_out=len(scored), n_series=int(scored["series_id"].nunique()),
                       counts={"anomalies": int(scored["is_anomaly"].sum())})


SPEC = register(TaskSpec(
    name="detect-anomalies-residual",
    summary="Robust (median/MAD) residual and level-shift scores; is_anomaly for events worth attention",
    inputs=("decomposed",),
    outputs=("anomalies",),
    params=(
        Param("threshold", float, THRESHOLD, "Score (robust standard deviations) that can raise an alarm",
              minimum=0.5, maximum=1000),
        Param("max_alarms", int, MAX_ALARMS, "Most alarms per series and window", minimum=0, maximum=100_000),
        Param("context_days", float, 7.0, "Days before the interval scored with it", minimum=0.0, maximum=3650),
    ),
    run=run,
))
