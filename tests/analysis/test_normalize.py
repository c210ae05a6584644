from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sparkhu.analysis.normalize import apply_scalers, fit_scalers, invert_scalers
from tests.analysis.helpers import at, long_frame

TRAIN_END = at(5 * 60)  # rows 0..4 train, rows 5.. test


def frame() -> pd.DataFrame:
    return pd.concat(
        [
            long_frame("a", np.arange(8) * 60, [1, 2, 3, 4, 5, 100, -100, 7]),
            long_frame("b", np.arange(8) * 60, [2, 2, 2, 2, np.nan, 9, 9, 9]),
        ]
    )


@pytest.mark.parametrize(
    ("method", "center", "scale"),
    [("minmax", 1.0, 4.0), ("zscore", 3.0, np.sqrt(2.0)), ("robust", 3.0, 2.0)],
)
def test_known_answers(method: str, center: float, scale: float) -> None:
    scalers = fit_scalers(frame(), method, TRAIN_END)
    a = scalers.set_index("series_id").loc["a"]
    assert (a["center"], a["scale"], a["n_train"]) == (center, pytest.approx(scale), 5)
    assert a["train_start"] == at(0) and a["train_end"] == TRAIN_END and a["method"] == method
    # b is constant in training: shifted only (scale 1), its NaN not counted.
    b = scalers.set_index("series_id").loc["b"]
    assert (b["center"], b["scale"], b["n_train"]) == (2.0, 1.0, 4)


def test_test_part_does_not_influence_the_fit() -> None:
    changed = frame()
    changed.loc[changed.index >= 5, "value"] = 1e9
    for method in ("minmax", "zscore", "robust"):
        pd.testing.assert_frame_equal(fit_scalers(frame(), method, TRAIN_END), fit_scalers(changed, method, TRAIN_END))


def test_apply_and_invert_round_trip() -> None:
    data = frame()
    scalers = fit_scalers(data, "minmax", TRAIN_END)
    scaled = apply_scalers(data, scalers)
    a = scaled[scaled.series_id == "a"]["value"].tolist()
    assert a[:5] == [0, 0.25, 0.5, 0.75, 1.0] and a[5] == 24.75  # test data may leave [0, 1]
    assert scaled["method"].eq("minmax").all()
    back = invert_scalers(scaled, scalers)
    np.testing.assert_allclose(back["value"], data["value"])


def test_train_start_and_errors() -> None:
    scalers = fit_scalers(frame(), "minmax", TRAIN_END, train_start=at(120))
    assert scalers.set_index("series_id").loc["a", "center"] == 3.0
    with pytest.raises(ValueError, match="unknown scaling method"):
        fit_scalers(frame(), "log", TRAIN_END)
    twice = pd.concat([fit_scalers(frame(), "minmax", TRAIN_END)] * 2)
    with pytest.raises(ValueError, match="several rows"):
        apply_scalers(frame(), twice)
    none = fit_scalers(frame(), "zscore", at(-60))
    assert none["n_train"].eq(0).all() and none["center"].isna().all() and none["train_start"].isna().all()
