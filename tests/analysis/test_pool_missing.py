from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sparkhu.analysis._grid import sorted_grid
from sparkhu.analysis.imputation import VARIANTS, missing_mask
from sparkhu.analysis.pool_missing import (
    DEFAULT_METHOD,
    choose_variants,
    hide_runs,
    imputed_points,
    pool,
    pooled,
    score_variants,
)
from tests.analysis.helpers import long_frame

HOUR = 3600.0


def with_gaps(name: str, values: np.ndarray, gaps: list[tuple[int, int]]) -> pd.DataFrame:
    values = values.astype(float).copy()
    for start, length in gaps:
        values[start : start + length] = np.nan
    frame = long_frame(name, np.arange(len(values)) * HOUR, values)
    frame["is_missing"] = frame["value"].isna()
    return frame


def designed() -> tuple[pd.DataFrame, dict[str, float]]:
    hours = np.arange(24 * 20)
    daily = with_gaps("daily", 5 * np.sin(2 * np.pi * hours / 24), [(100, 10), (300, 12)])
    line = with_gaps("line", 3.0 * hours + 7, [(50, 3), (200, 5)])
    noise = with_gaps("noise", np.random.default_rng(0).exponential(1.0, len(hours) * 4), [(45, 2)])
    return pd.concat([daily, line, noise]), {"daily": HOUR, "line": HOUR, "noise": HOUR}


def test_pooling_picks_the_right_variant_on_a_designed_case() -> None:
    frame, periods = designed()
    scores = score_variants(frame, VARIANTS, periods, seed=7)
    choice = dict(zip(choose_variants(scores)["series_id"], choose_variants(scores)["chosen"], strict=True))
    # A line: linear is exact (0 error) and wins the tie with spline by preference.
    # A sine with 10-12 hour gaps: the seasonal profile. Skewed i.i.d. noise: its median (the value
    # that minimizes the absolute error), not the neighbours.
    assert choice == {"daily": "seasonal", "line": "linear", "noise": "median"}
    line = scores[scores.series_id == "line"].set_index("candidate")
    assert line.loc["linear", "score"] == pytest.approx(0, abs=1e-9)
    assert np.isnan(line.loc["leave", "score"])  # leaving NaN has no error to compare
    assert (scores.groupby("series_id")["n"].first() > 0).all()


def test_hidden_runs_follow_the_real_gap_lengths_and_avoid_gaps() -> None:
    frame, _ = designed()
    grid = sorted_grid(frame)
    missing = missing_mask(grid, frame)
    hidden = hide_runs(grid, missing, seed=3, hide_fraction=0.1, fallback_max_run=6)
    assert not (hidden & missing).any()
    daily = grid.codes == list(grid.ids).index("daily")
    runs = np.diff(np.flatnonzero(np.diff(np.concatenate(([0], hidden[daily].astype(int), [0])))))[::2]
    assert set(runs) <= {10, 12}  # drawn from that series' own gap lengths
    assert 0.05 < hidden[daily].sum() / daily.sum() <= 0.1
    # Runs never touch a real gap: no hidden row next to a missing one.
    assert not (hidden[1:] & missing[:-1]).any() and not (hidden[:-1] & missing[1:]).any()


def test_deterministic_with_the_seed_and_independent_of_other_series() -> None:
    frame, periods = designed()
    one = score_variants(frame, ["linear"], periods, seed=5)
    again = score_variants(frame.sample(frac=1, random_state=1), ["linear"], periods, seed=5)
    alone = score_variants(frame[frame.series_id == "daily"], ["linear"], periods, seed=5)
    other = score_variants(frame, ["linear"], periods, seed=6)
    pd.testing.assert_frame_equal(one, again)
    pd.testing.assert_frame_equal(one[one.series_id == "daily"].reset_index(drop=True), alone)
    assert not one["score"].equals(other["score"])


def test_fallback_runs_when_a_series_has_no_gaps() -> None:
    frame = long_frame("a", np.arange(400) * 60.0, np.arange(400.0))
    grid = sorted_grid(frame)
    hidden = hide_runs(grid, missing_mask(grid, frame), seed=0, hide_fraction=0.1, fallback_max_run=3)
    runs = np.diff(np.flatnonzero(np.diff(np.concatenate(([0], hidden.astype(int), [0])))))[::2]
    assert len(runs) > 0 and set(runs) <= {1, 2, 3}


def test_choose_ties_and_unscored_series() -> None:
    scores = pd.DataFrame(
        {
            "series_id": ["a", "a", "a", "b", "b"],
            "candidate": ["mean", "spline", "linear", "linear", "leave"],
            "score": [1.0, 0.5, 0.5, np.nan, np.nan],
        }
    )
    choice = choose_variants(scores)
    assert choice["chosen"].tolist() == ["linear", DEFAULT_METHOD]


def test_pool_writes_the_chosen_points_over_the_series() -> None:
    frame = long_frame(["a"] * 3 + ["b"] * 3, [0, 60, 120] * 2, [1, np.nan, 3, 10, np.nan, 30])
    frame["is_missing"] = frame["value"].isna()
    points = imputed_points(frame, ["linear", "mean"], {"a": 60.0, "b": 60.0})
    # Only the missing rows, once per variant.
    assert sorted(points["candidate"]) == ["linear", "linear", "mean", "mean"] and len(points) == 4
    choice = pd.DataFrame({"series_id": ["a", "b"], "chosen": ["mean", "linear"]})
    out = pool(frame, points, choice)
    assert out["value"].tolist() == [1, 2, 3, 10, 20, 30]
    assert out["method"].tolist() == ["mean"] * 3 + ["linear"] * 3
    with pytest.raises(ValueError, match="not among"):
        pool(frame, points, pd.DataFrame({"series_id": ["a"], "chosen": ["spline"]}))


def test_pooled_end_to_end_fills_everything() -> None:
    frame, periods = designed()
    out = pooled(frame, periods, seed=1)
    assert out["value"].notna().all() and len(out) == len(frame)
    assert set(out["method"]) <= set(VARIANTS)
