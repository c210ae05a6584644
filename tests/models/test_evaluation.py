"""Metrics, conformal intervals, origins and the backtest, with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sparkhu.models import metrics
from sparkhu.models.backtest import backtest
from sparkhu.models.candidates import MAX_LAGS, boosting_contexts, default_candidates
from sparkhu.models.evaluation import (
    Candidate,
    ValidationPlan,
    actuals_at,
    best_with_ensembles,
    rolling_origins,
    validate,
)
from sparkhu.models.intervals import ConformalIntervals, series_scale
from sparkhu.models.panel import Series

T0 = pd.Timestamp("2024-01-01", tz="UTC")


def test_metrics_follow_the_m4_definitions() -> None:
    actual, forecast = np.array([100.0, 200.0]), np.array([110.0, 180.0])
    assert metrics.mae(actual, forecast) == 15.0
    assert metrics.rmse(actual, forecast) == pytest.approx(np.sqrt((100 + 400) / 2))
    assert metrics.smape(actual, forecast) == pytest.approx(100 * (10 / 210 + 20 / 380))
    history = np.array([1.0, 3.0, 2.0, 6.0])  # naive in-sample MAE (m = 1): (2 + 1 + 4) / 3
    assert metrics.mase(actual, forecast, history) == pytest.approx(15.0 / (7 / 3))
    assert np.isnan(metrics.mae(np.array([np.nan]), np.array([1.0])))


def test_test_origins_match_the_issue_protocol() -> None:
    origins = rolling_origins(17_420, 0.2, 24, 24)
    assert len(origins) == 145 and origins[0] == 13_936 and origins[-1] + 24 <= 17_420
    with pytest.raises(ValueError, match="shorter than the horizon"):
        rolling_origins(10, 0.1, 1, 5)


def test_conformal_widths_use_the_finite_sample_rank_and_cover() -> None:
    errors = np.arange(1, 11, dtype=float)[:, None]  # |e| = 1..10, one step
    intervals = ConformalIntervals.fit(errors, np.ones(10), level=0.8)
    assert intervals.widths.tolist() == [9.0]  # ceil(11 * 0.8) = 9th smallest
    rng = np.random.default_rng(0)
    calibration, fresh = rng.normal(0, 2, (4000, 3)), rng.normal(0, 2, (4000, 3))
    fitted = ConformalIntervals.fit(calibration, np.ones(4000), 0.8)
    lower, upper = fitted.bounds(np.zeros((4000, 3)), np.ones(4000))
    assert abs(np.mean((fresh >= lower) & (fresh <= upper)) - 0.8) < 0.02
    with pytest.raises(ValueError, match="level"):
        ConformalIntervals.fit(errors, np.ones(10), 1.5)


def test_series_scale_is_the_mean_absolute_change() -> None:
    assert series_scale(np.array([1.0, 3.0, np.nan, 2.0])) == pytest.approx((2 + 1) / 2)
    assert series_scale(np.array([5.0, 5.0])) == 1.0


def noisy_cycle(n: int, seed: int = 0) -> Series:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    values = 20 + 0.002 * t + 4 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 0.3, n)
    return Series("s", values, T0, 3600.0)


def test_validation_never_trains_on_its_own_targets() -> None:
    series = noisy_cycle(24 * 40)
    plan = ValidationPlan.of([series], horizon=24, count=5, step=24)
    assert len(plan.train[0]) == plan.origins[0][0]  # fitted on what precedes the first origin
    result = validate(Candidate("ridge", {"lags": 48}), [series], plan)
    actual = actuals_at(series, plan.origins[0], 24)
    assert np.isfinite(result.score) and np.allclose(result.errors[0], result.forecasts[0] - actual)


def test_backtest_picks_a_champion_on_validation_that_beats_the_naive_gate() -> None:
    series = noisy_cycle(24 * 60)
    candidates = default_candidates(24, covariates=False, families=("seasonal_naive", "ridge"))
    result = backtest(series, candidates, horizon=24, test_fraction=0.2, step=24, level=0.8, validation_origins=10)
    naive = next(model for model in result.models if model.family == "seasonal_naive")
    assert result.champion.errors["MAE"] < naive.errors["MAE"]
    assert len(result.origins) == len(rolling_origins(len(series), 0.2, 24, 24))
    assert 0.6 < result.coverage <= 1.0 and result.lower.shape == result.upper.shape == (len(result.origins), 24)


def test_ensembles_mix_context_lengths_but_not_mere_penalty_changes() -> None:
    series = noisy_cycle(24 * 40)
    plan = ValidationPlan.of([series], horizon=24, count=5, step=24)
    short, long_, long_stiff = (validate(Candidate("ridge", {"lags": lags, "alpha": alpha}), [series], plan)
                                for lags, alpha in ((24, 1.0), (96, 1.0), (96, 100.0)))
    ranked = best_with_ensembles([short, long_, long_stiff], [series], plan)
    ensembles = [r for r in ranked if r.candidate.family == "ensemble"]
    assert len(ensembles) == 1  # two distinct members (24 and 96 lags): one ensemble of two, no third
    members = ensembles[0].model.members  # type: ignore[attr-defined]
    assert sorted(m.params["lags"] for m in members) == [24, 96]
    assert ranked == sorted(ranked, key=lambda r: r.score)


def test_boosting_is_tried_at_each_context_and_learning_rate_with_and_without_the_covariates() -> None:
    boosters = [c.params for c in default_candidates(24, covariates=True, families=("lightgbm",))]
    triples = {(p["lags"], p["learning_rate"], p["covariate_lags"]) for p in boosters}
    assert triples == {(lags, rate, cov) for lags in (168, 336) for rate in (0.05, 0.01) for cov in (0, 24)}
    assert len(boosters) == 8


def test_boosting_contexts_are_seven_and_fourteen_seasons_capped_at_the_longest_context() -> None:
    assert boosting_contexts(24) == [168, 336]
    assert boosting_contexts(1) == [70, 140]  # no season: tens of steps
    assert boosting_contexts(52) == [364, MAX_LAGS]
    assert boosting_contexts(168) == [MAX_LAGS]  # both capped: one context
