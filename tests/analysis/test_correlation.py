"""Correlation and lead-lag with known answers: planted leaders, their lag and sign; bounded candidates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sparkhu.analysis.correlation import (
    MIN_OVERLAP,
    aligned,
    candidate_partners,
    correlate_pair,
    lagged_corr,
    prewhiten,
    reachable_lag,
    sketch,
    superperiod,
)

START = pd.Timestamp("2026-01-01", tz="UTC")


def series(values: np.ndarray, period: str, sid: str = "s") -> pd.DataFrame:
    return pd.DataFrame({"series_id": sid, "ts": pd.date_range(START, periods=len(values), freq=period),
                         "value": values})


def walk(n: int, seed: int) -> np.ndarray:
    return np.cumsum(np.random.default_rng(seed).normal(size=n))


def leader_and_follower(lag_hours: int, sign: float, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A every 10 min; B hourly, B(t) = sign * A(t - lag) + noise."""
    dense = walk(6 * 24 * 60, seed)
    leader = series(dense, "10min", "a")
    hourly = dense[::6]
    shifted = np.concatenate([np.full(lag_hours, hourly[0]), hourly[: len(hourly) - lag_hours]])
    noise = np.random.default_rng(seed + 100).normal(scale=0.3, size=len(hourly))
    return leader, series(sign * shifted + noise, "1h", "b")


@pytest.mark.parametrize(("lag", "sign"), [(3, 1.0), (2, -1.0), (0, 1.0)])
def test_the_planted_lead_and_its_sign_are_recovered(lag: int, sign: float) -> None:
    a, b = leader_and_follower(lag, sign)
    result = correlate_pair(a, b, superperiod(600, 3600), max_lag=6, names=("a", "b"))
    assert result.grid_s == 3600
    assert result.best_lag_s == lag * 3600
    assert np.sign(result.best_lag_corr) == sign and abs(result.best_lag_corr) > 0.5
    assert result.p_value <= 0.01
    assert result.n == 24 * 60


def test_the_order_of_a_pair_flips_the_lag() -> None:
    a, b = leader_and_follower(3, 1.0)
    assert correlate_pair(b, a, 3600, max_lag=6).best_lag_s == -3 * 3600


def test_unrelated_random_walks_are_not_significant_even_when_their_levels_correlate() -> None:
    a, b = series(walk(2000, 5), "1h"), series(walk(2000, 6), "1h")
    result = correlate_pair(a, b, 3600, max_lag=12)
    assert result.p_value > 0.05
    assert abs(result.diff_corr) < 0.1


def test_a_short_common_span_searches_only_lags_that_keep_enough_pairs() -> None:
    a, b = series(walk(12, 3), "6h"), series(walk(12, 4), "6h")
    result = correlate_pair(a, b, 6 * 3600, max_lag=24)
    assert abs(result.best_lag_s) <= (11 - MIN_OVERLAP) * 6 * 3600  # 11 differences, at least 8 pairs per lag
    assert np.isfinite(result.best_lag_corr) and np.isfinite(result.p_value)
    assert reachable_lag(5, 24) == 0 and reachable_lag(100, 24) == 24


def test_bad_pairs_are_reported_not_raised() -> None:
    a = series(walk(100, 1), "1h")
    constant = series(np.ones(100), "1h")
    later = series(walk(100, 2), "1h").assign(ts=lambda f: f["ts"] + pd.Timedelta(days=30))
    assert "constant" in correlate_pair(a, constant, 3600).note
    assert "common grid points" in correlate_pair(a, later, 3600).note
    with pytest.raises(ValueError):
        superperiod(0, 60)


def test_alignment_never_invents_a_value() -> None:
    a = series(np.arange(12.0), "10min")  # two hours
    b = series(np.array([1.0, np.nan, 3.0]), "1h")
    grid = aligned(a, b, 3600)
    assert list(grid.index) == [int(START.timestamp()) // 3600]  # hour 1: b unknown; hour 2: a unknown
    assert grid["a"].iloc[0] == pytest.approx(2.5)  # the mean of the first hour's six points


def test_lagged_corr_and_prewhitening_known_answers() -> None:
    x = np.random.default_rng(0).normal(size=500)
    y = np.concatenate([[0.0, 0.0], x[:-2]])
    assert lagged_corr(x, y, 2) == pytest.approx(1.0)
    ar = np.zeros(5000)
    noise = np.random.default_rng(1).normal(size=5000)
    for t in range(1, 5000):
        ar[t] = 0.8 * ar[t - 1] + noise[t]
    white = prewhiten(ar)
    assert abs(lagged_corr(white[1:], white[1:], 1)) < 0.05


def test_candidates_are_bounded_declared_first_and_stay_in_their_group() -> None:
    leader = walk(400, 3)
    frames = [series(leader, "1D", "lead"), series(leader + np.random.default_rng(4).normal(0, .1, 400), "1D", "f")]
    frames += [series(walk(400, 10 + i), "1D", f"n{i}") for i in range(6)]
    frames.append(series(leader, "1D", "other-group"))
    sketches = sketch(pd.concat(frames), 86_400)
    groups = {name: "g" for name in sketches.columns} | {"other-group": "h"}
    partners = candidate_partners(sketches, groups, {"f": ["n5"]}, bound=2)
    assert partners["lead"][0] == "f" and len(partners["lead"]) == 2
    assert partners["f"] == ["n5", "lead"]
    assert all("other-group" not in chosen for name, chosen in partners.items() if name != "other-group")
    assert partners["other-group"] == []


def test_the_permutation_test_agrees_with_the_prewhitened_baseline() -> None:
    a, b = leader_and_follower(3, 1.0)
    assert correlate_pair(a, b, 3600, max_lag=6, permutations=99).p_value == pytest.approx(0.01)
    x, y = series(walk(1500, 7), "1h"), series(walk(1500, 8), "1h")
    analytic = correlate_pair(x, y, 3600, max_lag=12).p_value
    shuffled = correlate_pair(x, y, 3600, max_lag=12, permutations=199).p_value
    assert analytic > 0.05 and shuffled > 0.05 and abs(analytic - shuffled) < 0.3


def test_correlate_series_measures_each_candidate_pair_once_and_finds_the_planted_leader() -> None:
    from benchmarks.correlate.run import generate
    from sparkhu.analysis.correlation import correlate_series

    points, periods, planted = generate(series=30, days=20, leaders=3)
    results = correlate_series(points, periods, dict.fromkeys(periods, "g"), bound=4)
    pairs = [(r.series_a, r.series_b) for r in results]
    assert len(pairs) == len(set(pairs)) and all(a < b for a, b in pairs)
    assert len(pairs) <= 30 * 4
    found = {(r.series_a, r.series_b): r for r in results}
    for (leader, follower), (lag_s, sign) in planted.items():
        result = found[tuple(sorted((leader, follower)))]
        lead = result.best_lag_s if result.series_a == leader else -result.best_lag_s
        assert lead == lag_s and np.sign(result.best_lag_corr) == sign
