from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sparkhu.analysis.missing import mark_missing, unmarked_count
from tests.analysis.helpers import T0, at, long_frame, offsets

DAY = {"start": T0, "end": T0 + pd.Timedelta(days=1)}


def unmarked(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["missing_kind"] == "unmarked"]


def test_planted_gaps_and_marked_values() -> None:
    frame = pd.concat(
        [
            long_frame("a", [0, 60, 240, 300, 420], [1.0, np.nan, 3.0, 4.0, 5.0]),  # lacks 120, 180, 360
            long_frame("b", [0, 600, 1200, 3000], [1.0, 2.0, 3.0, 4.0]),  # lacks 1800, 2400
        ]
    )
    out = mark_missing(frame, {"a": 60.0, "b": 600.0}, **DAY)

    assert offsets(unmarked(out)) == [120, 180, 360, 1800, 2400]
    assert list(unmarked(out)["series_id"]) == ["a", "a", "a", "b", "b"]
    assert unmarked(out)["value"].isna().all()
    assert offsets(out[out["missing_kind"] == "marked"]) == [60]
    assert out["is_missing"].sum() == 6
    assert out["missing_kind"].isna().sum() == 8  # the real, non-missing points
    assert list(out.columns) == ["series_id", "ts", "value", "is_missing", "missing_kind"]
    assert str(out["ts"].dtype) == "datetime64[us, UTC]" and str(out["missing_kind"].dtype) == "string"


def test_drifting_timestamps_get_evenly_spaced_points() -> None:
    # 540 s = 1.8 periods: one point lacks, placed mid-gap (not at 300, 60 s from nothing).
    # 400 s = 1.33 periods: below the 1.5 threshold, nothing lacks.
    frame = long_frame("a", [0, 540, 940, 1840], [1, 2, 3, 4])
    out = mark_missing(frame, {"a": 300.0}, **DAY)
    assert offsets(unmarked(out)) == [270, 1240, 1540]


def test_gap_threshold_and_rounding() -> None:
    steps = np.array([300, 449, 450, 750, 900, 1050])
    # 1.5 -> 1 lacking (round half to even gives 2 - 1), 2.5 -> 1, 3.0 -> 2, 3.5 -> 3.
    assert unmarked_count(steps, 300.0) == 0 + 0 + 1 + 1 + 2 + 3
    seconds = np.concatenate(([0], np.cumsum(steps)))
    out = mark_missing(long_frame("a", seconds, np.ones(len(seconds))), {"a": 300.0}, **DAY)
    assert len(unmarked(out)) == 7


def test_gap_from_the_previous_interval() -> None:
    frame = long_frame("a", [1200, 1800], [1.0, 2.0])
    out = mark_missing(frame, {"a": 600.0}, previous={"a": at(-600)}, **DAY)
    assert offsets(unmarked(out)) == [0, 600]


def test_neighbouring_intervals_share_a_border_gap_without_duplicates() -> None:
    points = long_frame("a", [-3600, -1800, 1800, 3600], [1, 2, 3, 4])
    periods = {"a": 600.0}
    before = mark_missing(points, periods, start=T0 - pd.Timedelta(days=1), end=T0, following={"a": at(1800)})
    after = mark_missing(points, periods, previous={"a": at(-1800)}, **DAY)

    # The gap from -1800 to 1800 lacks 5 points: two belong before the border, three after it.
    assert offsets(unmarked(before)) == [-3000, -2400, -1200, -600]
    assert offsets(unmarked(after)) == [0, 600, 1200, 2400, 3000]
    combined = pd.concat([before, after])
    assert not combined.duplicated(["series_id", "ts"]).any()
    assert len(unmarked(combined)) == 3 + 3 + 3  # gaps -3600..-1800, -1800..1800, 1800..3600


def test_interval_inside_a_long_gap_gets_its_share() -> None:
    hour = {"start": T0, "end": T0 + pd.Timedelta(hours=1)}
    previous, following = {"a": at(-365 * 86400)}, {"a": at(86400)}
    out = mark_missing(long_frame("a", [], []), {"a": 1.0}, previous=previous, following=following, **hour)
    assert len(out) == 3600 and out["is_missing"].all()
    assert offsets(out)[:2] == [0, 1] and offsets(out)[-1] == 3599


def test_rerun_is_identical_and_rows_outside_are_ignored() -> None:
    frame = long_frame("a", [-60, 0, 300, 86400], [9, 1, 2, 3])
    first = mark_missing(frame, {"a": 60.0}, previous={"a": at(-60)}, **DAY)
    assert offsets(first) == [0, 60, 120, 180, 240, 300]
    pd.testing.assert_frame_equal(first, mark_missing(frame, {"a": 60.0}, previous={"a": at(-60)}, **DAY))


@pytest.mark.parametrize("period", [None, float("nan"), 0.0])
def test_series_without_a_period_only_gets_marked_values(period) -> None:
    frame = long_frame("a", [0, 5000], [np.nan, 1.0])
    out = mark_missing(frame, {"a": period}, **DAY)
    assert list(out["missing_kind"].fillna("-")) == ["marked", "-"]
    assert list(mark_missing(frame, {}, **DAY)["is_missing"]) == [True, False]


def test_previous_inside_the_interval_is_ignored() -> None:
    frame = long_frame("a", [1200, 1800], [1.0, 2.0])
    out = mark_missing(frame, {"a": 600.0}, previous={"a": at(0)}, **DAY)
    assert unmarked(out).empty


def test_end_must_follow_start() -> None:
    with pytest.raises(ValueError, match="must be after start"):
        mark_missing(long_frame("a", [], []), {}, start=T0, end=T0)
