"""Task ``handle-missing``: one imputation variant (the workflow fans out over the variant list)."""

from __future__ import annotations

from sparkhu.analysis.imputation import VARIANTS, impute
from sparkhu.tasks.context import TaskContext
from sparkhu.tasks.params import Param
from sparkhu.tasks.spec import TaskOutcome, TaskSpec, register

CONTEXT_DAYS = Param("context_days", float, 7.0, "Days before the interval used as context (seasonal cycles)",
                     minimum=0.0, maximum=366)


def run(ctx: TaskContext) -> TaskOutcome:
    """Fill missing points and outliers of the interval with ``variant``, using days before as context."""
    variant = ctx.params["variant"]
    frame = ctx.read("outliers", start=ctx.days_before_start(ctx.params["context_days"]))
    filled = ctx.engine.map_series(impute, frame, variant=variant, periods=ctx.periods())
    filled = filled[filled["ts"] >= ctx.interval.start]
    ctx.write("imputed_variants", filled, variant=variant)
    gaps = filled["is_missing"] | filled.get("is_outlier", False)
    return TaskOutcome(rows_in=len(frame), rows_out=len(filled), n_series=int(filled["series_id"].nunique()),
                       counts={"filled": int(gaps.sum()), "left_nan": int(filled["value"].isna().sum())})


SPEC = register(TaskSpec(
    name="handle-missing",
    summary="Impute missing points and outliers with one variant (locf, linear in time, seasonal, ...)",
    inputs=("outliers", "regularity"),
    outputs=("imputed_variants",),
    params=(Param("variant", str, "linear", "Imputation variant", choices=VARIANTS), CONTEXT_DAYS),
    run=run,
))
