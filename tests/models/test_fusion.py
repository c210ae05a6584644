"""Fusion's pure parts: which partners lead a target, their points on its grid without look-ahead, the verdict."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sparkhu.models.fusion import Decision, decide, discovery_threshold, last_known, leading_partners, with_partners
from sparkhu.models.panel import Series

START = pd.Timestamp("2024-01-01", tz="UTC")


def pairs(*rows: tuple[str, str, float, float, float]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["series_a", "series_b", "best_lag_s", "best_lag_corr", "p_value"])


def test_only_significant_partners_that_lead_the_target_are_chosen_strongest_first() -> None:
    found = pairs(("up", "down", 3600.0, 0.5, 1e-6),   # up leads down by an hour
                  ("down", "mid", -1800.0, -0.8, 1e-9),  # mid leads down (negative lag, down is a)
                  ("down", "late", 600.0, 0.9, 1e-9),    # down leads late: not a partner of down
                  ("noise", "down", 7200.0, 0.3, 0.4))    # not significant
    chosen = leading_partners(found, "down", count=5)
    assert [(p.series_id, p.lead_s) for p in chosen] == [("mid", 1800.0), ("up", 3600.0)]
    assert [p.series_id for p in leading_partners(found, "down", count=1)] == ["mid"]
    assert leading_partners(found, "unknown", count=3) == []


def test_last_known_takes_the_latest_point_at_or_before_each_instant() -> None:
    stamps = np.array([10, 20, 30], dtype=np.int64)
    values = np.array([1.0, 2.0, 3.0])
    out = last_known(stamps, values, np.array([5, 10, 25, 40], dtype=np.int64))
    np.testing.assert_array_equal(out[1:], [1.0, 2.0, 3.0])
    assert np.isnan(out[0])


def test_partner_columns_hold_points_inside_each_bucket_never_after_it() -> None:
    target = Series("down", np.arange(4.0), START, 3600.0)  # hourly: buckets [0 h, 1 h), [1 h, 2 h), ...
    minutes = np.arange(0, 4 * 60, 5)
    stamps = (START.value // 1000 + minutes * 60_000_000).astype(np.int64)
    fused = with_partners(target, {"up": (stamps, minutes.astype(float))})
    assert sorted(fused.covariates) == ["up@0", "up@1", "up@2", "up@3"]
    np.testing.assert_array_equal(fused.covariates["up@0"], [0.0, 60.0, 120.0, 180.0])
    np.testing.assert_array_equal(fused.covariates["up@3"], [45.0, 105.0, 165.0, 225.0])  # 3/4 into the bucket
    assert (fused.covariates["up@3"] < 60.0 * np.arange(1, 5)).all()  # before the next target step


def test_validation_decides_and_a_tie_keeps_the_model_alone() -> None:
    verdict = decide([("naive", False, 1.0), ("ridge", False, 0.8), ("ridge+up", True, 0.5)])
    assert verdict == Decision("ridge", "ridge+up", 0.8, 0.5) and verdict.use_partners
    assert not decide([("ridge", False, 0.5), ("ridge+up", True, 0.5)]).use_partners
    assert not decide([("ridge", False, 0.5)]).use_partners


def test_the_discovery_threshold_is_benjamini_hochbergs_step_up() -> None:
    p_values = [0.04, 0.001, 0.03, 0.01, float("nan")]
    assert discovery_threshold(p_values, hypotheses=4) == 0.04  # 0.04 <= 4/4 * 0.05: all four kept
    assert discovery_threshold(p_values, hypotheses=8) == 0.01  # 0.03 > 3/8 * 0.05, 0.01 <= 2/8 * 0.05
    assert discovery_threshold([0.001, 0.002], hypotheses=1000) == -1.0  # 0.001 > 0.05 / 1000: none
    assert discovery_threshold([0.04], hypotheses=0) == 0.04  # never fewer hypotheses than tests


def test_among_many_pairs_a_lone_p_of_point_01_is_no_partner_but_a_real_lead_is() -> None:
    found = pairs(("real", "down", 3600.0, 0.7, 1e-12), ("luck", "down", 3600.0, 0.9, 0.01))
    largest_p = discovery_threshold(found["p_value"].tolist(), hypotheses=100 * 99 // 2)
    assert [p.series_id for p in leading_partners(found, "down", 5, largest_p)] == ["real"]
    assert {p.series_id for p in leading_partners(found, "down", 5)} == {"real", "luck"}  # uncorrected
