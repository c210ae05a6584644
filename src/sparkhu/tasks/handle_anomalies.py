"""Task ``handle-anomalies``: one handling variant (the workflow fans out over the variant list).

Cleaning handles more than the few ``is_anomaly`` alarms: every point whose residual score reaches
``clean_threshold`` is handled too, so that a model never trains on a spike an operator was not paged for.
"""

from __future__ import annotations

import pandas as pd

from sparkhu.analysis.anomaly_handling import HANDLERS, handle_anomalies
from sparkhu.tasks.context import TaskContext
from sparkhu.tasks.params import Param
from sparkhu.tasks.spec import TaskOutcome, TaskSpec, register

FLAG = "to_handle"
CLEAN_THRESHOLD = Param("clean_threshold", float, 5.0, "Residual score from which cleaning handles a point",
                        minimum=0.5, maximum=1000)
CONTEXT_DAYS = Param("context_days", float, 1.0, "Days before the interval (EMA history)", minimum=0.0,
                     maximum=366)


def cleaning_flags(anomalies: pd.DataFrame, clean_threshold: float) -> pd.DataFrame:
    """``anomalies`` plus the ``to_handle`` flag: alarms and every point scored at least the threshold."""
    scores = anomalies["anomaly_score"].fillna(0.0)
    return anomalies.assign(**{FLAG: anomalies["is_anomaly"].astype(bool) | (scores >= clean_threshold)})


def run(ctx: TaskContext) -> TaskOutcome:
    """Handle the flagged points of every series with ``variant``."""
    variant = ctx.params["variant"]
    anomalies = ctx.read("anomalies", start=ctx.days_before_start(ctx.params["context_days"]))
    flagged = cleaning_flags(anomalies, ctx.params["clean_threshold"])
    handled = ctx.engine.map_series(handle_anomalies, flagged, variant=variant, flag_column=FLAG)
    handled = handled[handled["ts"] >= ctx.interval.start]
    ctx.write("anomaly_variants", handled, variant=variant)
    changed = int((handled["value"] != handled["raw_value"]).sum())
    return TaskOutcome(rows_in=len(anomalies), rows_out=len(handled), n_series=int(handled["series_id"].nunique()),
                       counts={"flagged": int(handled[FLAG].sum()), "changed": changed})


SPEC = register(TaskSpec(
    name="handle-anomalies",
    summary="Handle anomalous points with one variant (replace by expected, EMA, clip, keep)",
    inputs=("anomalies",),
    outputs=("anomaly_variants",),
    params=(Param("variant", str, "keep", "Handling variant", choices=tuple(HANDLERS)), CLEAN_THRESHOLD,
            CONTEXT_DAYS),
    run=run,
))
