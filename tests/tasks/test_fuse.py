"""Which targets `fuse` evaluates in a run, and what the others' rows say."""

from __future__ import annotations

import pandas as pd

from sparkhu.tasks.fuse import strongest_led, unevaluated


def pairs() -> pd.DataFrame:
    rows = [("up", "down", 3600.0, 0.9, 1e-9),   # up leads down strongly
            ("a", "b", 600.0, 0.4, 1e-6),        # a leads b
            ("c", "d", -600.0, 0.6, 1e-6),       # d leads c
            ("e", "f", 600.0, 0.99, 0.5)]        # not significant
    return pd.DataFrame(rows, columns=["series_a", "series_b", "best_lag_s", "best_lag_corr", "p_value"])


def test_the_targets_with_the_strongest_leading_partner_go_first() -> None:
    targets = ["down", "b", "c", "f", "up"]
    assert strongest_led(pairs(), targets, most=10, partners=2) == ["down", "c", "b"]
    assert strongest_led(pairs(), targets, most=2, partners=2) == ["down", "c"]
    assert strongest_led(pairs().iloc[0:0], targets, most=10, partners=2) == []


def test_a_target_left_out_says_why() -> None:
    beyond = unevaluated("b", pairs(), partners=2, most=2)
    assert beyond["partners"] == "a" and beyond["leads_s"] == "600" and not beyond["used"]
    assert beyond["note"].startswith("not evaluated this run: more than max_targets (2)")
    assert unevaluated("up", pairs(), partners=2, most=2)["note"] == "no significant leading partner"
