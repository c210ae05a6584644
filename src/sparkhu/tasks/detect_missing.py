"""Task ``detect-missing``: marked (NaN) and unmarked (gaps) missing values as explicit rows.

A gap that crosses the interval's start is measured from the previous interval's last point; a gap
that crosses its end, to the next interval's first point when it has arrived. The task re-settles the
``settle_days`` before its interval too, so that yesterday's trailing gap is completed by today's run
once today's first point exists. Each run writes only its own slice, so nothing is duplicated.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

import pandas as pd

from sparkhu.analysis.missing import mark_missing
from sparkhu.tasks.context import TaskContext
from sparkhu.tasks.engines import SeriesStep, counts
from sparkhu.tasks.params import Param
from sparkhu.tasks.spec import TaskOutcome, TaskSpec, register

POINTS = ("series_id", "ts", "value")


def border_stamps(frame: pd.DataFrame, last: bool) -> dict[str, pd.Timestamp]:
    """Each series' last (or first) timestamp in ``frame``."""
    grouped = frame.groupby("series_id", sort=False)["ts"]
    stamps = grouped.max() if last else grouped.min()
    return {str(key): value for key, value in stamps.items()}


def marked(frames: Mapping[str, pd.DataFrame], *, periods: Mapping[str, float], start: pd.Timestamp,
           end: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """The grid rows of some whole series in ``[start, end)``, gaps closed by the border points."""
    points = frames["points"].sort_values(["series_id", "ts"], kind="stable", ignore_index=True)
    rows = mark_missing(points, periods, start=start, end=end, previous=border_stamps(frames["before"], True),
                        following=border_stamps(frames["after"], False))
    kinds = rows["missing_kind"].value_counts()
    return {"missing_marked": rows,
            "counts": counts(marked=int(kinds.get("marked", 0)), unmarked=int(kinds.get("unmarked", 0)))}


def run(ctx: TaskContext) -> TaskOutcome:
    """Insert ``is_missing`` rows for gaps of at least 1.5 decided periods; flag NaN values."""
    start = ctx.interval.start - timedelta(days=ctx.params["settle_days"])
    reach = timedelta(days=ctx.params["border_lookback_days"])
    result = ctx.run_step(SeriesStep(
        reads={"points": ctx.reading("deduplicated", start=start, columns=POINTS),
               "before": ctx.reading("deduplicated", start=start - reach, end=start, columns=("series_id", "ts")),
               "after": ctx.reading("deduplicated", start=ctx.interval.end, end=ctx.interval.end + reach,
                                    columns=("series_id", "ts"))},
        compute=marked, writes={"missing_marked": ctx.writing("missing_marked", start=start)},
        kwargs={"periods": ctx.periods(start), "start": start, "end": ctx.interval.end},
    ))
    return TaskOutcome(rows_in=result.rows_in["points"], rows_out=result.rows_out["missing_marked"],
                       n_series=result.n_series, counts=result.totals())


SPEC = register(TaskSpec(
    name="detect-missing",
    summary="Marked (NaN) and unmarked (gap) missing points as explicit is_missing rows",
    inputs=("deduplicated", "regularity"),
    outputs=("missing_marked",),
    params=(
        Param("border_lookback_days", float, 7.0, "How far to look for the neighbouring points",
              minimum=0.0, maximum=366),
        Param("settle_days", float, 1.0, "Days before the interval that are re-settled",
              minimum=0.0, maximum=31),
    ),
    run=run,
))
