"""The one selection mechanism: lowest score per series, ties by preference, defaults, overlay, report rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sparkhu.selection import choose, overlay, summarize

T = pd.date_range("2024-01-01", periods=3, freq="h", tz="UTC")


def scores(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["series_id", "candidate", "score"])


def test_lowest_score_wins_and_ties_follow_the_preference() -> None:
    table = scores([("a", "x", 2.0), ("a", "y", 1.0), ("b", "x", 1.0), ("b", "y", 1.0), ("b", "z", 1.0)])
    chosen = choose(table, preference=("y", "x"), default="x").set_index("series_id")
    assert chosen["chosen"].to_dict() == {"a": "y", "b": "y"}
    assert chosen.loc["a", "score"] == 1.0


def test_unlisted_candidates_come_after_listed_ones_then_by_name() -> None:
    table = scores([("a", "zeta", 1.0), ("a", "alpha", 1.0), ("b", "zeta", 1.0), ("b", "alpha", 1.0),
                    ("b", "listed", 1.0)])
    chosen = choose(table, preference=("listed",), default="listed").set_index("series_id")["chosen"]
    assert chosen.to_dict() == {"a": "alpha", "b": "listed"}


def test_a_series_with_nothing_measured_gets_the_default() -> None:
    table = scores([("a", "x", np.nan), ("a", "y", np.nan), ("b", "y", 3.0)])
    chosen = choose(table, preference=(), default="x")
    assert chosen["chosen"].tolist() == ["x", "y"] and np.isnan(chosen["score"].iloc[0])


def test_choose_names_a_missing_column() -> None:
    with pytest.raises(ValueError, match="score"):
        choose(pd.DataFrame({"series_id": ["a"], "candidate": ["x"]}), (), "x")


def test_summarize_gives_the_report_rows() -> None:
    table = scores([("a", "x", 2.0), ("a", "y", 1.0), ("b", "x", 4.0), ("b", "y", np.nan)])
    metrics, counts = summarize(table, choose(table, (), "x"), "mae")
    assert metrics == {"mae.x": 3.0, "mae.y": 1.0}
    assert counts == {"chosen.y": 1, "chosen.x": 1}


def test_overlay_writes_the_chosen_changes_over_the_base_only() -> None:
    base = pd.DataFrame({"series_id": ["a"] * 3 + ["b"] * 3, "ts": list(T) * 2, "value": [1.0, np.nan, 3, 4, 5, 6]})
    changes = pd.DataFrame({"series_id": ["a", "a", "b", "b"], "ts": [T[1], T[1], T[0], T[2]],
                            "candidate": ["x", "y", "x", "y"], "value": [2.0, 20.0, 40.0, 60.0]})
    choice = pd.DataFrame({"series_id": ["a", "b"], "chosen": ["y", "y"]})
    out = overlay(base, changes, choice)
    assert out["value"].tolist() == [1, 20, 3, 4, 5, 60]
    assert out["method"].tolist() == ["y"] * 6
    assert base["value"].isna().sum() == 1  # the input is left alone


def test_overlay_keeps_series_without_a_choice_as_they_are() -> None:
    base = pd.DataFrame({"series_id": ["a", "b"], "ts": [T[0], T[0]], "value": [1.0, 2.0]})
    changes = pd.DataFrame({"series_id": ["b"], "ts": [T[0]], "candidate": ["x"], "value": [9.0]})
    out = overlay(base, changes, pd.DataFrame({"series_id": ["a"], "chosen": ["x"]}))
    assert out["value"].tolist() == [1.0, 2.0] and out["method"].isna().tolist() == [False, True]
