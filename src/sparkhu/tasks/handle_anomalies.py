"""Task ``handle-anomalies``: a group of handling variants on one shard, each applied and scored.

Cleaning handles more than the few ``is_anomaly`` alarms: every point whose residual score reaches
``clean_threshold`` is handled too, so that a model never trains on a spike an operator was not paged for.
A handler changes only those points, so ``anomaly_variants`` keeps only them (the rest of a series is
the ``anomalies`` input); each variant's one-step-ahead forecast error after the handled points goes to
``selection_scores`` (stage ``anomaly_handling``).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from sparkhu.analysis.anomaly_handling import HANDLERS, handled_points
from sparkhu.selection import CANDIDATE
from sparkhu.tasks.context import TaskContext
from sparkhu.tasks.engines import SeriesStep, counts
from sparkhu.tasks.handle_missing import score_rows
from sparkhu.tasks.params import Param
from sparkhu.tasks.plan import variant_list
from sparkhu.tasks.spec import TaskOutcome, TaskSpec, register

FLAG = "to_handle"
STAGE = "anomaly_handling"
METRIC = "mae"
CLEAN_THRESHOLD = Param("clean_threshold", float, 5.0, "Residual score from which cleaning handles a point",
                        minimum=0.5, maximum=1000)
ANOMALY_COLUMNS = ("series_id", "ts", "value", "is_anomaly", "anomaly_score", "expected")


def cleaning_flags(anomalies: pd.DataFrame, clean_threshold: float) -> pd.DataFrame:
    """``anomalies`` plus the ``to_handle`` flag: alarms and every point scored at least the threshold."""
    scores = anomalies["anomaly_score"].fillna(0.0)
    return anomalies.assign(**{FLAG: anomalies["is_anomaly"].astype(bool) | (scores >= clean_threshold)})


def handled(frames: Mapping[str, pd.DataFrame], *, variants: list[str], clean_threshold: float,
            start: pd.Timestamp, end: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """Every variant's handled points inside the interval, and every variant's score, for whole series."""
    flagged = cleaning_flags(frames["anomalies"], clean_threshold)
    points, scores = handled_points(flagged, variants, flag_column=FLAG, since=start)
    raw = points[["series_id", "ts"]].merge(flagged[["series_id", "ts", "value"]], on=["series_id", "ts"],
                                             how="left")["value"].to_numpy()
    changed = int((points["value"].to_numpy() != raw).sum())
    points = points.rename(columns={CANDIDATE: "variant"})
    return {"selection_scores": score_rows(scores, STAGE, METRIC, start, end), "anomaly_variants": points,
            "counts": counts(flagged=len(points), changed=changed)}


def run(ctx: TaskContext) -> TaskOutcome:
    """Handle the flagged points of every series with each variant of the group."""
    variants = variant_list(ctx.params["variants"], tuple(HANDLERS), "variants")
    result = ctx.run_step(SeriesStep(
        reads={"anomalies": ctx.reading("anomalies", start=ctx.days_before_start(ctx.params["context_days"]),
                                        columns=ANOMALY_COLUMNS)},
        compute=handled,
        writes={"selection_scores": ctx.writing("selection_scores", among={"candidate": tuple(variants)},
                                                stage=STAGE),
                "anomaly_variants": ctx.writing("anomaly_variants", among={"variant": tuple(variants)})},
        kwargs={"variants": variants, "clean_threshold": ctx.params["clean_threshold"],
                "start": ctx.interval.start, "end": ctx.interval.end},
    ))
    return TaskOutcome(rows_in=result.rows_in["anomalies"], rows_out=result.rows_out["anomaly_variants"],
                       n_series=result.n_series, counts={"variants": len(variants), **result.totals()})


SPEC = register(TaskSpec(
    name="handle-anomalies",
    summary="Handle anomalous points with a group of variants (replace by expected, EMA, clip, keep)",
    inputs=("anomalies",),
    outputs=("selection_scores", "anomaly_variants"),
    params=(
        Param("variants", str, ",".join(HANDLERS), "Handling variants to run (comma list)"),
        CLEAN_THRESHOLD,
        Param("context_days", float, 1.0, "Days before the interval (EMA history)", minimum=0.0, maximum=366),
    ),
    run=run,
))
