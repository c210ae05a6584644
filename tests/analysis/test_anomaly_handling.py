from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sparkhu.analysis.anomaly_handling import (
    HANDLERS,
    choose_handlers,
    ema_before,
    forecast_error,
    handle_anomalies,
    handled_points,
    register_handler,
    score_handlers,
)
from sparkhu.selection import overlay


def frame(values: list[float], flags: list[bool], expected: list[float] | None = None, name: str = "s") -> pd.DataFrame:
    n = len(values)
    ts = pd.date_range("2024-01-01", periods=n, freq="5min", tz="UTC").astype("datetime64[us, UTC]")
    return pd.DataFrame({
        "series_id": pd.Series([name] * n, dtype="string"), "ts": ts, "value": np.asarray(values, float),
        "is_anomaly": flags, "expected": np.asarray(expected if expected is not None else [0.0] * n, float),
    })


def test_replace_expected_and_keep() -> None:
    data = frame([1, 2, 50, 4], [False, False, True, False], expected=[1, 2, 3, 4])
    assert list(handle_anomalies(data, "replace_expected")["value"]) == [1, 2, 3, 4]
    kept = handle_anomalies(data, "keep")
    assert list(kept["value"]) == [1, 2, 50, 4] and list(kept["raw_value"]) == [1, 2, 50, 4]
    assert set(kept["variant"]) == {"keep"}


def test_ema_excludes_the_anomaly_and_earlier_anomalies() -> None:
    alpha = 2 / 11
    data = frame([10, 20, 99, 98, 30], [False, False, True, True, False], expected=[-1] * 5)
    out = handle_anomalies(data, "ema")["value"].to_numpy()
    ema = alpha * 20 + (1 - alpha) * 10  # EMA of 10, 20 (seeded with the first value)
    assert out[2] == pytest.approx(ema) and out[3] == pytest.approx(ema)
    assert out[4] == 30
    first = handle_anomalies(frame([99, 1, 2], [True, False, False], expected=[5, 0, 0]), "ema")
    assert first["value"].iloc[0] == 5  # nothing before it: the expected value


def test_ema_before_matches_a_plain_loop() -> None:
    values = np.array([3.0, 5, np.nan, 8, 1, 4])
    usable = np.isfinite(values) & (np.arange(6) != 4)
    got = ema_before(values, usable)
    state, expected = None, []
    for value, ok in zip(values, usable, strict=True):
        expected.append(np.nan if state is None else state)
        if ok:
            state = value if state is None else 2 / 11 * value + 9 / 11 * state
    assert np.allclose(got, expected, equal_nan=True)


def test_clip_uses_given_fences_or_the_series_iqr() -> None:
    data = frame([1, 2, 3, 4, 100, -100], [False] * 4 + [True, True])
    given = handle_anomalies(data, "clip", fences={"s": (0.0, 10.0)})
    assert list(given["value"]) == [1, 2, 3, 4, 10, 0]
    # Own fences: sorted values -100, 1, 2, 3, 4, 100 give Q1 1.25 and Q3 3.75 (linear), IQR 2.5, k = 3.
    own = handle_anomalies(data, "clip")
    assert list(own["value"].iloc[4:]) == [11.25, -6.25]


def test_registry_is_one_mechanism_and_rejects_unknown_or_duplicate_names() -> None:
    assert {"keep", "replace_expected", "ema", "clip"} <= set(HANDLERS)
    with pytest.raises(ValueError, match="already registered"):
        register_handler("keep")(lambda view: view.values)
    with pytest.raises(ValueError, match="unknown anomaly handler"):
        handle_anomalies(frame([1.0], [False]), "nope")


def test_pooling_picks_the_variant_that_disturbs_the_forecast_least() -> None:
    rng = np.random.default_rng(1)
    values = 20 + rng.normal(0, 0.5, 200)
    flags = np.zeros(200, bool)
    flags[[50, 120]] = True
    values[flags] += 40
    spiky = frame(list(values), list(flags), expected=[20.0] * 200, name="spiky")
    calm_values = list(20 + rng.normal(0, 0.5, 50))
    calm = frame(calm_values, [False] * 50, expected=[20.0] * 50, name="calm")
    data = pd.concat([spiky, calm], ignore_index=True)
    variants = ["keep", "replace_expected", "ema", "clip"]
    points, scores = handled_points(data, variants)
    # Only the two flagged points of each variant are kept: the rest of a series is the input.
    assert len(points) == 4 * 2 and set(points["ts"]) == set(data.loc[data["is_anomaly"], "ts"])
    # One split for all variants scores exactly what scoring each variant's full output does.
    separately = score_handlers({name: handle_anomalies(data, name) for name in variants})
    pd.testing.assert_frame_equal(scores, separately)
    keep = scores[(scores["series_id"] == "spiky") & (scores["candidate"] == "keep")]["score"].item()
    best = scores[(scores["series_id"] == "spiky") & (scores["candidate"] == "replace_expected")]["score"].item()
    assert best < keep / 3
    choice = choose_handlers(scores).set_index("series_id")["chosen"]
    # The calm series has no anomaly, so nothing is measured: it keeps its values.
    assert choice["calm"] == "keep" and choice["spiky"] in {"replace_expected", "ema"}
    pooled = overlay(data, points, choice.rename_axis("series_id").reset_index())
    assert len(pooled) == len(data) and pooled["value"].max() < 30
    assert (pooled["method"] == pooled["series_id"].map(choice)).all()


def test_forecast_error_targets_only_points_after_anomalies() -> None:
    values = np.array([0.0, 0, 0, 10, 0, 0, 0, 0])
    flags = np.zeros(8, bool)
    flags[3] = True
    mae, count = forecast_error(values, flags, horizon=2)
    assert count == 2  # positions 4 and 5
    ema3 = 2 / 11 * 10
    assert mae == pytest.approx((ema3 + ema3 * 9 / 11) / 2)
    assert forecast_error(values, np.zeros(8, bool))[1] == 0
