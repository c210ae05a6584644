"""Which targets `fuse` evaluates in a run, and what the others' rows say."""

from __future__ import annotations

import pandas as pd

from sparkhu.tasks.fuse import partners_of, strongest_led, unevaluated


def pairs() -> pd.DataFrame:
    rows = [("up", "down", 3600.0, 0.9, 1e-9),   # up leads down strongly
            ("a", "b", 600.0, 0.4, 1e-6),        # a leads b
            ("c", "d", -600.0, 0.6, 1e-6),       # d leads c
            ("e", "f", 600.0, 0.99, 0.5)]        # not significant
    return pd.DataFrame(rows, columns=["series_a", "series_b", "best_lag_s", "best_lag_corr", "p_value"])


def test_the_targets_with_the_strongest_leading_partner_go_first() -> None:
    targets = ["down", "b", "c", "f", "up"]
    assert strongest_led(partners_of(pairs(), targets, 2), most=10) == ["down", "c", "b"]
    assert strongest_led(partners_of(pairs(), targets, 2), most=2) == ["down", "c"]
    assert strongest_led(partners_of(pairs().iloc[0:0], targets, 2), most=10) == []


def test_a_target_left_out_says_why() -> None:
    led = partners_of(pairs(), ["b", "up"], 2)
    beyond = unevaluated("b", led["b"], most=2)
    assert beyond["partners"] == "a" and beyond["leads_s"] == "600" and not beyond["used"]
    assert beyond["note"].startswith("not evaluated this run: more than max_targets (2)")
    assert unevaluated("up", led["up"], most=2)["note"] == "no significant leading partner"
