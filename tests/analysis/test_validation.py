from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sparkhu.analysis.validation import REASONS, validate_points
from tests.analysis.helpers import T0, at, long_frame, offsets

NOW = T0 + pd.Timedelta(days=30)
WINDOW = {"start": T0, "end": T0 + pd.Timedelta(days=1), "now": NOW}


def test_each_rule_rejects_with_its_reason() -> None:
    frame = long_frame(
        ["a", "a", "a", "a", "a", "b", "b", "b", "b"],
        [0, 60, 120, 180, 90_000, 0, 60, 120, 180],
        [1.0, np.inf, -np.inf, np.nan, 2.0, -1.0, 100.0, 100.5, 0.0],
    )
    result = validate_points(frame, ranges={"b": (0.0, 100.0)}, **WINDOW)

    assert list(result.rejected["reason"]) == [
        REASONS["non_finite_value"],
        REASONS["non_finite_value"],
        REASONS["outside_interval"],
        "below physical minimum 0",
        "above physical maximum 100",
    ]
    assert list(result.rejected["series_id"]) == ["a", "a", "a", "b", "b"]
    # NaN is a marked missing value, kept; inclusive bounds keep 0.0 and 100.0.
    assert list(result.valid["value"].fillna(-999)) == [1.0, -999, 100.0, 0.0]
    counts = result.counts
    assert counts["rows_in"] == 9 and counts["valid"] == 4 and counts["rejected"] == 5
    assert counts["rejected_non_finite_value"] == 2
    assert counts["rejected_outside_interval"] == 1
    assert counts["rejected_below_minimum"] == 1 and counts["rejected_above_maximum"] == 1
    assert counts["marked_missing"] == 1


def test_timestamps_null_implausible_or_far_future_are_rejected() -> None:
    frame = pd.DataFrame(
        {
            "series_id": ["a", "a", "a", "a", None],
            "ts": [None, "1969-12-31T23:00:00Z", str(NOW + pd.Timedelta(days=2)), str(at(10)), str(at(20))],
            "value": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    result = validate_points(frame, start=None, end=None, now=NOW)

    assert list(result.rejected["reason"]) == [
        REASONS["missing_timestamp"],
        REASONS["implausible_timestamp"],
        REASONS["implausible_timestamp"],
        REASONS["missing_series_id"],
    ]
    assert offsets(result.valid) == [10.0]
    assert result.counts["rejected_implausible_timestamp"] == 2


def test_text_values_are_rejected_but_missing_tokens_are_kept() -> None:
    frame = pd.DataFrame(
        {"series_id": "a", "ts": [at(0), at(60), at(120), at(180)], "value": ["1.5", "oops", "NaN", None]}
    )
    result = validate_points(frame, **WINDOW)

    assert list(result.rejected["reason"]) == [REASONS["non_numeric_value"]]
    assert result.valid["value"].tolist()[0] == 1.5
    assert result.valid["value"].isna().sum() == 2
    assert result.valid["value"].dtype == np.float64


def test_first_broken_rule_wins() -> None:
    frame = long_frame("b", [90_000], [np.inf])
    result = validate_points(frame, ranges={"b": (0.0, 1.0)}, **WINDOW)
    assert list(result.rejected["reason"]) == [REASONS["outside_interval"]]


def test_out_of_order_counted_per_series_in_arrival_order() -> None:
    # Arrival order is (source, line), not row order: rows are shuffled on purpose.
    frame = long_frame(
        ["a", "a", "a", "a", "b", "b"],
        [60, 0, 120, 30, 0, 60],
        [1, 2, 3, 4, 5, 6],
        source=["f1", "f1", "f1", "f2", "f1", "f1"],
        line=[2, 1, 3, 1, 4, 5],
    )
    result = validate_points(frame, **WINDOW)

    # Series a arrives as 0, 60, 120 (file f1) then 30 (file f2): one late point. b is in order.
    assert result.counts["out_of_order"] == 1
    assert result.out_of_order_by_series == {"a": 1}
    assert result.counts["series_out_of_order"] == 1
    assert list(result.valid["series_id"]) == ["a", "a", "a", "a", "b", "b"]
    assert offsets(result.valid) == [0, 30, 60, 120, 0, 60]
    assert list(result.valid["line"]) == [1, 1, 2, 3, 4, 5]


def test_equal_keys_keep_arrival_order_and_types() -> None:
    frame = long_frame(["a", "a", "a"], [0, 0, 0], [3, 1, 2], source=["s", "s", "s"], line=[3, 1, 2])
    result = validate_points(frame, **WINDOW)

    assert list(result.valid["value"]) == [1, 2, 3]
    assert result.counts["out_of_order"] == 0
    assert str(result.valid["ts"].dtype) == "datetime64[us, UTC]"
    assert str(result.valid["series_id"].dtype) == "string"
    assert list(result.valid.columns) == ["series_id", "ts", "value", "source", "line"]


def test_missing_column_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="value"):
        validate_points(pd.DataFrame({"series_id": ["a"], "ts": [T0]}), **WINDOW)


def test_empty_frame() -> None:
    result = validate_points(long_frame("a", [], []), **WINDOW)
    assert result.counts["rows_in"] == 0 and result.valid.empty and result.rejected.empty
