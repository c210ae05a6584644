"""Model families with known answers: what each must forecast on series whose future is determined."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sparkhu.models.base import FAMILIES, Forecaster, build
from sparkhu.models.ensemble import Ensemble
from sparkhu.models.features import LagFeatures, calendar_features
from sparkhu.models.panel import Series, season_length

T0 = pd.Timestamp("2024-01-01", tz="UTC")


def hourly(values: np.ndarray, name: str = "s", **covariates: np.ndarray) -> Series:
    return Series(name, np.asarray(values, dtype=float), T0, 3600.0, covariates)


def daily_sine(n: int, level: float = 10.0, amplitude: float = 3.0) -> np.ndarray:
    return level + amplitude * np.sin(2 * np.pi * np.arange(n) / 24)


def test_seasonal_naive_repeats_the_last_season() -> None:
    values = np.arange(48, dtype=float)  # two "days"
    forecast = build("seasonal_naive", 30).fit([]).predict([hourly(values)])[0]
    assert forecast[:24].tolist() == values[24:].tolist() and forecast[24:].tolist() == values[24:30].tolist()
    plain = build("seasonal_naive", 3, {"season": 1}).predict([hourly(values)])[0]
    assert plain.tolist() == [47.0, 47.0, 47.0]


def test_ridge_learns_a_daily_cycle_across_series_of_different_levels() -> None:
    panel = [hourly(daily_sine(24 * 30, level), f"s{level}") for level in (5.0, 50.0, 500.0)]
    model = build("ridge", 24, {"lags": 48, "alpha": 1e-6}).fit(panel)
    unseen = hourly(daily_sine(24 * 10, 77.0), "unseen")
    expected = daily_sine(24 * 11, 77.0)[-24:]
    np.testing.assert_allclose(model.predict([unseen])[0], expected, atol=1e-3)


def test_absolute_loss_ridge_ignores_rare_huge_errors_better_than_squared() -> None:
    rng = np.random.default_rng(3)
    values = daily_sine(24 * 60) + rng.normal(0, 0.05, 24 * 60)
    spikes = rng.choice(len(values), 40, replace=False)
    values[spikes] += 200.0
    train, future = hourly(values[:-24]), daily_sine(24 * 60)[-24:]
    params = {"lags": 48, "scaling": "series"}
    squared = build("ridge", 24, params).fit([train]).predict([train])[0]
    absolute = build("ridge", 24, {**params, "loss": "absolute"}).fit([train]).predict([train])[0]
    assert np.mean(np.abs(absolute - future)) < np.mean(np.abs(squared - future))


def test_lightgbm_fits_and_forecasts_every_step() -> None:
    panel = [hourly(daily_sine(24 * 20, level), f"s{level}") for level in (5.0, 9.0)]
    model = build("lightgbm", 6, {"lags": 24, "n_estimators": 50}).fit(panel)
    forecast = model.predict(panel)
    assert forecast.shape == (2, 6) and np.isfinite(forecast).all()
    assert np.mean(np.abs(forecast[0] - daily_sine(24 * 20 + 6, 5.0)[-6:])) < 0.5


def test_each_lightgbm_step_learns_its_own_target_from_the_shared_rows() -> None:
    # Steps 1 and 6 of a daily sine are different phases: boosters that shared one label would agree.
    panel = [hourly(daily_sine(24 * 20, level), f"s{level}") for level in (5.0, 9.0)]
    model = build("lightgbm", 6, {"lags": 24, "n_estimators": 50}).fit(panel)
    forecast = model.predict(panel)[0]
    expected = daily_sine(24 * 20 + 6, 5.0)[-6:]
    assert abs(expected[0] - expected[5]) > 2.0
    np.testing.assert_allclose(forecast, expected, atol=0.5)


def test_lightgbm_threads_follow_omp_num_threads_unless_given(monkeypatch: pytest.MonkeyPatch) -> None:
    from sparkhu.models.boosting import GlobalBoosting, available_threads

    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert available_threads() == 3
    assert isinstance(auto := build("lightgbm", 2), GlobalBoosting) and auto.threads == 3
    assert isinstance(fixed := build("lightgbm", 2, {"threads": 1}), GlobalBoosting) and fixed.threads == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "")
    assert available_threads() >= 1


def test_a_fitted_lightgbm_survives_save_and_load(tmp_path: Path) -> None:
    panel = [hourly(daily_sine(24 * 20, 5.0))]
    model = build("lightgbm", 4, {"lags": 24, "n_estimators": 20}).fit(panel)
    model.save(tmp_path / "model.pkl")
    np.testing.assert_array_equal(Forecaster.load(tmp_path / "model.pkl").predict(panel), model.predict(panel))


@pytest.mark.parametrize("family", ["auto_theta", "auto_ets"])
def test_local_statistical_models_forecast_a_seasonal_series(family: str) -> None:
    series = hourly(daily_sine(24 * 14))
    forecast = build(family, 24).predict([series])[0]
    assert np.isfinite(forecast).all() and np.mean(np.abs(forecast - daily_sine(24 * 15)[-24:])) < 0.5


def test_a_flat_or_short_series_gets_its_last_value_from_local_models() -> None:
    flat, short = hourly(np.full(100, 4.0)), hourly(np.array([1.0, 2.0, 3.0]))
    forecast = build("auto_theta", 5).predict([flat, short])
    assert forecast.tolist() == [[4.0] * 5, [3.0] * 5]


def test_covariates_are_used_only_when_asked_and_must_be_present() -> None:
    base = daily_sine(24 * 20)
    leader = np.roll(base, -3)  # the covariate leads the target by 3 steps
    series = hourly(base, load=leader)
    plain = build("ridge", 3, {"lags": 24})
    assert not plain.uses_covariates
    with_cov = build("ridge", 3, {"lags": 24, "covariate_lags": 24}).fit([series])
    assert with_cov.uses_covariates and getattr(with_cov, "covariates", None) == ("load",)
    with pytest.raises(ValueError, match="lacks the covariates"):
        with_cov.predict([hourly(base)])


def test_an_ensemble_averages_its_members() -> None:
    series = hourly(np.arange(48, dtype=float))
    members = [build("seasonal_naive", 2, {"season": 1}).fit([series]), build("seasonal_naive", 2).fit([series])]
    ensemble = Ensemble.of(members)
    assert ensemble.predict([series])[0].tolist() == [(47 + 24) / 2, (47 + 25) / 2]
    assert ensemble.name.startswith("ensemble(seasonal_naive")


def test_families_are_registered_and_reject_unknown_parameters(tmp_path: object) -> None:
    build("seasonal_naive", 1)  # imports every family
    assert {"seasonal_naive", "ridge", "lightgbm", "auto_ets", "auto_theta", "auto_arima", "ensemble"} <= set(FAMILIES)
    with pytest.raises(ValueError, match="unknown model family 'prophet'"):
        build("prophet", 3)
    with pytest.raises(ValueError, match="unknown parameters"):
        build("ridge", 3, {"depth": 4})
    with pytest.raises(ValueError, match="horizon must be at least 1"):
        build("ridge", 0)


def test_a_fitted_model_saves_and_loads(tmp_path: pytest.TempPathFactory) -> None:
    series = hourly(daily_sine(24 * 10))
    model = build("ridge", 4, {"lags": 24}).fit([series])
    path = tmp_path / "model.pkl"  # type: ignore[operator]
    model.save(path)
    np.testing.assert_array_equal(Forecaster.load(path).predict([series]), model.predict([series]))


def test_calendar_features_mark_the_day_phase_and_the_weekday_with_one_layout() -> None:
    stamps = pd.DatetimeIndex(["2024-01-01T06:00Z", "2024-01-06T18:00Z"])  # a Monday, a Saturday
    rows = calendar_features(stamps.asi8 // 1000, 3600.0)
    assert rows.shape == (2, 17) == calendar_features(stamps.asi8 // 1000, 86400.0).shape
    np.testing.assert_allclose(rows[:, 0], [1.0, -1.0], atol=1e-12)  # sin of the day phase: 6 h, 18 h
    assert rows[0, 6 + 0] == 1 and rows[1, 6 + 5] == 1  # Monday, Saturday
    assert not calendar_features(stamps.asi8 // 1000, 86400.0)[:, :6].any()  # daily data has no day phase


def test_season_length_follows_the_grid() -> None:
    assert season_length(3600.0, 1000) == 24 and season_length(900.0, 1000) == 96
    assert season_length(7 * 86400.0, 200) == 52 and season_length(7 * 86400.0, 80) == 1
    assert season_length(86400.0, 100) == 7 and season_length(37.0, 1000) == 1


def test_lag_features_validate_their_layout() -> None:
    with pytest.raises(ValueError, match="scaling"):
        LagFeatures(24, scaling="minmax")
    with pytest.raises(ValueError, match="lags"):
        LagFeatures(0)
