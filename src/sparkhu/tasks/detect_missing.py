"""Task ``detect-missing``: marked (NaN) and unmarked (gaps) missing values as explicit rows.

A gap that crosses the interval's start is measured from the previous interval's last point; a gap
that crosses its end, to the next interval's first point when it has arrived. The task re-settles the
``settle_days`` before its interval too, so that yesterday's trailing gap is completed by today's run
once today's first point exists. Each run writes only its own slice, so nothing is duplicated.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from sparkhu.analysis.missing import mark_missing
from sparkhu.tasks.context import TaskContext
from sparkhu.tasks.params import Param
from sparkhu.tasks.spec import TaskOutcome, TaskSpec, register


def border_points(ctx: TaskContext, start: pd.Timestamp) -> tuple[dict[str, pd.Timestamp], dict[str, pd.Timestamp]]:
    """Each series' last point before ``start`` and first point at or after the interval's end."""
    reach = timedelta(days=ctx.params["border_lookback_days"])
    before = ctx.read("deduplicated", start=start - reach, end=start)
    after = ctx.read("deduplicated", start=ctx.interval.end, end=ctx.interval.end + reach)
    previous = before.groupby("series_id", sort=False)["ts"].max()
    following = after.groupby("series_id", sort=False)["ts"].min()
    return ({str(k): v for k, v in previous.items()}, {str(k): v for k, v in following.items()})


def run(ctx: TaskContext) -> TaskOutcome:
    """Insert ``is_missing`` rows for gaps of at least 1.5 decided periods; flag NaN values."""
    start = ctx.interval.start - timedelta(days=ctx.params["settle_days"])
    points = ctx.read("deduplicated", start=start)[["series_id", "ts", "value"]]
    points = points.sort_values(["series_id", "ts"], kind="stable", ignore_index=True)
    previous, following = border_points(ctx, start)
    marked = ctx.engine.map_series(mark_missing, points, periods=ctx.periods(start), start=start,
                                   end=ctx.interval.end, previous=previous, following=following)
    ctx.lake.replace("missing_marked", marked, ctx.slice(start=start))
    kinds = marked["missing_kind"].value_counts()
    return TaskOutcome(rows_in=len(points), rows_out=len(marked), n_series=int(marked["series_id"].nunique()),
                       counts={"marked": int(kinds.get("marked", 0)), "unmarked": int(kinds.get("unmarked", 0))})


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
