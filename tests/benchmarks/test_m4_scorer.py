from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmarks.m4.data import (
    LAST_TRAINING_MONDAY,
    align_forecasts,
    horizon_stamps,
    load_weekly,
    read_wide,
    to_long,
    write_long,
)
from benchmarks.m4.scorer import (
    PUBLISHED_NAIVE2_WEEKLY_MASE,
    PUBLISHED_NAIVE2_WEEKLY_SMAPE,
    coverage,
    mase,
    mase_scale,
    msis,
    naive,
    naive2,
    naive2_scores,
    owa,
    score,
    seasonal_naive,
    smape,
)

M4 = Path(__file__).resolve().parents[3] / "shared" / "data" / "m4"


def test_smape_hand_computed() -> None:
    # 200*2/4 = 100 at both steps; then 0 and 200*2/6 = 66.67 -> mean 33.33.
    assert smape([1, 3], [3, 1]) == pytest.approx(100.0)
    assert smape([2, 4], [2, 2]) == pytest.approx(100 / 3)


def test_smape_counts_both_zero_as_exact_and_peaks_at_200() -> None:
    assert smape([0.0, 1.0], [0.0, 1.0]) == 0.0
    # A zero forecast of a non-zero value (like opposite signs) gives the maximum, 200.
    assert smape([5.0], [0.0]) == pytest.approx(200.0)


def test_smape_rejects_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="forecasts"):
        smape([1, 2, 3], [1, 2])


def test_mase_with_lag_one() -> None:
    # In-sample |diff| = 1, 2, 3 -> scale 2; forecast MAE 1 -> 0.5.
    assert mase_scale([1, 2, 4, 7]) == pytest.approx(2.0)
    assert mase([8, 10], [9, 9], [1, 2, 4, 7]) == pytest.approx(0.5)


def test_mase_with_seasonal_lag() -> None:
    # Lag-2 differences of 1,5,3,9,5: 2, 4, 2 -> scale 8/3; error 4 -> 1.5. With m=1 the scale is
    # (4+2+6+4)/4 = 4, so the lag really changes the answer.
    insample = [1, 5, 3, 9, 5]
    assert mase([7], [3], insample, m=2) == pytest.approx(1.5)
    assert mase([7], [3], insample, m=1) == pytest.approx(1.0)


def test_mase_of_a_constant_training_part_is_nan_and_short_series_raise() -> None:
    assert np.isnan(mase([2.0], [1.0], [3.0, 3.0, 3.0]))
    with pytest.raises(ValueError, match="lag 3"):
        mase_scale([1.0, 2.0, 3.0], m=3)


def test_coverage_counts_borders_as_inside() -> None:
    # 1 in [0,2]; 2 in [2,2] (both borders); 3 below [3.5,4]; 4 above [0,3].
    assert coverage([1, 2, 3, 4], [0, 2, 3.5, 0], [2, 2, 4, 3]) == pytest.approx(0.5)


def test_msis_hand_computed_at_80_percent() -> None:
    # a = 0.2, so each unit of miss costs 10; widths 4, 2, 4; misses 1 (above) and 1 (below); scale 1.
    assert msis([5, 0, 2], [0, 1, 0], [4, 3, 4], [0, 1, 2], level=80) == pytest.approx((14 + 12 + 4) / 3)
    # At 95 % a miss costs 40: (4 + 40) + (2 + 40) + 4 over 3.
    assert msis([5, 0, 2], [0, 1, 0], [4, 3, 4], [0, 1, 2], level=95) == pytest.approx(90 / 3)


def test_owa_formula_and_reference_check() -> None:
    assert owa(8.0, 2.0, 10.0, 4.0) == pytest.approx(0.65)
    with pytest.raises(ValueError):
        owa(1.0, 1.0, 0.0, 1.0)


def test_naive_forecasts() -> None:
    assert naive([1.0, 2.0, 5.0], 3).tolist() == [5.0, 5.0, 5.0]
    assert naive2([1.0, 2.0, 5.0], 2).tolist() == [5.0, 5.0]
    assert seasonal_naive([1, 2, 3, 4, 5, 6], 5, m=3).tolist() == [4.0, 5.0, 6.0, 4.0, 5.0]
    with pytest.raises(ValueError, match="m = 1 only"):
        naive2([1.0, 2.0, 3.0, 4.0], 2, m=2)
    with pytest.raises(ValueError):
        seasonal_naive([1.0, 2.0], 2, m=3)


def test_score_averages_over_series_and_pools_coverage() -> None:
    train = {"a": np.array([1.0, 2.0, 4.0, 7.0]), "b": np.array([10.0, 10.0, 12.0])}
    test = {"a": np.array([8.0, 10.0]), "b": np.array([12.0, 14.0])}
    forecast = {"a": np.array([9.0, 9.0]), "b": np.array([12.0, 12.0])}
    lower = {"a": np.array([8.5, 8.5]), "b": np.array([11.0, 11.0])}
    upper = {"a": np.array([9.5, 9.5]), "b": np.array([13.0, 15.0])}
    result = score(train, test, forecast, lower, upper)
    # a: MASE 0.5, b: MAE 1 over scale 1 -> 1.0.
    assert result.series == 2
    assert result.mase == pytest.approx(0.75)
    assert result.mae == pytest.approx(1.0)
    expected_smape = (smape(test["a"], forecast["a"]) + smape(test["b"], forecast["b"])) / 2
    assert result.smape == pytest.approx(expected_smape)
    assert result.coverage == pytest.approx(0.5)  # only b's two points are inside
    assert result.msis is not None and result.msis > 0
    assert score(train, test, forecast).coverage is None


def test_score_requires_a_forecast_for_every_scored_series() -> None:
    train = {"a": np.array([1.0, 2.0]), "b": np.array([1.0, 3.0])}
    test = {"a": np.array([2.0]), "b": np.array([3.0])}
    with pytest.raises(ValueError, match="1 series have no forecast"):
        score(train, test, {"a": np.array([2.0])})
    assert score(train, test, {"a": np.array([2.0])}, keys=["a"]).smape == 0.0


def test_owa_of_naive2_against_itself_is_one_and_better_forecasts_score_below() -> None:
    rng = np.random.default_rng(0)
    train = {f"s{i}": 100 + np.cumsum(rng.normal(1.0, 1.0, 60)) for i in range(5)}
    test = {key: x[-1] + np.cumsum(rng.normal(1.0, 1.0, 13)) for key, x in train.items()}
    reference = naive2_scores(train, test)
    assert reference.owa(reference.smape, reference.mase) == pytest.approx(1.0)
    # The drift the data was made with (+1 a step) beats repeating the last value.
    drift = {key: x[-1] + np.arange(1, 14) for key, x in train.items()}
    assert score(train, test, drift).owa(reference.smape, reference.mase) < 1.0


def test_read_wide_drops_padding_and_rejects_inner_gaps(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text('"V1","V2","V3","V4"\n"W1","1","2","3"\n"W2","4.5","",""\n')
    series = read_wide(path)
    assert list(series) == ["W1", "W2"]
    assert series["W1"].tolist() == [1.0, 2.0, 3.0] and series["W2"].tolist() == [4.5]
    path.write_text('"V1","V2","V3","V4"\n"W1","1","","3"\n')
    with pytest.raises(ValueError, match="inside"):
        read_wide(path)


def test_long_csv_ends_every_series_on_the_same_monday(tmp_path: Path) -> None:
    series = {"W1": np.array([1.0, 2.0, 3.0]), "W2": np.array([5.0])}
    long = to_long(series)
    last = long.groupby("series_id")["ts"].max()
    assert (last == LAST_TRAINING_MONDAY).all() and LAST_TRAINING_MONDAY.dayofweek == 0
    assert long.loc[long["series_id"] == "W1", "ts"].diff().dropna().eq(pd.Timedelta(weeks=1)).all()
    assert write_long(series, tmp_path / "long.csv") == 4
    written = pd.read_csv(tmp_path / "long.csv")
    assert list(written.columns) == ["series_id", "ts", "value"]
    assert written["ts"].tolist() == ["2023-12-18", "2023-12-25", "2024-01-01", "2024-01-01"]


def test_align_forecasts_matches_timestamps_and_marks_incomplete_series() -> None:
    stamps = horizon_stamps(2)
    assert stamps[0] == LAST_TRAINING_MONDAY + pd.Timedelta(weeks=1)
    frame = pd.DataFrame({
        # W1 in reverse order with a UTC offset; W2 shifted by a day (no expected week matched).
        "series_id": ["W1", "W1", "W2", "W2"],
        "ts": ["2024-01-15T00:00:00+00:00", "2024-01-08T00:00:00+00:00", "2024-01-09", "2024-01-16"],
        "value": [2.0, 1.0, 7.0, 8.0], "lo": [1.5, 0.5, 6.0, 7.0], "hi": [2.5, 1.5, 8.0, 9.0],
    })
    aligned = align_forecasts(frame, {"W1": stamps, "W2": stamps, "W3": stamps})
    assert aligned.point["W1"].tolist() == [1.0, 2.0]
    assert aligned.lower["W1"].tolist() == [0.5, 1.5] and aligned.upper["W1"].tolist() == [1.5, 2.5]
    assert aligned.missing == ["W2", "W3"] and aligned.complete == ["W1"]


needs_m4 = pytest.mark.skipif(not (M4 / "Weekly-train.csv").is_file(), reason=f"M4 data absent at {M4}")


@needs_m4
def test_real_weekly_files_have_359_series_of_the_documented_lengths() -> None:
    weekly = load_weekly(M4)
    lengths = [len(values) for values in weekly.train.values()]
    assert len(weekly.train) == 359 and (min(lengths), max(lengths)) == (80, 2597)
    assert {len(values) for values in weekly.test.values()} == {13}


@needs_m4
def test_naive2_from_the_files_reproduces_the_published_weekly_scores() -> None:
    weekly = load_weekly(M4)
    reference = naive2_scores(weekly.train, weekly.test)
    assert reference.series == 359
    assert reference.smape == pytest.approx(PUBLISHED_NAIVE2_WEEKLY_SMAPE, abs=5e-4)
    assert reference.mase == pytest.approx(PUBLISHED_NAIVE2_WEEKLY_MASE, abs=5e-4)
