from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sparkhu.analysis.outliers import DEFAULT_K, flag_outliers, iqr_fences, trailing_outliers
from tests.analysis.helpers import long_frame


def test_fences_known_answer() -> None:
    # 1..9: numpy quartiles 3 and 7, IQR 4.
    frame = long_frame("a", np.arange(9) * 60, np.arange(1, 10))
    fences = iqr_fences(frame, k=1.5)
    row = fences.iloc[0]
    assert (row["q1"], row["q3"], row["lower"], row["upper"]) == (3.0, 7.0, -3.0, 13.0)
    assert iqr_fences(frame).iloc[0]["upper"] == 7.0 + DEFAULT_K * 4.0


def test_planted_spikes_found_across_series() -> None:
    rng = np.random.default_rng(3)
    a = rng.normal(10, 1, 500)
    b = rng.normal(-50, 5, 500)
    a[[50, 300]] = [30.0, -15.0]
    b[123] = 20.0
    frame = pd.concat([long_frame("b", np.arange(500) * 60, b), long_frame("a", np.arange(500) * 60, a)])
    out = flag_outliers(frame, iqr_fences(frame))
    flagged = out[out["is_outlier"]]
    assert sorted(zip(flagged["series_id"], flagged["value"], strict=True)) == [("a", -15.0), ("a", 30.0), ("b", 20.0)]
    assert list(out.index) == list(frame.index)  # row order kept


def test_sample_window_gives_the_quartiles_and_missing_is_never_an_outlier() -> None:
    sample = long_frame("a", np.arange(8) * 60, [1, 2, 3, 4, 5, 6, 7, 8.0])
    sample.loc[7, "value"] = 1e9
    sample["is_missing"] = [False] * 7 + [True]  # ignored in the sample
    target = long_frame("a", [600, 660, 720], [100.0, 4.0, np.nan])
    target["is_missing"] = [True, False, True]
    out = flag_outliers(target, iqr_fences(sample, k=1.0))
    # Sample 1..7: q1 2.5, q3 5.5, fences -0.5 and 8.5; 100 is flagged missing, hence not an outlier.
    assert out["upper_fence"].tolist() == [8.5, 8.5, 8.5]
    assert out["is_outlier"].tolist() == [False, False, False]


def test_series_without_fences_and_bad_k() -> None:
    out = flag_outliers(long_frame("z", [0], [5.0]), iqr_fences(long_frame("a", [0], [1.0])))
    assert not out["is_outlier"].any() and out["lower_fence"].isna().all()
    with pytest.raises(ValueError, match="k must be"):
        iqr_fences(long_frame("a", [0], [1.0]), k=-1)


def _trending(days: int = 1100) -> tuple[pd.DataFrame, pd.Timestamp]:
    """A daily series, flat for two years, then growing by three times its level; one spike at day 700."""
    stamps = pd.date_range("2020-01-01", periods=days, freq="D", tz="UTC")
    values = 10 + np.maximum(np.arange(days) - 800, 0) * 0.1 + np.random.default_rng(0).normal(0, 0.2, days)
    values[700] += 8
    frame = pd.DataFrame({"series_id": "a", "ts": stamps, "value": values, "is_missing": False})
    return frame, stamps[-1] + pd.Timedelta(days=1)


def test_long_history_is_judged_by_trailing_windows_not_by_its_whole_quartiles() -> None:
    frame, end = _trending()
    whole = flag_outliers(frame, iqr_fences(frame))
    assert whole["is_outlier"].tail(50).all()  # the real, recent growth would be destroyed
    trailing = trailing_outliers(frame, frame["ts"].iloc[0], end, pd.Timedelta(days=60))
    assert len(trailing) == len(frame)
    assert np.flatnonzero(trailing["is_outlier"]).tolist() == [700]


def test_one_day_interval_has_exactly_the_fences_of_the_window_before_its_end() -> None:
    frame, end = _trending()
    window = pd.Timedelta(days=60)
    sample = frame[frame["ts"] >= end - pd.Timedelta(days=61)]
    flagged = trailing_outliers(sample, end - pd.Timedelta(days=1), end, window)
    expected = iqr_fences(frame[frame["ts"] >= end - window]).iloc[0]
    assert len(flagged) == 1
    assert flagged["lower_fence"].iloc[0] == pytest.approx(expected["lower"])
    assert flagged["upper_fence"].iloc[0] == pytest.approx(expected["upper"])


def test_a_window_with_few_points_flags_nothing() -> None:
    stamps = pd.date_range("2020-01-01", periods=40, freq="30D", tz="UTC")  # monthly: 2 points in 60 days
    values = np.r_[np.ones(39), 1000.0]
    frame = pd.DataFrame({"series_id": "m", "ts": stamps, "value": values})
    flagged = trailing_outliers(frame, stamps[0], stamps[-1] + pd.Timedelta(days=1), pd.Timedelta(days=60))
    assert not flagged["is_outlier"].any()
    assert flagged["upper_fence"].isna().all()
