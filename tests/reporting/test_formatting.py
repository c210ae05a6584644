from __future__ import annotations

import numpy as np
import pandas as pd

from sparkhu.reporting.formatting import MISSING, instant, key_values, number, period, seconds


def test_numbers() -> None:
    assert [number(v) for v in (None, np.nan, pd.NA, pd.NaT)] == [MISSING] * 4
    assert number(np.int64(1234567)) == "1,234,567" and number(2.0) == "2" and number(0.123456) == "0.1235"
    assert number(np.bool_(True)) == "yes" and number(False) == "no" and number(-float("inf")) == "-∞"


def test_times_durations_and_periods() -> None:
    assert instant(pd.Timestamp("2024-03-01 12:30", tz="Europe/Vienna")) == "2024-03-01 11:30"
    assert instant(pd.Timestamp("2024-03-01 00:00:05")) == "2024-03-01 00:00:05"
    assert instant(None) == MISSING
    assert (seconds(0.25), seconds(1.5), seconds(600)) == ("250 ms", "1.50 s", "10.0 min")
    assert (period(60.0), period(7200), period(86400), period(90), period(None)) == ("1 min", "2 h", "1 d", "90 s",
                                                                                       MISSING)


def test_key_values_are_sorted_and_cut() -> None:
    assert key_values({"b": 2, "a": 1.5}) == "a=1.5, b=2"
    assert key_values({f"k{i}": i for i in range(10)}, limit=2) == "k0=0, k1=1, … (+8)"
    assert key_values({}) == MISSING
