"""A target observed every k-th row beside dense covariates: its own grid, no look-ahead, fused gain."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sparkhu.models.backtest import backtest
from sparkhu.models.evaluation import Candidate
from sparkhu.models.multirate import OnTargetGrid, TargetGrid, own_grid
from sparkhu.models.panel import Series

START = pd.Timestamp("2024-01-01", tz="UTC")


def sparse_pair(n: int = 2_400, stride: int = 4, phase: int = 1, lead: int = 6, seed: int = 0) -> Series:
    """Target = the dense covariate ``lead`` rows earlier plus noise, observed every ``stride`` rows."""
    rng = np.random.default_rng(seed)
    leader = np.cumsum(rng.normal(0, 1, n + lead))
    target = leader[:n] + rng.normal(0, 0.1, n)
    covariate = leader[lead:]
    observed = np.full(n, np.nan)
    observed[phase::stride] = target[phase::stride]
    return Series("b", observed, START, 3600.0, {"a": covariate})


def test_the_grid_is_found_from_the_known_points() -> None:
    grid = TargetGrid.of(sparse_pair(stride=4, phase=1))
    assert (grid.stride, grid.phase, grid.sparse) == (4, 1, True)
    dense = Series("x", np.arange(50.0), START, 60.0)
    assert not TargetGrid.of(dense).sparse


def test_the_coarse_series_keeps_every_observation_and_the_bucket_rows() -> None:
    series = sparse_pair(stride=4, phase=1)
    coarse = TargetGrid(4, 1).coarse(series)
    assert coarse.step_s == 4 * 3600.0 and coarse.start == START + pd.Timedelta(hours=1)
    np.testing.assert_array_equal(coarse.values, series.values[1::4])
    assert sorted(coarse.covariates) == ["a@0", "a@1", "a@2", "a@3"]
    np.testing.assert_array_equal(coarse.covariates["a@3"][:-1], series.covariates["a"][4::4][:len(coarse) - 1])


def test_a_head_cut_inside_a_bucket_sees_no_row_after_the_cut() -> None:
    series = sparse_pair(stride=4, phase=0)
    head = series.head(42)  # rows 40, 41 of the bucket that starts at row 40; 42 and 43 are the future
    coarse = TargetGrid(4, 0).coarse(head)
    assert coarse.covariates["a@1"][-1] == series.covariates["a"][41]
    assert np.isnan(coarse.covariates["a@2"][-1]) and np.isnan(coarse.covariates["a@3"][-1])


def test_forecasts_land_on_the_rows_where_the_target_will_be_observed() -> None:
    grid = TargetGrid(4, 1)
    coarse = np.array([[10.0, 11.0, 12.0], [20.0, 21.0, 22.0]])
    fine = grid.fine_forecasts(coarse, [41, 43], horizon=8)
    # head 41: next observation row 41 (offset 0), then 45; head 43: next row 45 (offset 2), then 49
    np.testing.assert_array_equal(np.flatnonzero(np.isfinite(fine[0])), [0, 4])
    np.testing.assert_array_equal(fine[0, [0, 4]], [10.0, 11.0])
    np.testing.assert_array_equal(np.flatnonzero(np.isfinite(fine[1])), [2, 6])
    assert grid.coarse_horizon(8) == 2 and grid.coarse_horizon(9) == 3


def test_own_grid_of_a_dense_series_is_itself() -> None:
    dense = Series("x", np.arange(50.0), START, 60.0)
    assert own_grid(dense) is dense


def test_the_dense_leader_since_the_last_observation_cuts_the_error() -> None:
    """b follows a by 6 rows and is seen every 4: the rows of a since b's last point tell b's next ones."""
    series = sparse_pair()
    grid = TargetGrid.of(series)
    params = {"lags": 6, "scaling": "last", "calendar": False}
    alone = Candidate("ridge", {**params, "covariate_lags": 0}, grid)
    fused = Candidate("ridge", {**params, "covariate_lags": 4}, grid)  # 16 rows: back past the lead
    alone_mae, fused_mae = (backtest(series, [c], horizon=8, test_fraction=0.25, step=8, refine=None)
                            .champion.errors["MAE"] for c in (alone, fused))
    assert fused_mae < 0.5 * alone_mae
    result = backtest(series, [fused], horizon=8, test_fraction=0.25, step=8, refine=None)
    assert result.points == len(result.origins) * 2  # 8 rows ahead, a target point every 4


def test_on_target_grid_forecasts_only_observed_rows_of_the_horizon() -> None:
    series = sparse_pair()
    grid = TargetGrid.of(series)
    model = Candidate("seasonal_naive", {}, grid).make(8)
    assert isinstance(model, OnTargetGrid)
    forecast = model.fit([series.head(2_000)]).predict([series.head(2_001), series.head(2_003)])
    assert forecast.shape == (2, 8)
    np.testing.assert_array_equal(np.isfinite(forecast).sum(axis=1), [2, 2])


@pytest.mark.parametrize("stride", [2, 4])
def test_a_backtest_scores_only_the_kept_points(stride: int) -> None:
    series = sparse_pair(stride=stride, phase=0)
    result = backtest(series, [Candidate("seasonal_naive")], horizon=8, test_fraction=0.25, step=8, refine=None)
    assert result.points == len(result.origins) * 8 // stride
    assert np.isfinite(result.champion.errors["MASE"])
