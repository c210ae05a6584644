"""Task runtime units: parameters, intervals, shards, engine splits."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from sparkhu.tasks.interval import Shard, parse_shard, resolve_interval
from sparkhu.tasks.params import Param, TaskInputError, parse_params
from sparkhu.tasks.plan import shard_labels

PARAMS = (
    Param("policy", str, "mean", choices=("first", "mean")),
    Param("lookback_days", float, 60.0, minimum=0.5),
    Param("strict", bool, False),
)


def test_params_defaults_and_conversion() -> None:
    assert parse_params(PARAMS, []) == {"policy": "mean", "lookback_days": 60.0, "strict": False}
    assert parse_params(PARAMS, ["lookback-days=7", "strict=yes"])["lookback_days"] == 7.0


@pytest.mark.parametrize(("text", "message"), [
    ("policy=avg", "must be one of"),
    ("lookback_days=abc", "expects float"),
    ("lookback_days=0.1", "must be >= 0.5"),
    ("nope=1", "unknown parameter 'nope'"),
    ("policy", "expects key=value"),
    ("strict=maybe", "expects true/false"),
])
def test_bad_params_are_named(text: str, message: str) -> None:
    with pytest.raises(TaskInputError, match=message):
        parse_params(PARAMS, [text])


def test_empty_interval_is_previous_utc_day() -> None:
    interval = resolve_interval("", "", now=datetime(2024, 3, 5, 13, 0, tzinfo=UTC))
    assert interval.start == pd.Timestamp("2024-03-04", tz="UTC")
    assert interval.end == pd.Timestamp("2024-03-05", tz="UTC")


def test_interval_parsing_and_errors() -> None:
    interval = resolve_interval("2024-01-01T09:00+09:00", "2024-01-02")
    assert interval.start == pd.Timestamp("2024-01-01T00:00", tz="UTC")
    for start, end, message in [("2024-01-02", "2024-01-01", "after"), ("x", "2024-01-01", "ISO"),
                                ("2024-01-01", "", "both")]:
        with pytest.raises(TaskInputError, match=message):
            resolve_interval(start, end)


def test_shards_partition_series() -> None:
    ids = [f"s{i}" for i in range(1000)]
    shards = [parse_shard(f"{k}/4") for k in range(4)]
    owners = [sum(s.owns(i) for s in shards) for i in ids]
    assert owners == [1] * 1000
    assert all(150 < sum(s.owns(i) for i in ids) < 350 for s in shards)
    assert Shard().owns("anything")
    for bad in ("4/4", "1", "a/b", "0/0"):
        with pytest.raises(TaskInputError):
            parse_shard(bad)


def test_shard_labels() -> None:
    assert shard_labels(0, 250, 8) == ["0/1"]
    assert shard_labels(1000, 250, 8) == ["0/4", "1/4", "2/4", "3/4"]
    assert len(shard_labels(10_000, 250, 8)) == 8
