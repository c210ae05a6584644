from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sparkhu.analysis.imputation import CROSS_SERIES, VARIANTS, impute
from tests.analysis.helpers import long_frame

HOUR = 3600.0


def gappy(values: list[float], series: str = "a", step: float = 60.0) -> pd.DataFrame:
    frame = long_frame(series, np.arange(len(values)) * step, values)
    frame["is_missing"] = frame["value"].isna()
    return frame


def filled(frame: pd.DataFrame, variant: str, periods: dict | None = None) -> list[float]:
    return impute(frame, variant, periods or {}).value.round(9).tolist()


NAN = np.nan


def test_registry() -> None:
    assert set(VARIANTS) == {"locf", "nocb", "linear", "spline", "seasonal", "partners", "mean", "median", "leave"}
    with pytest.raises(ValueError, match="unknown imputation variant"):
        impute(gappy([1.0]), "magic", {})


def test_carry_variants_and_edges() -> None:
    frame = gappy([NAN, 1.0, NAN, NAN, 4.0, NAN])
    assert filled(frame, "locf") == [1, 1, 1, 1, 4, 4]  # the leading gap takes the nearest value
    assert filled(frame, "nocb") == [1, 1, 4, 4, 4, 4]
    assert filled(frame, "leave")[1] == 1 and np.isnan(filled(frame, "leave")[0])


def test_mean_and_median() -> None:
    frame = gappy([1.0, NAN, 2.0, 9.0, NAN])
    assert filled(frame, "mean") == [1, 4, 2, 9, 4]
    assert filled(frame, "median") == [1, 2, 2, 9, 2]


def test_linear_is_in_time_not_row_number() -> None:
    # Rows at 0, 60, 180 s: row-number interpolation would give 5 at 60 s, time gives 10/3.
    frame = long_frame("a", [0, 60, 180], [0.0, NAN, 10.0], is_missing=[False, True, False])
    assert filled(frame, "linear")[1] == pytest.approx(10 / 3)


def test_linear_on_a_line_is_exact_and_outliers_are_replaced() -> None:
    line = 2.0 * np.arange(50) + 1
    values = line.copy()
    values[[5, 6, 7, 20]] = NAN
    values[30] = 1e6
    frame = gappy(list(values))
    frame["is_outlier"] = frame.index == 30
    for variant in ("linear", "spline"):
        assert np.allclose(impute(frame, variant, {}).value, line), variant


def test_spline_stays_between_its_neighbours() -> None:
    # Steep step before a long gap: a cubic spline would overshoot, PCHIP is monotone per interval.
    values = [0.0, 0.0, 0.0, 10.0] + [NAN] * 20 + [10.5, 10.5, 11.0]
    out = np.array(filled(gappy(values), "spline"))
    assert out[4:24].min() >= 10.0 and out[4:24].max() <= 10.5
    assert np.all(np.diff(out[3:25]) >= 0)


def test_seasonal_fills_a_sine_gap_closely() -> None:
    hours = np.arange(24 * 14)
    truth = 10 + 5 * np.sin(2 * np.pi * hours / 24) + 0.01 * hours  # daily cycle plus a slow trend
    values = truth.copy()
    gap = slice(24 * 7 + 3, 24 * 7 + 21)  # 18 hours gone, across the daily peak and trough
    values[gap] = NAN
    frame = gappy(list(values), step=HOUR)
    seasonal = np.array(filled(frame, "seasonal", {"a": HOUR}))
    linear = np.array(filled(frame, "linear", {"a": HOUR}))
    assert np.abs(seasonal[gap] - truth[gap]).max() < 0.1
    assert np.abs(linear[gap] - truth[gap]).max() > 3  # the line cuts straight through the cycle


def test_seasonal_without_a_cycle_is_linear() -> None:
    frame = gappy([0.0, NAN, 2.0, NAN, NAN, 5.0], step=HOUR)  # 5 hours: no daily cycle fits twice
    assert filled(frame, "seasonal", {"a": HOUR}) == filled(frame, "linear")


def test_many_series_at_once_match_one_by_one() -> None:
    rng = np.random.default_rng(1)
    frames = []
    for name in ("b", "a", "c"):
        values = rng.normal(size=24 * 5)
        values[rng.choice(len(values), 30, replace=False)] = NAN
        frames.append(gappy(list(values), series=name, step=HOUR))
    together = pd.concat(frames).sample(frac=1, random_state=0)
    periods = {"a": HOUR, "b": HOUR, "c": HOUR}
    for variant in VARIANTS:
        joint = impute(together, variant, periods)
        assert joint["variant"].eq(variant).all()
        if variant in CROSS_SERIES:  # by design: it reads the other series
            continue
        for frame in frames:
            alone = impute(frame, variant, periods)
            part = joint[joint.series_id == frame.series_id.iloc[0]].reset_index(drop=True)
            pd.testing.assert_series_equal(part["value"], alone["value"], check_names=False)


def test_empty_frame_and_a_series_without_known_values() -> None:
    from sparkhu.frame import empty_long_frame

    for variant in VARIANTS:
        assert impute(empty_long_frame(), variant, {}).empty
    frame = pd.concat([gappy([NAN, NAN], series="a"), gappy([1.0, NAN, 3.0], series="b")])
    out = impute(frame, "seasonal", {})
    assert out["value"].isna().tolist() == [True, True, False, False, False]


def test_the_partners_variant_of_a_lone_series_is_the_seasonal_fill() -> None:
    values = list(np.sin(np.arange(24 * 5) * 2 * np.pi / 24))
    for index in (30, 31, 32, 70):
        values[index] = NAN
    frame = gappy(values, series="a", step=HOUR)
    pd.testing.assert_series_equal(impute(frame, "partners", {"a": HOUR})["value"],
                                   impute(frame, "seasonal", {"a": HOUR})["value"])
