"""Task ``decompose``: trend + seasonal(s) + residual of the imputed series (fast multi-seasonal)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from sparkhu.analysis.decompose import decompose, observed_residual
from sparkhu.tasks.context import TaskContext
from sparkhu.tasks.engines import SeriesStep, counts
from sparkhu.tasks.params import Param
from sparkhu.tasks.spec import TaskOutcome, TaskSpec, register


def with_observed(imputed: pd.DataFrame, outliers: pd.DataFrame) -> pd.DataFrame:
    """The imputed rows plus ``observed``: the value before imputation (NaN where it was missing)."""
    observed = outliers[["series_id", "ts", "value", "is_missing"]].rename(columns={"value": "observed"})
    observed.loc[observed["is_missing"], "observed"] = float("nan")
    return imputed.merge(observed.drop(columns="is_missing"), on=["series_id", "ts"], how="left")


def decomposed(frames: Mapping[str, pd.DataFrame], *, periods: Mapping[str, float], start: pd.Timestamp
               ) -> dict[str, pd.DataFrame]:
    """Components of whole series fitted over the context; rows from ``start`` with the observed residual."""
    parts = decompose(with_observed(frames["imputed"], frames["outliers"]), periods)
    parts = parts[parts["ts"] >= start].copy()
    parts["residual"] = observed_residual(parts, parts["observed"])
    seasonal = parts.drop_duplicates("series_id")["seasonal_periods"].fillna("").str.len().gt(0)
    return {"decomposed": parts, "counts": counts(seasonal_series=int(seasonal.sum()))}


def run(ctx: TaskContext) -> TaskOutcome:
    """Fit trend and seasons on the imputed series; take the residual from the observed values.

    Seasonal lengths derive from the decided period (daily, weekly when the data covers them).
    """
    since = ctx.days_before_start(ctx.params["context_days"])
    result = ctx.run_step(SeriesStep(
        reads={"imputed": ctx.reading("imputed", start=since),
               "outliers": ctx.reading("outliers", start=since, columns=("series_id", "ts", "value", "is_missing"))},
        compute=decomposed, writes={"decomposed": ctx.writing("decomposed")},
        kwargs={"periods": ctx.periods(), "start": ctx.interval.start},
    ))
    return TaskOutcome(rows_in=result.rows_in["imputed"], rows_out=result.rows_out["decomposed"],
                       n_series=result.n_series, counts=result.totals())


SPEC = register(TaskSpec(
    name="decompose",
    summary="Trend, seasonal (daily/weekly from the decided period) and residual columns",
    inputs=("imputed", "outliers", "regularity"),
    outputs=("decomposed",),
    params=(Param("context_days", float, 21.0, "Days before the interval used to fit seasons and trend",
                  minimum=0.0, maximum=3650),),
    run=run,
))
