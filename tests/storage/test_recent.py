"""The written-slice cache: a read it serves equals the lake's, and any other writer's change sends reads back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from sparkhu.storage import lake as lake_module
from sparkhu.storage.lake import Lake, Slice
from sparkhu.storage.recent import RECENT, RecentWrites, Remembered, disjoint

T0 = pd.Timestamp("2024-01-30", tz="UTC")
DAY = pd.Timedelta(days=1)


def points(series: list[str], start: pd.Timestamp, n: int, value: float = 1.0) -> pd.DataFrame:
    ts = pd.date_range(start, periods=n, freq="1h", tz="UTC")
    return pd.DataFrame({"series_id": np.repeat(series, n), "ts": np.tile(ts, len(series)),
                         "value": value + np.arange(n * len(series)) / 10, "source": "s", "line": 1,
                         "ingested_at": T0})


def span(start: pd.Timestamp, days: int, series: tuple[str, ...] | None = None) -> Slice:
    return Slice(start=start, end=start + days * DAY, series=series)


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    RECENT.clear()
    yield
    RECENT.clear()


def served(lake: Lake, where: Slice) -> bool:
    table = lake.table("validated")
    assert table is not None
    return RECENT.serve(lake.uri("validated"), table, where, "ts", True) is not None


def from_lake(lake: Lake, where: Slice) -> pd.DataFrame:
    """The read with the cache bypassed."""
    kept, lake_module.RECENT = lake_module.RECENT, RecentWrites()
    try:
        return lake.read("validated", where)
    finally:
        lake_module.RECENT = kept


def sorted_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["series_id", "ts"]).reset_index(drop=True)


def as_another_writer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Later writes in this test behave as another process's: they neither see nor update our cache."""
    monkeypatch.setattr(lake_module, "RECENT", RecentWrites())


def test_a_served_read_equals_the_lakes_including_a_narrower_filter(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path))
    where = span(T0, 3, ("a", "b"))
    lake.replace("validated", points(["a", "b"], T0, 72), where)
    narrower = span(T0 + DAY, 1, ("b",))
    for read in (where, narrower):
        assert served(lake, read)
        # Row order is not part of a read's contract (the lake's follows its files).
        pd.testing.assert_frame_equal(sorted_rows(lake.read("validated", read)), sorted_rows(from_lake(lake, read)))
    assert len(lake.read("validated", narrower)) == 24


def test_a_read_starting_earlier_takes_only_its_head_from_the_lake(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path))
    lake.replace("validated", points(["a"], T0, 48), span(T0, 2, ("a",)))
    lake.replace("validated", points(["a"], T0 + 2 * DAY, 48, value=5.0), span(T0 + 2 * DAY, 2, ("a",)))
    context = Slice(start=T0 + DAY, end=T0 + 4 * DAY, series=("a",))
    assert served(lake, context)
    combined = lake.read("validated", context)
    assert len(combined) == 72 and combined["ts"].is_monotonic_increasing
    pd.testing.assert_frame_equal(sorted_rows(combined), sorted_rows(from_lake(lake, context)))


def test_another_writers_overwrite_or_delete_sends_the_read_back_to_the_lake(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lake = Lake(str(tmp_path))
    where = span(T0, 2, ("a",))
    lake.replace("validated", points(["a"], T0, 48), where)
    as_another_writer(monkeypatch)
    lake.replace("validated", points(["a"], T0, 48, value=9.0), where)
    assert not served(lake, where)
    assert lake.read("validated", where)["value"].min() == 9.0
    lake_module.RECENT.clear()
    lake.replace("validated", points(["a"], T0, 0), where)
    assert lake.read("validated", where).empty


def test_an_append_inside_our_bounds_invalidates_and_a_disjoint_one_does_not(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lake = Lake(str(tmp_path))
    where = span(T0, 4, ("a",))
    lake.replace("validated", points(["a"], T0, 24), where)  # rows on the first day only
    as_another_writer(monkeypatch)
    lake.replace("validated", points(["b"], T0, 24), span(T0, 4, ("b",)))  # another shard's series
    assert served(lake, where)
    # A blind append (its own slice held no rows) that lands inside our bounds: the lake now has more.
    lake.replace("validated", points(["a"], T0 + 2 * DAY, 24), span(T0 + 2 * DAY, 2, ("a",)))
    assert not served(lake, where)
    assert len(lake.read("validated", where)) == 48


def test_a_commit_without_our_token_in_the_history_is_never_trusted(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path))
    where = span(T0, 1, ("a",))
    lake.replace("validated", points(["a"], T0, 24), where)
    remembered = next(iter(RECENT._slices.values()))
    RECENT.clear()
    RECENT.remember(lake.uri("validated"), Remembered(where, remembered.data, "not-our-token",
                                                      remembered.version_before))
    assert not served(lake, where)


def test_a_slice_over_a_quarter_of_the_budget_is_not_kept(tmp_path: Path) -> None:
    small = RecentWrites(budget_bytes=1024)
    lake = Lake(str(tmp_path))
    lake.replace("validated", points(["a"], T0, 24), span(T0, 1, ("a",)))
    remembered = next(iter(RECENT._slices.values()))
    small.remember("uri", remembered)
    assert remembered.data.nbytes > 256 and not small._slices


@pytest.mark.parametrize(("theirs", "timed", "expected"), [
    ({"series": ["b"]}, True, True),
    ({"series": ["a", "b"]}, True, False),
    ({"series": None}, True, False),
    ({"start": T0 + 2 * DAY, "end": None}, True, True),
    ({"start": T0 + DAY, "end": T0 + 3 * DAY}, True, False),
    ({"start": None, "end": T0}, True, True),
    ({"start": None, "end": T0}, False, False),  # no time column: intervals bound nothing
    ({"equals": {"source": "other"}}, True, True),
    ({"among": {"source": ["s", "t"]}}, True, False),
])
def test_disjointness_of_slices(theirs: dict[str, object], timed: bool, expected: bool) -> None:
    ours = Slice(start=T0, end=T0 + 2 * DAY, series=("a",), equals={"source": "s"})
    bounds = {"start": None, "end": None, "series": ["a"], "equals": {}, "among": {}} | theirs
    assert disjoint(ours, bounds, timed) is expected


def test_the_least_recently_used_slices_go_first_when_over_budget() -> None:
    rows = pa.table({"value": np.zeros(1000)})  # 8,000 bytes each
    cache = RecentWrites(budget_bytes=4 * rows.nbytes)
    for day_number in range(6):
        cache.remember("uri", Remembered(span(T0 + day_number * DAY, 1), rows, "t", 0))
    kept = [remembered.where.start for remembered in cache._slices.values()]
    assert kept == [T0 + n * DAY for n in (2, 3, 4, 5)] and cache._bytes == 4 * rows.nbytes
    cache.forget("uri", span(T0 + 2 * DAY, 1))
    assert cache._bytes == 3 * rows.nbytes
