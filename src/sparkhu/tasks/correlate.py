"""Task ``correlate``: the relations between the series of one group (correlation, lead-lag, significance).

One node per series group (like the model tasks): it reads the group's ``cleaned`` values over the
look-back ending at the interval's end, blanks the points that ``imputed`` marks as missing (a fill is
invented, and the ``partners`` fill is itself regressed on correlated series: correlating fills would
measure the imputation), and measures every candidate pair with
:func:`sparkhu.analysis.correlation.correlate_series` on the pair's superperiod grid. The rows replace the
interval's slice of ``correlations`` for the group, so a rerun replaces instead of adding.

The work is cross-series (a pair needs both series in one call), which a :class:`SeriesStep` must not
split, so the task reads the group's slice and writes its slice itself, as the model tasks read a panel.

Bad input never fails the run: a group with fewer than two usable series writes no pair (count
``single_series_groups``), a pair with too little overlap or a constant partner is kept as a row with NaN
numbers and its ``note`` (counted by kind as ``not_comparable.<kind>``); the ``note`` output says it in
one line.
"""

from __future__ import annotations

import time
from dataclasses import asdict

import pandas as pd

from sparkhu.analysis.correlation import PairCorrelation, correlate_series
from sparkhu.tasks._modeling import GROUP
from sparkhu.tasks._panels import group_series
from sparkhu.tasks.context import TaskContext
from sparkhu.tasks.params import Param
from sparkhu.tasks.spec import TaskOutcome, TaskSpec, register

TABLE = "correlations"
SIGNIFICANCE = 0.05
"""A pair whose best lead-lag correlation has a p-value below this counts as ``significant``."""

NOTE_OUTPUT = "note"
"""Output: one line on what the run found (pairs, significant ones, why some were not comparable)."""

COLUMNS = ("group", "interval_start", "interval_end", *PairCorrelation.__dataclass_fields__)


def note_kind(note: str, n: int) -> str:
    """A short name for why a pair is not comparable (its report count is ``not_comparable.<kind>``)."""
    if "constant" in note:
        return "constant"
    return "no_overlap" if n == 0 else "short_overlap"


def pair_counts(frame: pd.DataFrame) -> dict[str, int]:
    """Pairs, significant pairs, pairs not comparable, and those by kind (``not_comparable.<kind>``)."""
    problems = frame[frame["note"] != ""]
    kinds: dict[str, int] = {}
    for note, n in zip(problems["note"], problems["n"], strict=True):
        key = f"not_comparable.{note_kind(str(note), int(n))}"
        kinds[key] = kinds.get(key, 0) + 1
    return {"pairs": len(frame), "significant": int((frame["p_value"] < SIGNIFICANCE).sum()),
            "not_comparable": len(problems), **dict(sorted(kinds.items()))}


def observed_points(cleaned: pd.DataFrame, imputed: pd.DataFrame) -> pd.DataFrame:
    """The cleaned values with the points the imputation filled set to NaN (only observations are related)."""
    missing = imputed.loc[imputed["is_missing"].astype(bool), ["series_id", "ts"]].assign(_filled=True)
    points = cleaned.merge(missing, on=["series_id", "ts"], how="left")
    points.loc[points["_filled"].eq(True), "value"] = float("nan")
    return points.drop(columns="_filled")


def correlation_rows(points: pd.DataFrame, periods: dict[str, float], group: str, start: pd.Timestamp,
                     end: pd.Timestamp, bound: int, max_lag: int) -> pd.DataFrame:
    """The ``correlations`` rows of one group's points (an empty frame with the columns when no pair)."""
    results = correlate_series(points, periods, dict.fromkeys(periods, group), declared={}, bound=bound,
                               max_lag=max_lag)
    rows = [{"group": group, "interval_start": start, "interval_end": end, **asdict(result)} for result in results]
    return pd.DataFrame(rows, columns=list(COLUMNS))


def run(ctx: TaskContext) -> TaskOutcome:
    """Relate the group's series over the look-back; replace the interval's slice of ``correlations``."""
    from sparkhu.storage.lake import Slice

    group, clock = ctx.params["group"], time.perf_counter()
    members = group_series(ctx, group)
    window = Slice(min(ctx.lookback(ctx.params["lookback_days"]), ctx.interval.start), ctx.interval.end, members)
    points = observed_points(ctx.lake.read("cleaned", window, columns=["series_id", "ts", "value"]),
                             ctx.lake.read("imputed", window, columns=["series_id", "ts", "is_missing"]))
    decided = ctx.periods(pd.Timestamp.min.tz_localize("UTC"))
    observed = set(points.loc[points["value"].notna(), "series_id"].astype(str))
    periods = {series: decided[series] for series in members if series in decided and series in observed}
    ctx.seconds["read"] = time.perf_counter() - clock
    counts = {"series": len(members), "no_data": len(set(members) - observed),
              "no_period": len((observed & set(members)) - set(decided))}
    if len(periods) < 2:
        frame = pd.DataFrame(columns=list(COLUMNS))
        note = (f"group {group!r} has {len(periods)} series with observed data and a decided period "
                f"({len(members)} registered): nothing to correlate")
        counts.update(single_series_groups=1, pairs=0, significant=0, not_comparable=0)
    else:
        clock = time.perf_counter()
        frame = correlation_rows(points, periods, group, ctx.interval.start, ctx.interval.end,
                                 ctx.params["bound"], ctx.params["max_lag"])
        ctx.seconds["compute"] = time.perf_counter() - clock
        found = pair_counts(frame)
        counts.update(single_series_groups=0, **found)
        detail = ", ".join(f"{name.split('.', 1)[1]}: {c}" for name, c in found.items() if "." in name)
        note = (f"group {group!r}: {found['pairs']} pairs of {len(periods)} series, {found['significant']} "
                f"significant (p < {SIGNIFICANCE}), {found['not_comparable']} not comparable"
                + (f" ({detail})" if detail else ""))
    clock = time.perf_counter()
    ctx.write(TABLE, frame, group=group)
    ctx.seconds["write"] = time.perf_counter() - clock
    strongest = frame["best_lag_corr"].abs().max() if len(frame) else float("nan")
    return TaskOutcome(rows_in=len(points), rows_out=len(frame), n_series=len(periods), counts=counts,
                       metrics={} if pd.isna(strongest) else {"max_abs_lag_corr": float(strongest)},
                       outputs={NOTE_OUTPUT: note})


SPEC = register(TaskSpec(
    name="correlate",
    summary="Correlation, lead-lag and its significance for the candidate pairs of a series group",
    inputs=("cleaned", "imputed", "regularity"),
    outputs=(TABLE,),
    params=(
        GROUP,
        Param("bound", int, 20, "Candidate partners per series (declared first, then the best-screened of "
              "its group): the work grows as series x bound", minimum=1, maximum=1000),
        Param("max_lag", int, 24, "Largest lead or lag searched, in steps of each pair's grid", minimum=1,
              maximum=10_000),
        Param("lookback_days", float, 28.0, "History related (days back from the interval's end)",
              minimum=0.01, maximum=3650),
    ),
    run=run,
    extra_outputs=(NOTE_OUTPUT,),
))
