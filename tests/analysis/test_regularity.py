from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sparkhu.analysis.regularity import estimate_period, estimate_periods
from tests.analysis.helpers import long_frame


def rng() -> np.random.Generator:
    """A fresh seeded generator per use, so every test is reproducible alone."""
    return np.random.default_rng(2024)


def test_exact_grid() -> None:
    estimate = estimate_period(np.arange(100) * 300)
    assert estimate.period_seconds == 300.0
    assert estimate.status == "ok" and estimate.is_regular
    assert estimate.regular_fraction == 1.0 and estimate.periodic_error == 0.0
    assert estimate.n_points == 100


@pytest.mark.parametrize("period", [0.1, 15.0, 60.0, 3600.0])
def test_jittered_timestamps_snap_to_the_nice_period(period) -> None:
    # Jitter of +-3% of the period on every timestamp: no two differences are equal.
    seconds = np.arange(3000) * period + rng().uniform(-0.03, 0.03, 3000) * period
    estimate = estimate_period(seconds)
    assert estimate.period_seconds == period
    assert estimate.is_regular
    assert 0.01 < estimate.periodic_error < 0.05


def test_unusual_period_is_kept_exactly() -> None:
    assert estimate_period(np.arange(500) * 301).period_seconds == 301.0
    assert estimate_period(np.arange(500) * 2.5).period_seconds == 2.5


def test_gaps_and_duplicates_do_not_move_the_period() -> None:
    grid = np.arange(2000) * 60
    gappy = grid[(grid < 20_000) | (grid > 50_000)]
    with_duplicates = np.sort(np.concatenate([gappy, gappy[:300]]))
    estimate = estimate_period(with_duplicates)
    assert estimate.period_seconds == 60.0
    assert estimate.regular_fraction == 1.0  # the long gap is a multiple: still on the grid
    assert estimate.n_points == len(gappy)


def test_mostly_double_steps_still_give_the_base_period() -> None:
    # 70 % of the differences are 2 periods: the dominant step is 120 s, the period is 60 s.
    steps = rng().choice([60, 120], size=2000, p=[0.3, 0.7])
    assert estimate_period(np.cumsum(steps)).period_seconds == 60.0
    triple = rng().choice([100, 300], size=2000, p=[0.25, 0.75])
    assert estimate_period(np.cumsum(triple)).period_seconds == 100.0


def test_clock_resolution_is_not_taken_for_the_period() -> None:
    # Every timestamp is a whole minute and a few differences are 1-4 minutes: still 5 minutes.
    steps = rng().choice([300, 600, 60, 120, 240, 360], size=3000, p=[0.8, 0.12, 0.02, 0.02, 0.02, 0.02])
    assert estimate_period(np.cumsum(steps)).period_seconds == 300.0


def test_irregular_sampling_gives_no_decision() -> None:
    estimate = estimate_period(np.cumsum(rng().exponential(60, 2000)))
    assert estimate.status == "no_decision" and not estimate.is_regular
    assert estimate.regular_fraction < 0.5


def test_too_few_points() -> None:
    estimate = estimate_period(np.array([0, 60, 60, 120, 180]))  # 4 distinct timestamps
    assert estimate.status == "too_few_points" and np.isnan(estimate.period_seconds)
    assert estimate.n_points == 4


def test_datetime_input_and_order_does_not_matter() -> None:
    stamps = (pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(50) * 900, unit="s")).to_numpy()
    assert estimate_period(stamps[::-1]).period_seconds == 900.0


def test_many_series_at_once() -> None:
    minutes = long_frame("m", np.arange(100) * 60.0, np.zeros(100))
    hours = long_frame("h", np.arange(30) * 3600.0 + rng().uniform(-30, 30, 30), np.zeros(30))
    tiny = long_frame("t", [0, 10], [1, 2])
    frame = pd.concat([minutes, hours, tiny]).sample(frac=1, random_state=0)

    table = estimate_periods(frame).set_index("series_id")

    assert table.loc["m", "period_seconds"] == 60.0 and table.loc["h", "period_seconds"] == 3600.0
    assert list(table["status"]) == ["ok", "ok", "too_few_points"]
    assert list(table["n_points"]) == [30, 100, 2]
    assert table["is_regular"].dtype == bool
