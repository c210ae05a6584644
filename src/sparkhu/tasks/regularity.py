"""Task ``regularity``: estimate each series' sampling period over a look-back window."""

from __future__ import annotations

from sparkhu.analysis.regularity import estimate_periods
from sparkhu.tasks.context import TaskContext
from sparkhu.tasks.params import Param
from sparkhu.tasks.spec import TaskOutcome, TaskSpec, register


def run(ctx: TaskContext) -> TaskOutcome:
    """Estimate period, regularity and periodic error from the validated points of the look-back."""
    window_start = min(ctx.lookback(ctx.params["lookback_days"]), ctx.interval.start)
    points = ctx.read("validated", start=window_start)[["series_id", "ts"]]
    points = points.sort_values(["series_id", "ts"], kind="stable", ignore_index=True)
    estimates = ctx.with_interval(ctx.engine.map_series(estimate_periods, points))
    estimates["window_start"] = window_start
    ctx.write("regularity_estimates", estimates)
    regular = int(estimates["is_regular"].fillna(False).sum())
    return TaskOutcome(rows_in=len(points), rows_out=len(estimates), n_series=len(estimates),
                       counts={"regular": regular, "irregular": len(estimates) - regular})


SPEC = register(TaskSpec(
    name="regularity",
    summary="Robust sampling-period estimate per series (dominant step / approximate GCD)",
    inputs=("validated",),
    outputs=("regularity_estimates",),
    params=(Param("lookback_days", float, 60.0, "Look-back window in days", minimum=0.01, maximum=3650),),
    run=run,
))
