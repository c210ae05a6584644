from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sparkhu.analysis.decision import decide_period, decide_periods


def windows(*rows: tuple[float, int, str]) -> pd.DataFrame:
    """Window estimates from (period_seconds, n_points, status) rows, one day apart."""
    periods, points, status = zip(*rows, strict=True)
    return pd.DataFrame(
        {
            "period_seconds": periods,
            "n_points": points,
            "is_regular": [s == "ok" for s in status],
            "status": status,
            "interval_end": pd.date_range("2024-01-02", periods=len(rows), freq="D", tz="UTC"),
        }
    )


GOOD_WEEK = [(300.0, 288, "ok")] * 7


def test_one_bad_day_cannot_move_the_period() -> None:
    # The bad day reports 600 s with as many points as a good day.
    decision = decide_period(windows(*GOOD_WEEK[:6], (600.0, 288, "ok")), None)
    assert decision.period_seconds == 300.0
    assert decision.decided_by == "data" and not decision.contradicts_declared
    assert decision.confidence == pytest.approx(6 / 7)
    assert decision.is_regular and decision.n_estimates == 7


def test_declared_period_confirmed_by_data() -> None:
    decision = decide_period(windows(*GOOD_WEEK), 300.0)
    assert (decision.period_seconds, decision.decided_by, decision.confidence) == (300.0, "declared", 1.0)
    assert not decision.contradicts_declared


def test_data_contradicting_the_declared_period_wins_and_says_so() -> None:
    decision = decide_period(windows(*GOOD_WEEK), 60.0)
    assert decision.period_seconds == 300.0
    assert decision.decided_by == "data" and decision.contradicts_declared
    assert decision.confidence == 1.0


def test_ambiguous_data_does_not_overrule_the_declaration() -> None:
    # Half of the weight is irregular (no decision), so the data is not clear enough.
    rows = [(300.0, 288, "ok")] * 3 + [(170.0, 288, "no_decision")] * 3
    decision = decide_period(windows(*rows), 60.0)
    assert decision.period_seconds == 60.0 and decision.decided_by == "declared"
    assert not decision.contradicts_declared and decision.confidence == 0.0


def test_declared_without_data() -> None:
    decision = decide_period(windows(*[(np.nan, 3, "too_few_points")] * 2), 900.0)
    assert decision.period_seconds == 900.0 and decision.decided_by == "declared"
    assert decision.confidence == 0.0 and decision.is_regular and decision.n_estimates == 0


def test_irregular_series_without_declaration_decides_nothing() -> None:
    rows = [(65.0, 500, "no_decision")] * 5 + [(60.0, 500, "ok")]
    decision = decide_period(windows(*rows), None)
    assert decision.decided_by == "none" and np.isnan(decision.period_seconds)
    assert decision.confidence == pytest.approx(1 / 6)


def test_nearby_estimates_agree_within_tolerance() -> None:
    decision = decide_period(windows((600.0, 100, "ok"), (610.0, 100, "ok"), (590.0, 90, "ok")), None)
    assert decision.period_seconds == 600.0 and decision.confidence == 1.0


def test_many_series_and_declared_only_series() -> None:
    estimates = pd.concat(
        [
            windows(*GOOD_WEEK).assign(series_id="a"),
            windows(*[(60.0, 1440, "ok")] * 3).assign(series_id="b"),
        ]
    )
    table = decide_periods(estimates, {"a": None, "b": 3600.0, "c": 86400.0})

    assert list(table["series_id"]) == ["a", "b", "c"]
    assert list(table["period_seconds"]) == [300.0, 60.0, 86400.0]
    assert list(table["decided_by"]) == ["data", "data", "declared"]
    assert list(table["contradicts_declared"]) == [False, True, False]
    assert list(table["n_estimates"]) == [7, 3, 0]
    assert table["declared_period_seconds"].fillna(-1).tolist() == [-1, 3600.0, 86400.0]
    assert table["is_regular"].dtype == bool
