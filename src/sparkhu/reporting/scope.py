"""What a report covers: which run, which time interval and which series."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from sparkhu.storage.lake import Lake, Slice

#: Series plotted when none are named.
DEFAULT_SERIES_LIMIT = 12
#: Tables whose series ids define "the series" of a report, most processed first.
SERIES_SOURCES = ("stats", "regularity", "missing_marked", "deduplicated", "validated", "raw")


class ReportScopeError(ValueError):
    """The requested run or series do not exist in the lake."""


@dataclass(frozen=True)
class ReportRequest:
    """What the user asked for (``sparkhu report`` options).

    Attributes:
        run_id: Workflow run id or a prefix of it; None: the latest recorded run.
        series: Series to plot; empty: the first ``limit`` series by id.
        start: Interval start (UTC); overrides the run's interval.
        end: Interval end (exclusive, UTC); overrides the run's interval.
        limit: Most series plotted when ``series`` is empty.
    """

    run_id: str | None = None
    series: tuple[str, ...] = ()
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    limit: int = DEFAULT_SERIES_LIMIT


@dataclass(frozen=True)
class ReportScope:
    """The resolved request.

    Attributes:
        run_id: The run reported on (None: report rows without a run id, or none at all).
        start: Interval start (None: unbounded).
        end: Interval end (None: unbounded).
        reports: The ``reports`` rows of the run (or of the interval).
        all_series: Every series id with data in the interval, sorted.
        series: The series given a section of their own.
        notes: One-line explanations of the choices made (shown under the report header).
    """

    run_id: str | None
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    reports: pd.DataFrame
    all_series: tuple[str, ...]
    series: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())

    def slice(self, series: tuple[str, ...] | None = None) -> Slice:
        """The lake slice of the interval, optionally restricted to ``series``."""
        return Slice(start=self.start, end=self.end, series=series)


def resolve_scope(lake: Lake, request: ReportRequest) -> ReportScope:
    """Pick the run, interval and series a report covers.

    Raises:
        ReportScopeError: The run id matches no report row, or a named series has no data.
    """
    reports = lake.read("reports")
    run_id, run_rows, notes = _pick_run(reports, request.run_id)
    start, end = _interval(run_rows, request)
    in_interval = _rows_overlapping(reports, start, end) if run_id is None else run_rows
    all_series = series_ids(lake, Slice(start=start, end=end))
    chosen, series_note = _pick_series(all_series, request)
    return ReportScope(run_id, start, end, in_interval.reset_index(drop=True), all_series, chosen,
                       (*notes, series_note))


def _pick_run(reports: pd.DataFrame, wanted: str | None) -> tuple[str | None, pd.DataFrame, list[str]]:
    """The run id, its report rows and a note on how it was chosen."""
    if wanted is not None:
        run_id = _match_run(reports, wanted)
        return run_id, reports[reports["run_id"] == run_id], []
    with_run = reports.dropna(subset=["run_id"])
    if with_run.empty:
        note = "No recorded workflow run: showing every task report in the interval."
        return None, reports, [note] if len(reports) else ["No task report rows in the lake."]
    latest = str(with_run.sort_values("started_at", kind="stable")["run_id"].iloc[-1])
    note = f"Run {latest} is the latest recorded run (--run picks another)."
    return latest, reports[reports["run_id"] == latest], [note]


def _match_run(reports: pd.DataFrame, wanted: str) -> str:
    """The one run id starting with ``wanted``."""
    known = sorted({str(run) for run in reports["run_id"].dropna()})
    matches = [run for run in known if run.startswith(wanted.strip())]
    if len(matches) == 1:
        return matches[0]
    listed = ", ".join(known[-5:]) or "none"
    problem = "matches several runs" if matches else "matches no run in the reports table"
    raise ReportScopeError(f"run id {wanted!r} {problem}; recorded runs (latest 5): {listed}")


def _interval(rows: pd.DataFrame, request: ReportRequest) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """The requested interval, each missing bound taken from the run's report rows."""
    start = request.start if request.start is not None else _bound(rows["interval_start"].min())
    end = request.end if request.end is not None else _bound(rows["interval_end"].max())
    if start is not None and end is not None and end <= start:
        raise ReportScopeError(f"--end {end.isoformat()} must be after --start {start.isoformat()}")
    return start, end


def _bound(value: object) -> pd.Timestamp | None:
    """A timestamp bound, None for NaT (no rows)."""
    return None if pd.isna(value) else pd.Timestamp(value)


def _rows_overlapping(reports: pd.DataFrame, start: pd.Timestamp | None, end: pd.Timestamp | None) -> pd.DataFrame:
    """Report rows whose interval overlaps ``[start, end)``."""
    inside = pd.Series(True, index=reports.index)
    if start is not None:
        inside &= reports["interval_end"] > start
    if end is not None:
        inside &= reports["interval_start"] < end
    return reports[inside]


def series_ids(lake: Lake, where: Slice) -> tuple[str, ...]:
    """Sorted series ids of the most processed table that has rows in ``where``."""
    for name in SERIES_SOURCES:
        if lake.table(name) is None:
            continue
        ids = lake.read(name, where, columns=["series_id"])["series_id"]
        if len(ids):
            return tuple(sorted(ids.astype(str).unique()))
    return ()


def _pick_series(all_series: tuple[str, ...], request: ReportRequest) -> tuple[tuple[str, ...], str]:
    """The series that get a section, and a note saying why these."""
    if request.series:
        unknown = [s for s in request.series if s not in all_series]
        if unknown:
            shown = ", ".join(all_series[:10]) + (" ..." if len(all_series) > 10 else "")
            raise ReportScopeError(f"no data for series {unknown} in the interval; known series: {shown or 'none'}")
        return tuple(dict.fromkeys(request.series)), f"Series chosen with --series: {len(request.series)}."
    chosen = all_series[: request.limit]
    if len(all_series) > len(chosen):
        return chosen, (f"Showing the first {len(chosen)} of {len(all_series)} series by id; "
                        "choose others with --series.")
    return chosen, f"Showing all {len(chosen)} series (the first {request.limit} by id are shown by default)."
