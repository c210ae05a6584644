"""Task ``handle-missing``: a group of imputation variants on one shard, each filled and scored.

The workflow fans out over variant groups x shards (the plan decides the group size). A node reads its
slice once, and for each variant writes the values it put at the missing points and outliers
(``imputed_variants``: only those rows, every other point is the ``outliers`` input) and its error on
known points hidden like the series' real gaps (``selection_scores``, stage ``imputation``). The hidden
points depend only on the seed and the series, so scores from different nodes compare.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from sparkhu.analysis.imputation import VARIANTS
from sparkhu.analysis.pool_missing import impute_and_score
from sparkhu.selection import CANDIDATE
from sparkhu.tasks.context import TaskContext
from sparkhu.tasks.engines import SeriesStep, counts
from sparkhu.tasks.params import Param
from sparkhu.tasks.plan import variant_list
from sparkhu.tasks.spec import TaskOutcome, TaskSpec, register

STAGE = "imputation"
METRIC = "mae"
POINT_COLUMNS = ("series_id", "ts", "value", "is_missing", "is_outlier")


def score_rows(scores: pd.DataFrame, stage: str, metric: str, start: pd.Timestamp, end: pd.Timestamp
               ) -> pd.DataFrame:
    """A selection score table in the ``selection_scores`` table's shape."""
    return scores.assign(stage=stage, metric=metric, interval_start=start, interval_end=end)


def imputed(frames: Mapping[str, pd.DataFrame], *, variants: list[str], periods: Mapping[str, float],
            seed: int, start: pd.Timestamp, end: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """Every variant's filled points inside the interval, and every variant's score, for whole series."""
    points, scores = impute_and_score(frames["outliers"], variants, periods, seed, since=start)
    points = points.rename(columns={CANDIDATE: "variant"})
    return {"imputed_variants": points, "selection_scores": score_rows(scores, STAGE, METRIC, start, end),
            "counts": counts(filled=len(points), left_nan=int(points["value"].isna().sum()))}


def run(ctx: TaskContext) -> TaskOutcome:
    """Fill missing points and outliers with each variant of the group, using days before as context."""
    variants = variant_list(ctx.params["variants"], VARIANTS, "variants")
    among = {"variant": tuple(variants)}
    result = ctx.run_step(SeriesStep(
        reads={"outliers": ctx.reading("outliers", start=ctx.days_before_start(ctx.params["context_days"]),
                                       columns=POINT_COLUMNS)},
        compute=imputed,
        writes={"selection_scores": ctx.writing("selection_scores", among={"candidate": tuple(variants)},
                                                stage=STAGE),
                "imputed_variants": ctx.writing("imputed_variants", among=among)},
        kwargs={"variants": variants, "periods": ctx.periods(), "seed": ctx.params["seed"],
                "start": ctx.interval.start, "end": ctx.interval.end},
    ))
    return TaskOutcome(rows_in=result.rows_in["outliers"], rows_out=result.rows_out["imputed_variants"],
                       n_series=result.n_series,
                       counts={"variants": len(variants), **result.totals()})


SPEC = register(TaskSpec(
    name="handle-missing",
    summary="Impute missing points and outliers with a group of variants (locf, linear in time, seasonal, ...)",
    inputs=("outliers", "regularity"),
    outputs=("imputed_variants", "selection_scores"),
    params=(
        Param("variants", str, ",".join(VARIANTS), "Imputation variants to run (comma list)"),
        Param("context_days", float, 7.0, "Days before the interval used as context (seasonal cycles)",
              minimum=0.0, maximum=366),
        Param("seed", int, 0, "Seed of the hidden known points the variants are scored on", minimum=0),
    ),
    run=run,
))
