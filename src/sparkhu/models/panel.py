"""The model pipeline's input: series on regular grids, each with optional covariates on the same grid."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]
US_PER_SECOND = 1_000_000


@dataclass(frozen=True)
class Series:
    """One target series on its regular grid.

    Attributes:
        series_id: Its id.
        values: Values in time order, one per grid step (NaN where missing).
        start: Timestamp of ``values[0]`` (UTC).
        step_s: Grid step in seconds.
        covariates: Other series on the same grid (same length), by name; a forecast may use their
            values up to the forecast origin, never after it.
    """

    series_id: str
    values: FloatArray
    start: pd.Timestamp
    step_s: float
    covariates: Mapping[str, FloatArray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.step_s <= 0:
            raise ValueError(f"series {self.series_id!r}: the grid step must be positive, got {self.step_s}")
        for name, values in self.covariates.items():
            if len(values) != len(self.values):
                raise ValueError(f"series {self.series_id!r}: covariate {name!r} has {len(values)} values, "
                                 f"the target {len(self.values)}")

    def __len__(self) -> int:
        return len(self.values)

    def head(self, length: int) -> Series:
        """The first ``length`` points (the history before a forecast origin), covariates cut alike."""
        return replace(self, values=self.values[:length],
                       covariates={name: values[:length] for name, values in self.covariates.items()})

    def stamps_us(self, first: int = 0, count: int | None = None) -> npt.NDArray[np.int64]:
        """Microseconds since the epoch of grid steps ``first .. first + count - 1`` (may run past the end)."""
        count = len(self.values) - first if count is None else count
        origin = int(self.start.value // 1000)
        return origin + (np.arange(first, first + count, dtype=np.int64) * round(self.step_s * US_PER_SECOND))

    def future_stamps(self, horizon: int) -> pd.DatetimeIndex:
        """The ``horizon`` grid timestamps after the last value."""
        micros = self.stamps_us(len(self.values), horizon)
        return pd.DatetimeIndex(micros.view("datetime64[us]")).tz_localize("UTC")


def without_covariates(panel: Sequence[Series]) -> list[Series]:
    """The panel with every covariate dropped."""
    return [replace(series, covariates={}) for series in panel]


def season_length(step_s: float, length: int) -> int:
    """The natural seasonal cycle in steps: a day for sub-daily grids, a year of weeks for weekly data.

    A cycle must fit at least twice into the series; otherwise 1 (no season).
    """
    day, week = 86_400.0, 7 * 86_400.0
    if step_s < day and day % step_s == 0:
        cycle = int(day // step_s)
    elif abs(step_s - week) < 1:
        cycle = 52
    elif abs(step_s - day) < 1:
        cycle = 7
    else:
        cycle = 1
    return cycle if 2 * cycle <= length else 1


def fill_gaps(values: FloatArray) -> FloatArray:
    """NaN points replaced by linear interpolation (edges by the nearest value); all-NaN stays NaN."""
    known = np.isfinite(values)
    if known.all() or not known.any():
        return values.astype(np.float64, copy=True)
    positions = np.arange(len(values))
    return np.interp(positions, positions[known], values[known])
