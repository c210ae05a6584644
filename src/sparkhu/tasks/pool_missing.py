"""Task ``pool-missing``: per series, keep the imputation variant with the lowest measured error."""

from __future__ import annotations

import pandas as pd

from sparkhu.analysis.pool_missing import choose_variants, pool, score_variants
from sparkhu.tasks.context import TaskContext
from sparkhu.tasks.handle_missing import CONTEXT_DAYS
from sparkhu.tasks.params import Param
from sparkhu.tasks.spec import TaskOutcome, TaskSpec, register


def variant_metrics(scores: pd.DataFrame, choice: pd.DataFrame) -> tuple[dict[str, float], dict[str, int]]:
    """Mean MAE per variant (``mae.<variant>``) and how many series chose each (``chosen.<variant>``)."""
    mae = scores.groupby("variant")["mae"].mean().dropna()
    chosen = choice["method"].value_counts()
    return ({f"mae.{name}": float(value) for name, value in mae.items()},
            {f"chosen.{name}": int(value) for name, value in chosen.items()})


def run(ctx: TaskContext) -> TaskOutcome:
    """Hide known points like the real gaps, score every imputed variant, pool the best per series."""
    present = tuple(sorted(ctx.read_column_values("imputed_variants", "variant")))
    frame = ctx.read("outliers", start=ctx.days_before_start(ctx.params["context_days"]))
    scores = score_variants(frame, present, ctx.periods(), seed=ctx.params["seed"])
    choice = choose_variants(scores)
    # Only the chosen variants' rows are read: usually a few of the eight.
    variants = ctx.read("imputed_variants", among={"variant": tuple(sorted(set(choice["method"])))})
    imputed = pool(variants, choice) if len(variants) else variants.assign(method=pd.Series(dtype="string"))
    ctx.write("imputed", imputed)
    metrics, counts = variant_metrics(scores, choice)
    return TaskOutcome(rows_in=len(variants), rows_out=len(imputed), n_series=len(choice),
                       counts={"variants": len(present), **counts}, metrics=metrics)


SPEC = register(TaskSpec(
    name="pool-missing",
    summary="Choose the imputation variant per series by error on hidden known points",
    inputs=("imputed_variants", "outliers", "regularity"),
    outputs=("imputed",),
    params=(CONTEXT_DAYS, Param("seed", int, 0, "Seed of the hidden runs", minimum=0)),
    run=run,
))
