from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sparkhu.analysis.describe import STAT_COLUMNS, describe
from tests.analysis.helpers import long_frame


def _expected(values: np.ndarray) -> dict[str, float]:
    """The documented conventions, computed with numpy/scipy."""
    q1, median, q3 = np.quantile(values, [0.25, 0.5, 0.75])
    mean, std = values.mean(), values.std(ddof=1)
    return {
        "count": len(values),
        "min": values.min(),
        "max": values.max(),
        "mean": mean,
        "median": median,
        "q1": q1,
        "q3": q3,
        "std": std,
        "skewness": stats.skew(values),
        "kurtosis": stats.kurtosis(values),
        "cv": std / abs(mean),
        "mad": stats.median_abs_deviation(values),
    }


def test_matches_numpy_and_scipy_on_many_series() -> None:
    rng = np.random.default_rng(7)
    samples = {
        "gamma": rng.gamma(2.0, 3.0, 501),
        "normal": rng.normal(10, 2, 1000),
        "small": np.array([3.0, 1.0, 2.0, 10.0]),
    }
    frames = [long_frame(name, np.arange(len(v)) * 60.0, v) for name, v in samples.items()]
    frame = pd.concat(frames).sample(frac=1, random_state=3)  # order must not matter

    table = describe(frame).set_index("series_id")

    assert list(table.columns) == list(STAT_COLUMNS)
    for name, values in samples.items():
        for column, expected in _expected(values).items():
            assert table.loc[name, column] == pytest.approx(expected, rel=1e-9), (name, column)


def test_missing_values_mode_and_ties() -> None:
    frame = long_frame(
        ["a"] * 7 + ["b"] * 3,
        range(10),
        [2.0, 5.0, 5.0, 2.0, np.nan, 9.0, np.nan, np.nan, np.nan, np.nan],
    )
    table = describe(frame).set_index("series_id")

    assert table.loc["a", "count"] == 5 and table.loc["a", "n_missing"] == 2
    assert table.loc["a", "mode"] == 2.0  # 2 and 5 both appear twice: the smallest wins
    assert table.loc["a", "median"] == 5.0 and table.loc["a", "mad"] == 3.0
    assert table.loc["b", "count"] == 0 and table.loc["b", "n_missing"] == 3
    assert table.loc["b", ["min", "mean", "std", "mode"]].isna().all()
    assert table["count"].dtype == np.int64


def test_constant_and_single_value_series() -> None:
    frame = long_frame(["c", "c", "c", "z", "z", "one"], range(6), [0.1, 0.1, 0.1, 0.0, 0.0, 4.0])
    table = describe(frame).set_index("series_id")

    assert table.loc["c", "std"] == 0.0 and table.loc["c", "mode"] == 0.1
    assert np.isnan(table.loc["c", "skewness"]) and np.isnan(table.loc["c", "kurtosis"])
    assert np.isnan(table.loc["z", "cv"])  # mean 0: cv undefined
    assert np.isnan(table.loc["one", "std"]) and table.loc["one", "median"] == 4.0


def test_rejects_null_series() -> None:
    frame = long_frame("a", [0], [1.0])
    frame["series_id"] = pd.Series([None], dtype="string")
    with pytest.raises(ValueError, match="series_id has nulls"):
        describe(frame)
