from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sparkhu.reporting.scope import ReportRequest, ReportScopeError, resolve_scope
from sparkhu.storage.lake import Lake, Slice
from tests.reporting.synthetic import END, OLD_RUN_ID, RUN_ID, SERIES, START, Truth, report_rows


def test_default_is_the_latest_run_and_its_interval(full_lake: tuple[Lake, Truth]) -> None:
    scope = resolve_scope(full_lake[0], ReportRequest())
    assert scope.run_id == RUN_ID
    assert (scope.start, scope.end) == (START, END)
    assert set(scope.reports["task"]) == {"describe", "detect-missing", "pool-missing"}
    assert scope.series == SERIES == scope.all_series
    assert any("latest recorded run" in note for note in scope.notes)


def test_a_run_id_prefix_selects_that_run(full_lake: tuple[Lake, Truth]) -> None:
    scope = resolve_scope(full_lake[0], ReportRequest(run_id=OLD_RUN_ID[:6]))
    assert scope.run_id == OLD_RUN_ID
    assert scope.reports["duration_s"].tolist() == [9.0]


def test_unknown_run_lists_the_recorded_ones(full_lake: tuple[Lake, Truth]) -> None:
    with pytest.raises(ReportScopeError, match="matches no run") as error:
        resolve_scope(full_lake[0], ReportRequest(run_id="ffff"))
    assert RUN_ID in str(error.value)


def test_series_limit_and_choice(full_lake: tuple[Lake, Truth]) -> None:
    first = resolve_scope(full_lake[0], ReportRequest(limit=1))
    assert first.series == (SERIES[0],)
    assert "first 1 of 2 series by id" in first.notes[-1]
    chosen = resolve_scope(full_lake[0], ReportRequest(series=(SERIES[1],)))
    assert chosen.series == (SERIES[1],) and chosen.all_series == SERIES
    with pytest.raises(ReportScopeError, match="no data for series \\['nope'\\]"):
        resolve_scope(full_lake[0], ReportRequest(series=("nope",)))


def test_explicit_interval_overrides_the_runs(full_lake: tuple[Lake, Truth]) -> None:
    start = START + pd.Timedelta(hours=6)
    scope = resolve_scope(full_lake[0], ReportRequest(start=start))
    assert (scope.start, scope.end) == (start, END)
    with pytest.raises(ReportScopeError, match="must be after"):
        resolve_scope(full_lake[0], ReportRequest(start=END, end=START))
    outside = resolve_scope(full_lake[0], ReportRequest(start=END, end=END + pd.Timedelta(days=1)))
    assert outside.all_series == () and outside.series == ()


def test_without_run_ids_every_report_row_in_the_interval_counts(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path))
    lake.replace("reports", report_rows().assign(run_id=None), Slice())
    scope = resolve_scope(lake, ReportRequest())
    assert scope.run_id is None and len(scope.reports) == 4
    assert "No recorded workflow run" in scope.notes[0]
    empty = resolve_scope(Lake(str(tmp_path / "empty")), ReportRequest())
    assert (empty.run_id, empty.start, empty.end, empty.series) == (None, None, None, ())
