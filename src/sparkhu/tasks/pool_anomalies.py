"""Task ``pool-anomalies``: per series, keep the handling variant with the lowest forecast error."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from sparkhu.analysis.anomaly_handling import choose_handlers
from sparkhu.selection import CANDIDATE, overlay, summarize
from sparkhu.tasks.context import TaskContext
from sparkhu.tasks.engines import SeriesStep
from sparkhu.tasks.handle_anomalies import METRIC, STAGE
from sparkhu.tasks.spec import TaskOutcome, TaskSpec, register


def cleaned(frames: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The chosen variant's handled points written over each series, and the choice with its scores."""
    scores = frames["scores"]
    choice = choose_handlers(scores)
    base = frames["anomalies"].sort_values(["series_id", "ts"], kind="stable", ignore_index=True)
    out = overlay(base, frames["variants"].rename(columns={"variant": CANDIDATE}), choice)
    out["method"] = out["method"].fillna("keep")
    return {"cleaned": out, "scores": scores, "choice": choice}


def run(ctx: TaskContext) -> TaskOutcome:
    """Choose each series' handling from the scores of the handle-anomalies nodes; apply its points."""
    result = ctx.run_step(SeriesStep(
        reads={"anomalies": ctx.reading("anomalies", columns=("series_id", "ts", "value")),
               "variants": ctx.reading("anomaly_variants"),
               "scores": ctx.reading("selection_scores", stage=STAGE)},
        compute=cleaned, writes={"cleaned": ctx.writing("cleaned")},
    ))
    scores, choice = result.collected["scores"], result.collected["choice"]
    metrics, chosen = summarize(scores, choice, METRIC)
    return TaskOutcome(rows_in=result.rows_in["anomalies"], rows_out=result.rows_out["cleaned"],
                       n_series=len(choice), counts={"variants": int(scores[CANDIDATE].nunique()), **chosen},
                       metrics=metrics)


SPEC = register(TaskSpec(
    name="pool-anomalies",
    summary="Choose the anomaly handling per series by one-step-ahead forecast error",
    inputs=("anomaly_variants", "selection_scores", "anomalies"),
    outputs=("cleaned",),
    params=(),
    run=run,
))
