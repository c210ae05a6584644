"""Task ``regularity``: estimate each series' sampling period over a look-back window."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from sparkhu.analysis.regularity import estimate_periods
from sparkhu.tasks.context import TaskContext
from sparkhu.tasks.engines import SeriesStep, counts
from sparkhu.tasks.params import Param
from sparkhu.tasks.spec import TaskOutcome, TaskSpec, register


def estimates(frames: Mapping[str, pd.DataFrame], *, start: pd.Timestamp, end: pd.Timestamp,
              window_start: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """One period estimate per series from its timestamps since ``window_start``."""
    points = frames["validated"].sort_values(["series_id", "ts"], kind="stable", ignore_index=True)
    found = estimate_periods(points).assign(interval_start=start, interval_end=end, window_start=window_start)
    regular = int(found["is_regular"].fillna(False).sum())
    return {"regularity_estimates": found, "counts": counts(regular=regular, irregular=len(found) - regular)}


def run(ctx: TaskContext) -> TaskOutcome:
    """Estimate period, regularity and periodic error from the validated points of the look-back."""
    window_start = min(ctx.lookback(ctx.params["lookback_days"]), ctx.interval.start)
    result = ctx.run_step(SeriesStep(
        reads={"validated": ctx.reading("validated", start=window_start, columns=("series_id", "ts"))},
        compute=estimates, writes={"regularity_estimates": ctx.writing("regularity_estimates")},
        kwargs={"start": ctx.interval.start, "end": ctx.interval.end, "window_start": window_start},
    ))
    return TaskOutcome(rows_in=result.rows_in["validated"], rows_out=result.rows_out["regularity_estimates"],
                       n_series=result.rows_out["regularity_estimates"], counts=result.totals())


SPEC = register(TaskSpec(
    name="regularity",
    summary="Robust sampling-period estimate per series (dominant step / approximate GCD)",
    inputs=("validated",),
    outputs=("regularity_estimates",),
    params=(Param("lookback_days", float, 60.0, "Look-back window in days", minimum=0.01, maximum=3650,
                  workflow_name="regularity-lookback-days"),),
    run=run,
))
