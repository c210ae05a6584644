"""The lstm family: what it learns, how it stops, how it saves, and what it says without torch."""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from sparkhu.models.base import FAMILIES, SEARCH_SPACES, Forecaster, build
from sparkhu.models.candidates import default_candidates
from sparkhu.models.lstm import TrainConfig, Windows, train_windows
from sparkhu.models.panel import Series

T0 = pd.Timestamp("2024-01-01", tz="UTC")
PERIOD = 17  # not the hourly grid's season (24): the seasonal naive cannot just repeat the last day
SMALL = {"lags": 3 * PERIOD, "hidden": 24, "batch_size": 64, "learning_rate": 0.02, "max_epochs": 25,
         "calendar": False}


@pytest.fixture
def torch() -> ModuleType:
    return pytest.importorskip("torch")


def sine(n: int, level: float) -> np.ndarray:
    return level + 3.0 * np.sin(2 * np.pi * np.arange(n) / PERIOD)


def hourly(values: np.ndarray, name: str) -> Series:
    return Series(name, np.asarray(values, dtype=float), T0, 3600.0)


def sine_panel(n: int = 400) -> list[Series]:
    return [hourly(sine(n, level), f"s{level:g}") for level in (5.0, 50.0, 500.0)]


@pytest.fixture(scope="module")
def fitted() -> Forecaster:
    pytest.importorskip("torch")
    return build("lstm", 12, SMALL).fit(sine_panel())


def test_learns_a_noiseless_sine_far_better_than_the_seasonal_naive(fitted: Forecaster) -> None:
    panel = sine_panel()
    future = np.array([sine(412, level)[-12:] for level in (5.0, 50.0, 500.0)])
    lstm_mae = np.abs(fitted.predict(panel) - future).mean()
    naive_mae = np.abs(build("seasonal_naive", 12).predict(panel) - future).mean()
    assert lstm_mae < 0.05 and lstm_mae < naive_mae / 50  # amplitude 3: the naive is off by about 3.9
    history = fitted.history  # type: ignore[attr-defined]
    assert history.best_loss < 0.01 and history.losses[-1] < history.losses[0] / 10


def test_save_and_load_give_identical_forecasts(fitted: Forecaster, tmp_path: Path) -> None:
    path = tmp_path / "lstm.pkl"
    fitted.save(path)
    loaded = Forecaster.load(path)
    assert loaded.state is not None and loaded._net is None  # type: ignore[attr-defined]  # numpy weights only
    np.testing.assert_array_equal(loaded.predict(sine_panel()), fitted.predict(sine_panel()))


def test_a_series_too_short_for_the_context_gets_nan_while_the_others_forecast(fitted: Forecaster) -> None:
    short = hourly(sine(3 * PERIOD - 1, 5.0), "short")
    empty = hourly(np.full(80, np.nan), "empty")
    forecast = fitted.predict([sine_panel()[0], short, empty])
    assert np.isfinite(forecast[0]).all() and np.isnan(forecast[1:]).all()


def test_fitting_skips_short_series_and_windows_with_missing_targets(torch: ModuleType) -> None:
    gappy = sine(300, 9.0)
    gappy[100:140] = np.nan
    panel = [hourly(gappy, "gappy"), hourly(sine(30, 1.0), "short")]
    model = build("lstm", 6, {**SMALL, "max_epochs": 2}).fit(panel)
    assert np.isfinite(model.predict(panel)[0]).all() and np.isnan(model.predict(panel)[1]).all()
    with pytest.raises(ValueError, match="no series is longer than the context"):
        build("lstm", 6, SMALL).fit([hourly(sine(30, 1.0), "short")])


def test_early_stopping_stops_before_the_cap_on_a_plateau(torch: ModuleType) -> None:
    rng = np.random.default_rng(0)  # targets independent of the inputs: nothing to learn
    train = Windows(rng.normal(size=(256, 8)), rng.normal(size=(256, 3)))
    validation = Windows(rng.normal(size=(128, 8)), rng.normal(size=(128, 3)))
    config = TrainConfig(hidden=8, batch_size=64, learning_rate=0.01, max_epochs=200, patience=4)
    _, history = train_windows(train, validation, config)
    assert history.stopped == "patience" and history.epochs < 200
    assert history.epochs == history.best_epoch + 4 and history.best_loss == min(history.losses)


def test_training_is_deterministic_and_restores_the_thread_count(torch: ModuleType) -> None:
    threads = torch.get_num_threads()
    rng = np.random.default_rng(1)
    train = Windows(rng.normal(size=(128, 6)), rng.normal(size=(128, 2)), rng.normal(size=(128, 3)))
    config = TrainConfig(hidden=4, batch_size=32, max_epochs=3, threads=1)
    first, second = train_windows(train, None, config), train_windows(train, None, config)
    assert first[1].losses == second[1].losses and first[1].stopped == "max_epochs"
    assert torch.get_num_threads() == threads


def test_the_family_is_registered_and_rejects_unknown_parameters() -> None:
    build("seasonal_naive", 1)  # imports every family, torch or not
    assert "lstm" in FAMILIES and {"hidden", "layers", "seasons", "learning_rate"} <= set(SEARCH_SPACES["lstm"])
    with pytest.raises(ValueError, match="unknown parameters"):
        build("lstm", 3, {"depth": 2})
    with pytest.raises(ValueError, match="scaling"):
        build("lstm", 3, {"scaling": "minmax"})


def test_lstm_candidates_only_when_asked() -> None:
    assert not any(c.family == "lstm" for c in default_candidates(24, covariates=False))
    lstm = [c for c in default_candidates(24, False, families=("seasonal_naive", "lstm")) if c.family == "lstm"]
    assert [c.params for c in lstm] == [{"seasons": 1}, {"seasons": 2}]


def test_fit_without_torch_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    model = build("lstm", 3)  # imports every family first: scipy's import breaks on a None torch module
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    with pytest.raises(ImportError, match=r"the lstm family needs torch: pip install 'sparkhu\[lstm\]'"):
        model.fit(sine_panel(100))
    with pytest.raises(RuntimeError, match="predict before fit"):
        model.predict(sine_panel(100))
