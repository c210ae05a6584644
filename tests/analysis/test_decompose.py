from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sparkhu.analysis.decompose import decompose, decompose_values, moving_average, seasonal_lengths

DAY = 288  # 5-minute samples


def planted(weeks: int = 3, noise: float = 0.05) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    n = DAY * 7 * weeks
    i = np.arange(n)
    daily = 3 * np.sin(2 * np.pi * i / DAY)
    weekday = np.array([1.0, 1, 1, 1, 1, -2.5, -2.5])[(i // DAY) % 7]
    trend = 10 + 0.002 * i
    y = trend + daily + weekday + np.random.default_rng(0).normal(0, noise, n)
    ts = pd.date_range("2024-01-01", periods=n, freq="5min", tz="UTC").astype("datetime64[us, UTC]")
    frame = pd.DataFrame({"series_id": pd.Series(["s"] * n, dtype="string"), "ts": ts, "value": y})
    return frame, {"trend": trend, "seasonal": daily + weekday}


def test_pure_seasonal_signal_is_decomposed_back_into_its_parts() -> None:
    frame, truth = planted()
    out = decompose(frame, {"s": 300.0})
    assert out["seasonal_periods"].iloc[0] == "288,2016"
    assert np.abs(out["trend"] - truth["trend"]).max() < 0.05
    # The weekday steps are pooled over a few neighbouring phases, so allow a little at the edges.
    assert np.abs(out["seasonal"] - truth["seasonal"]).quantile(0.99) < 0.15
    assert out["residual"].std() < 0.1


def test_nan_and_spikes_do_not_bend_the_fit() -> None:
    frame, truth = planted()
    frame.loc[1000:1030, "value"] = np.nan
    frame.loc[3000, "value"] += 40
    out = decompose(frame, {"s": 300.0})
    assert out.loc[1000:1030, "residual"].isna().all()
    assert out.loc[1000:1030, "trend"].notna().all()
    assert out.loc[3000, "residual"] == pytest.approx(40, abs=0.5)
    assert np.abs(out["trend"] - truth["trend"]).max() < 0.1


def test_seasons_need_whole_lengths_and_enough_cycles() -> None:
    assert seasonal_lengths(300.0, 2016 * 3) == (288, 2016)
    assert seasonal_lengths(300.0, 2016 * 2) == (288,)
    assert seasonal_lengths(300.0, 2016 * 2, min_cycles=2) == (288, 2016)
    assert seasonal_lengths(7000.0, 10_000) == ()  # 86400/7000 is not a whole number
    assert seasonal_lengths(86_400.0, 100) == (7,)  # a daily series has only the weekly season
    assert seasonal_lengths(None, 100) == ()


def test_moving_average_cancels_an_even_season_and_continues_a_line() -> None:
    i = np.arange(100, dtype=float)
    line = 2 + 0.5 * i
    smoothed = moving_average(line + np.tile([1.0, -1.0, 3.0, -3.0], 25), 4)
    assert np.allclose(smoothed, line)


def test_many_series_are_decomposed_independently_and_sorted() -> None:
    frame, _ = planted(weeks=1)
    other = frame.assign(series_id=pd.Series(["a"] * len(frame), dtype="string"), value=5.0)
    out = decompose(pd.concat([frame, other]).iloc[::-1], {"s": 300.0, "a": 300.0})
    assert list(out["series_id"].unique()) == ["a", "s"]
    assert out["ts"].is_monotonic_increasing is False and out.groupby("series_id")["ts"].is_monotonic_increasing.all()
    a = out[out["series_id"] == "a"]
    assert np.allclose(a["trend"], 5.0) and np.allclose(a["residual"], 0.0)


def test_all_nan_series_gives_nan_components() -> None:
    parts = decompose_values(np.full(50, np.nan), 300.0)
    assert np.isnan(parts.trend).all() and np.isnan(parts.residual).all()


def test_missing_columns_are_named() -> None:
    with pytest.raises(ValueError, match="value"):
        decompose(pd.DataFrame({"series_id": [], "ts": []}), {})
