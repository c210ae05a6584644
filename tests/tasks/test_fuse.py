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


def test_a_lead_that_only_many_pairs_could_produce_by_chance_is_no_partner() -> None:
    chance = pd.DataFrame([("x", "y", 600.0, 0.3, 1e-4)], columns=pairs().columns)
    assert partners_of(chance, ["x", "y"], 2)["y"][0].series_id == "x"  # one pair: 1e-4 is a discovery
    crowd = [f"s{i}" for i in range(300)] + ["x", "y"]  # 45,451 pairs: 1e-4 is what chance gives
    assert partners_of(chance, crowd, 2)["y"] == []
