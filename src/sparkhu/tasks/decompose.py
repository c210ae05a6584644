"""Task ``decompose``: trend + seasonal(s) + residual of the imputed series (fast multi-seasonal)."""

from __future__ import annotations

import pandas as pd

from sparkhu.analysis.decompose import decompose, observed_residual
from sparkhu.tasks.context import TaskContext
from sparkhu.tasks.params import Param
from sparkhu.tasks.spec import TaskOutcome, TaskSpec, register


def with_observed(imputed: pd.DataFrame, outliers: pd.DataFrame) -> pd.DataFrame:
    """The imputed rows plus ``observed``: the value before imputation (NaN where it was missing)."""
    observed = outliers[["series_id", "ts", "value", "is_missing"]].rename(columns={"value": "observed"})
    observed.loc[observed["is_missing"], "observed"] = float("nan")
    return imputed.merge(observed.drop(columns="is_missing"), on=["series_id", "ts"], how="left")


def run(ctx: TaskContext) -> TaskOutcome:
    """Fit trend and seasons on the imputed series; take the residual from the observed values.

    Seasonal lengths derive from the decided period (daily, weekly when the data covers them).
    """
    since = ctx.days_before_start(ctx.params["context_days"])
    frame = with_observed(ctx.read("imputed", start=since), ctx.read("outliers", start=since))
    parts = ctx.engine.map_series(decompose, frame, periods=ctx.periods())
    parts = parts[parts["ts"] >= ctx.interval.start].copy()
    parts["residual"] = observed_residual(parts, parts["observed"])
    ctx.write("decomposed", parts)
    seasonal = parts.drop_duplicates("series_id")["seasonal_periods"].fillna("").str.len().gt(0)
    return TaskOutcome(rows_in=len(frame), rows_out=len(parts), n_series=int(parts["series_id"].nunique()),
                       counts={"seasonal_series": int(seasonal.sum())})


SPEC = register(TaskSpec(
    name="decompose",
    summary="Trend, seasonal (daily/weekly from the decided period) and residual columns",
    inputs=("imputed", "regularity"),
    outputs=("decomposed",),
    params=(Param("context_days", float, 21.0, "Days before the interval used to fit seasons and trend",
                  minimum=0.0, maximum=3650),),
    run=run,
))
