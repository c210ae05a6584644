"""Task ``regularity-decision``: one decided period per series from the recent estimates."""

from __future__ import annotations

from sparkhu.analysis.decision import decide_periods
from sparkhu.tasks.context import TaskContext
from sparkhu.tasks.params import Param
from sparkhu.tasks.spec import TaskOutcome, TaskSpec, register


def run(ctx: TaskContext) -> TaskOutcome:
    """Combine the estimates of runs within the look-back; a declared period wins unless contradicted."""
    since = min(ctx.lookback(ctx.params["lookback_days"]), ctx.interval.start)
    estimates = ctx.read("regularity_estimates", start=since)
    declared = {fid: f.period_seconds for fid, f in ctx.features().items()}
    decided = ctx.with_interval(decide_periods(estimates, declared))
    ctx.write("regularity", decided)
    contradicted = int(decided["contradicts_declared"].fillna(False).sum())
    confidence = float(decided["confidence"].mean()) if len(decided) else 0.0
    return TaskOutcome(rows_in=len(estimates), rows_out=len(decided), n_series=len(decided),
                       counts={"contradicts_declared": contradicted},
                       metrics={"mean_confidence": confidence})


SPEC = register(TaskSpec(
    name="regularity-decision",
    summary="Decide one period per series with a confidence, stable against one bad day",
    inputs=("regularity_estimates",),
    outputs=("regularity",),
    params=(Param("lookback_days", float, 14.0, "Estimates of runs this many days back",
                  minimum=0.01, maximum=3650),),
    run=run,
))
