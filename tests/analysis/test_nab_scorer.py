from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmarks.nab.scorer import probation_length, score, score_file


def stamps(n: int) -> pd.Series:
    return pd.Series(pd.date_range("2024-01-01", periods=n, freq="1min"))


def window(first: int, last: int) -> tuple[str, str]:
    base = pd.Timestamp("2024-01-01")
    return (str(base + pd.Timedelta(first, "min")), str(base + pd.Timedelta(last, "min")))


def flags(n: int, at: list[int]) -> np.ndarray:
    out = np.zeros(n, bool)
    out[at] = True
    return out


def test_probation_is_fifteen_percent_capped_at_750() -> None:
    assert probation_length(100) == 15 and probation_length(1003) == 150 and probation_length(10_000) == 750


def test_window_detected_by_one_flag_inside_inclusive_borders() -> None:
    result = score_file(stamps(100), flags(100, [60]), [window(50, 60)])
    assert (result.windows, result.detected, result.false_positives) == (1, 1, 0)


def test_runs_outside_windows_are_one_false_positive_each_and_split_at_windows() -> None:
    # 1000 points (probation 150) keep the 20 flags under 5 %. Run 230..233 is one FP; run 248..262
    # crosses the window 250..260: parts 248-249 and 261-262 are two FPs; 280 is the fourth.
    marks = flags(1000, [230, 231, 232, 233, *range(248, 263), 280])
    result = score_file(stamps(1000), marks, [window(250, 260)])
    assert (result.detected, result.false_positives) == (1, 4)


def test_probationary_flags_count_neither_way() -> None:
    result = score_file(stamps(100), flags(100, [5, 10]), [window(8, 12)])
    assert (result.detected, result.false_positives) == (0, 0)


def test_a_file_flagging_more_than_five_percent_detects_nothing() -> None:
    # 85 scored points: 5 flags are 5.9 %; 55 and 60 (the border counts) lie inside the window.
    marks = flags(100, [20, 40, 60, 80, 55])
    result = score_file(stamps(100), marks, [window(50, 60)])
    assert result.detected == 0 and result.false_positives == 3
    assert score_file(stamps(100), flags(100, [20, 40, 60, 55]), [window(50, 60)]).detected == 1


def test_totals_over_files_give_precision_recall_f1() -> None:
    labels = {"a.csv": [window(50, 60), window(80, 90)], "b.csv": [], "c.csv": [window(40, 45)]}
    results = {"a.csv": (stamps(100), flags(100, [55, 30])), "b.csv": (stamps(100), flags(100, [70]))}
    total = score(results, labels)
    assert (total.files, total.windows, total.detected, total.false_positives) == (3, 3, 1, 2)
    assert total.precision == pytest.approx(1 / 3) and total.recall == pytest.approx(1 / 3)
    assert total.f1 == pytest.approx(1 / 3)


def test_unsorted_input_is_scored_in_time_order() -> None:
    order = np.arange(100)[::-1]
    result = score_file(stamps(100).iloc[order], flags(100, [55])[order], [window(50, 60)])
    assert result.detected == 1


def test_length_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError, match="flags"):
        score_file(stamps(3), [True], [])
