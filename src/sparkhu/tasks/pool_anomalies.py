"""Task ``pool-anomalies``: per series, keep the handling variant with the lowest forecast error."""

from __future__ import annotations

import pandas as pd

from sparkhu.analysis.anomaly_handling import choose_handlers, pool_handled, score_handlers
from sparkhu.tasks.context import TaskContext
from sparkhu.tasks.handle_anomalies import CLEAN_THRESHOLD, FLAG, cleaning_flags
from sparkhu.tasks.pool_missing import variant_metrics
from sparkhu.tasks.spec import TaskOutcome, TaskSpec, register

KEY = ["series_id", "ts"]


def handled_by_variant(variants: pd.DataFrame, flags: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Each variant's rows with the cleaning flag joined back (scoring needs to know the handled points)."""
    joined = variants.merge(flags[[*KEY, FLAG]], on=KEY, how="left")
    joined[FLAG] = joined[FLAG].fillna(False).astype(bool)
    return {str(name): part.drop(columns="variant") for name, part in joined.groupby("variant", sort=True)}


def run(ctx: TaskContext) -> TaskOutcome:
    """Score every variant by one-step-ahead forecast error after the handled points; pool the best."""
    variants = ctx.read("anomaly_variants")
    flags = cleaning_flags(ctx.read("anomalies"), ctx.params["clean_threshold"])
    handled = handled_by_variant(variants, flags)
    scores = score_handlers(handled, flag_column=FLAG) if handled else pd.DataFrame(
        columns=["series_id", "variant", "mae", "n_targets"])
    choice = choose_handlers(scores).rename(columns={"variant": "method"})
    cleaned = pool_handled(handled, choice.rename(columns={"method": "variant"})) if handled else variants
    cleaned = cleaned.merge(choice[["series_id", "method"]], on="series_id", how="left")
    ctx.write("cleaned", cleaned)
    metrics, counts = variant_metrics(scores, choice)
    return TaskOutcome(rows_in=len(variants), rows_out=len(cleaned), n_series=len(choice),
                       counts={"variants": len(handled), **counts}, metrics=metrics)


SPEC = register(TaskSpec(
    name="pool-anomalies",
    summary="Choose the anomaly handling per series by one-step-ahead forecast error",
    inputs=("anomaly_variants", "anomalies"),
    outputs=("cleaned",),
    params=(CLEAN_THRESHOLD,),
    run=run,
))
