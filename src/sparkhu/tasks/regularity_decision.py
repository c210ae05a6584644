"""Task ``regularity-decision``: one decided period per series from the recent estimates."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from sparkhu.analysis.decision import decide_periods
from sparkhu.tasks.context import TaskContext
from sparkhu.tasks.engines import SeriesStep, counts
from sparkhu.tasks.params import Param
from sparkhu.tasks.spec import TaskOutcome, TaskSpec, register


def decisions(frames: Mapping[str, pd.DataFrame], *, start: pd.Timestamp, end: pd.Timestamp
              ) -> dict[str, pd.DataFrame]:
    """One decision per series that has estimates or a declared period (``features`` frame)."""
    features = frames["features"]
    declared = {str(series_id): None if pd.isna(period) else float(period)
                for series_id, period in zip(features["series_id"], features["period_seconds"], strict=True)}
    decided = decide_periods(frames["regularity_estimates"], declared).assign(interval_start=start, interval_end=end)
    contradicted = int(decided["contradicts_declared"].fillna(False).sum())
    confidence = float(decided["confidence"].sum())
    return {"regularity": decided,
            "counts": counts(contradicts_declared=contradicted, decided=len(decided)),
            "confidence": pd.DataFrame({"sum": [confidence]})}


def run(ctx: TaskContext) -> TaskOutcome:
    """Combine the estimates of runs within the look-back; a declared period wins unless contradicted."""
    since = min(ctx.lookback(ctx.params["lookback_days"]), ctx.interval.start)
    result = ctx.run_step(SeriesStep(
        reads={"regularity_estimates": ctx.reading("regularity_estimates", start=since)}, compute=decisions,
        writes={"regularity": ctx.writing("regularity")},
        kwargs={"start": ctx.interval.start, "end": ctx.interval.end},
        given={"features": ctx.feature_frame("period_seconds")},
    ))
    found = result.totals()
    decided = found.pop("decided", 0)
    confidence = float(result.collected["confidence"]["sum"].sum()) / decided if decided else 0.0
    return TaskOutcome(rows_in=result.rows_in["regularity_estimates"], rows_out=result.rows_out["regularity"],
                       n_series=decided, counts=found, metrics={"mean_confidence": confidence})


SPEC = register(TaskSpec(
    name="regularity-decision",
    summary="Decide one period per series with a confidence, stable against one bad day",
    inputs=("regularity_estimates",),
    outputs=("regularity",),
    params=(Param("lookback_days", float, 14.0, "Estimates of runs this many days back",
                  minimum=0.01, maximum=3650, workflow_name="decision-lookback-days"),),
    run=run,
))
