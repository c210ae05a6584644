from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sparkhu.analysis.anomalies import detect_anomalies, event_peaks, residual_scores
from sparkhu.analysis.decompose import decompose

DAY = 288


def series(values: np.ndarray, name: str = "s") -> pd.DataFrame:
    ts = pd.date_range("2024-01-01", periods=len(values), freq="5min", tz="UTC").astype("datetime64[us, UTC]")
    return pd.DataFrame({"series_id": pd.Series([name] * len(values), dtype="string"), "ts": ts, "value": values})


def seasonal(days: int = 21, seed: int = 0) -> np.ndarray:
    i = np.arange(DAY * days)
    return 50 + 10 * np.sin(2 * np.pi * i / DAY) + np.random.default_rng(seed).normal(0, 1, len(i))


def test_planted_spikes_are_found_and_nothing_else() -> None:
    values = seasonal()
    values[2000] += 15
    values[4500] -= 20
    out = detect_anomalies(decompose(series(values), {"s": 300.0}))
    assert sorted(np.flatnonzero(out["is_anomaly"])) == [2000, 4500]
    assert out.loc[4500, "anomaly_score"] == pytest.approx(20, rel=0.15)
    assert np.allclose(out["expected"], out["trend"] + out["seasonal"])


def test_a_level_shift_raises_one_alarm_on_the_shifted_stretch() -> None:
    values = seasonal()
    values[3000:3300] += 6  # the level moves by 6 SDs for about a day
    out = detect_anomalies(decompose(series(values), {"s": 300.0}))
    alarms = np.flatnonzero(out["is_anomaly"])
    assert len(alarms) == 1 and 2988 <= alarms[0] < 3312
    assert out["shift_score"].iloc[2995:3005].max() > 4
    assert out["shift_score"].iloc[:2900].max() < 3


def test_clean_noise_raises_no_alarm_and_alarms_are_capped() -> None:
    out = detect_anomalies(decompose(series(seasonal(seed=3)), {"s": 300.0}))
    assert not out["is_anomaly"].any()
    values = seasonal()
    values[[1000, 2000, 3000, 4000]] += [30, 40, 50, 60]
    out = detect_anomalies(decompose(series(values), {"s": 300.0}), max_alarms=2)
    assert sorted(np.flatnonzero(out["is_anomaly"])) == [3000, 4000]


def test_robust_z_is_computed_from_median_and_mad() -> None:
    residual = np.array([0.0, 1, -1, 2, -2, 0, 10, np.nan])
    spike, _ = residual_scores(residual, shift_window=2)
    mad = 1.4826 * 1.0  # |r - 0| has median 1
    assert spike[6] == pytest.approx(10 / mad)
    assert np.isnan(spike[7])


def test_event_peaks_keep_the_highest_point_of_each_event() -> None:
    score = np.array([0, 7, 9, 8, 0, 0, 0, 0, 7.5, 0, np.nan])
    assert list(event_peaks(score, 6, 3, 5)) == [2, 8]
    assert list(event_peaks(score, 6, 3, 1)) == [2]
    assert list(event_peaks(score, 6, 10, 5)) == [2]


def test_parameters_are_checked() -> None:
    frame = decompose(series(seasonal(days=4)), {"s": 300.0})
    with pytest.raises(ValueError, match="threshold"):
        detect_anomalies(frame, threshold=0)
    with pytest.raises(ValueError, match="residual"):
        detect_anomalies(frame.drop(columns="residual"))


def test_alarms_move_to_the_nearest_observed_row() -> None:
    from sparkhu.analysis.anomalies import alarms_on_rows

    rows = pd.Series(pd.to_datetime(["2024-01-01 00:20", "2024-01-01 00:00", "2024-01-01 00:10"], utc=True))
    alarms = pd.Series(pd.to_datetime(["2024-01-01 00:05", "2024-01-01 00:19", "2024-01-01 09:00"], utc=True))
    # 00:05 ties between 00:00 and 00:10 -> the earlier; 00:19 -> 00:20; 09:00 -> the last row, 00:20
    assert alarms_on_rows(rows, alarms).tolist() == [True, True, False]
    assert not alarms_on_rows(rows, alarms.iloc[:0]).any()
