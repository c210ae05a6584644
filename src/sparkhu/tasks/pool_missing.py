"""Task ``pool-missing``: per series, keep the imputation variant with the lowest measured error."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from sparkhu.analysis.pool_missing import DEFAULT_METHOD, choose_variants, pool
from sparkhu.selection import CANDIDATE, summarize
from sparkhu.tasks.context import TaskContext
from sparkhu.tasks.engines import SeriesStep
from sparkhu.tasks.handle_missing import METRIC, POINT_COLUMNS, STAGE
from sparkhu.tasks.spec import TaskOutcome, TaskSpec, register


def pooled(frames: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The chosen variant's points written over each series, and the choice with its scores."""
    scores = frames["scores"]
    choice = choose_variants(scores)
    points = frames["variants"].rename(columns={"variant": CANDIDATE})
    base = frames["outliers"].sort_values(["series_id", "ts"], kind="stable", ignore_index=True)
    out = pool(base, points, choice)
    out["method"] = out["method"].fillna(DEFAULT_METHOD)
    return {"imputed": out, "scores": scores, "choice": choice}


def run(ctx: TaskContext) -> TaskOutcome:
    """Choose each series' variant from the scores of the handle-missing nodes; fill with its points."""
    result = ctx.run_step(SeriesStep(
        reads={"outliers": ctx.reading("outliers", columns=POINT_COLUMNS),
               "variants": ctx.reading("imputed_variants", columns=("series_id", "ts", "value", "variant")),
               "scores": ctx.reading("selection_scores", stage=STAGE)},
        compute=pooled, writes={"imputed": ctx.writing("imputed")},
    ))
    scores, choice = result.collected["scores"], result.collected["choice"]
    metrics, chosen = summarize(scores, choice, METRIC)
    return TaskOutcome(rows_in=result.rows_in["outliers"], rows_out=result.rows_out["imputed"],
                       n_series=len(choice), counts={"variants": int(scores[CANDIDATE].nunique()), **chosen},
                       metrics=metrics)


SPEC = register(TaskSpec(
    name="pool-missing",
    summary="Choose the imputation variant per series by error on hidden known points",
    inputs=("imputed_variants", "selection_scores", "outliers"),
    outputs=("imputed",),
    params=(),
    run=run,
))
