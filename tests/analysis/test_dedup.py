from __future__ import annotations

import numpy as np
import pytest

from sparkhu.analysis.dedup import deduplicate
from tests.analysis.helpers import long_frame, offsets

# Arrival order = row order. At t=0: an exact duplicate of 1.0; at t=60: conflict 1, 4, 4 (4 repeated),
# plus a NaN beside them; at t=120: only NaNs; at t=180: a clean point; series b in between.
PLANTED = long_frame(
    ["a", "a", "a", "b", "a", "a", "a", "a", "a", "a", "a"],
    [0, 0, 60, 0, 60, 60, 60, 120, 120, 180, 60],
    [1.0, 1.0, 1.0, 7.0, 4.0, np.nan, 4.0, np.nan, np.nan, 5.0, 10.0],
)


@pytest.mark.parametrize(
    ("policy", "resolved"),
    [("first", 1.0), ("last", 10.0), ("mean", 5.0), ("median", 4.0)],
)
def test_conflict_resolved_by_policy(policy, resolved) -> None:
    result = deduplicate(PLANTED, policy)
    frame = result.frame

    assert list(frame["series_id"]) == ["a", "a", "a", "a", "b"]
    assert offsets(frame) == [0, 60, 120, 180, 0]
    values = frame["value"].tolist()
    # The distinct real values at t=60 are 1, 4 and 10.
    assert values[1] == resolved
    assert values[0] == 1.0 and np.isnan(values[2]) and values[3] == 5.0 and values[4] == 7.0


def test_flags_and_counts() -> None:
    result = deduplicate(PLANTED)

    assert list(result.frame["n_raw"]) == [2, 5, 2, 1, 1]
    assert str(result.frame["n_raw"].dtype) == "int32"
    assert list(result.frame["conflict"]) == [False, True, False, False, False]
    assert result.counts == {
        "rows_in": 11,
        "exact_duplicates": 3,  # 1.0 at t=0, 4.0 at t=60, the second NaN at t=120
        "conflicting_timestamps": 1,
        "conflicting_rows": 3,
        "nan_beside_values": 1,
        "rows_out": 5,
    }


def test_nan_beside_one_real_value_is_no_conflict() -> None:
    result = deduplicate(long_frame("a", [0, 0], [np.nan, 2.5]), "first")
    assert result.frame["value"].tolist() == [2.5]
    assert result.frame["conflict"].tolist() == [False]


def test_clean_input_is_unchanged() -> None:
    frame = long_frame("a", [0, 60, 120], [1.0, 2.0, 3.0])
    result = deduplicate(frame)
    assert result.frame[["series_id", "ts", "value"]].equals(frame)
    assert result.counts["exact_duplicates"] == 0 and result.counts["rows_out"] == 3


def test_unknown_policy_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown duplicate policy 'max'"):
        deduplicate(PLANTED, "max")  # type: ignore[arg-type]


def test_empty_frame() -> None:
    result = deduplicate(long_frame("a", [], []))
    assert result.frame.empty and result.counts["rows_out"] == 0
