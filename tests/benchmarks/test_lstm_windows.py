"""The LSTM benchmark's windows: each carries the calendar of its first forecast step, and scaling keeps it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.lstm.run import INPUT_STEPS, OUTPUT_STEPS, STEP_S, centred, load_split
from sparkhu.models.features import calendar_features


def _csv(tmp_path: Path, rows: int) -> tuple[Path, pd.DatetimeIndex]:
    stamps = pd.date_range("2016-07-01", periods=rows, freq="15min")
    path = tmp_path / "ett.csv"
    frame = pd.DataFrame({"date": stamps.strftime("%Y-%m-%d %H:%M:%S"), "OT": np.arange(rows, dtype=float)})
    frame.to_csv(path, index=False)
    return path, stamps


def test_each_window_carries_the_calendar_of_its_first_forecast_step(tmp_path: Path) -> None:
    path, stamps = _csv(tmp_path, 1000)
    split = load_split(path, "OT", "issue")
    calendar = calendar_features(stamps.as_unit("us").asi8, STEP_S)
    assert split.train.extra is not None and split.validation.extra is not None
    first_validation_row = 800 - INPUT_STEPS  # the validation part starts INPUT_STEPS rows before its border
    np.testing.assert_allclose(split.validation.extra[0], calendar[first_validation_row + INPUT_STEPS])
    np.testing.assert_allclose(split.train.extra[5], calendar[5 + INPUT_STEPS])
    assert len(split.train) == 800 - INPUT_STEPS - OUTPUT_STEPS + 1


def test_scaling_shifts_inputs_and_targets_alike_and_keeps_the_calendar(tmp_path: Path) -> None:
    split = load_split(_csv(tmp_path, 1000)[0], "OT", "issue")
    by_mean, by_last = centred(split.train), centred(split.train, "last")
    np.testing.assert_allclose(by_mean.inputs.mean(axis=1), 0.0, atol=1e-12)
    np.testing.assert_allclose(by_last.inputs[:, -1], 0.0, atol=1e-12)
    # targets move by the same level as their inputs: (y - last) - (y - mean) = -(last - mean)
    np.testing.assert_allclose(by_last.targets - by_mean.targets,
                               np.repeat(-by_mean.inputs[:, -1:], OUTPUT_STEPS, axis=1), atol=1e-12)
    assert by_last.extra is split.train.extra
