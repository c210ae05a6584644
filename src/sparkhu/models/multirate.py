"""A target sampled more sparsely than its covariates: models on the target's own grid, fed the dense points.

A wide file whose target is known only every ``k``-th row of the time grid (a lab sample every four
hours beside hourly meters) is modelled on the **target's grid**: step ``j`` is the target's ``j``-th
observation (row ``phase + k·j``). A covariate becomes ``m`` columns there, ``name@d``: its values at
``m`` rows of the *bucket* that starts at that observation and ends just before the next one (offsets
``d`` in ``0..k-1``, always the last row of the bucket included). So a model at a forecast origin sees
the covariates' points **since the target's last observation**, never a row at or after the origin: a
head of the fine series cut inside a bucket leaves the bucket's later rows missing, and the lag features
fill a missing tail with the last known value (:func:`~sparkhu.models.panel.fill_gaps`).

:class:`OnTargetGrid` wraps any forecaster that way; it forecasts the fine rows of the horizon where the
target will be observed (NaN at the others), so validation and the backtest score only real target
points. Every family works on it, local statistical models included.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sparkhu.models.base import Forecaster
from sparkhu.models.panel import FloatArray, Series

MAX_OFFSETS = 4
"""Covariate columns per bucket: all rows of a bucket of up to four, else four spread over it."""
REGULAR_SHARE = 0.9
"""A target is sparse with stride ``k`` when at least this share of its known points are ``k`` rows apart."""


@dataclass(frozen=True)
class TargetGrid:
    """Where a sparse target is observed on its fine grid: every ``stride`` rows from row ``phase``."""

    stride: int
    phase: int

    @classmethod
    def of(cls, series: Series) -> TargetGrid:
        """The target's grid: stride 1 (dense) unless its known points are regularly ``k > 1`` rows apart."""
        known = np.flatnonzero(np.isfinite(series.values))
        if len(known) < 3:
            return cls(1, 0)
        steps = np.diff(known)
        stride = int(np.median(steps))
        if stride <= 1 or np.mean(steps % stride == 0) < REGULAR_SHARE:
            return cls(1, 0)
        return cls(stride, int(known[0] % stride))

    @property
    def sparse(self) -> bool:
        """Whether the target skips rows of its grid."""
        return self.stride > 1

    def coarse_horizon(self, horizon: int) -> int:
        """Target observations that fall in ``horizon`` fine rows (whatever the origin's phase)."""
        return max(math.ceil(horizon / self.stride), 1)

    def offsets(self) -> list[int]:
        """The bucket rows each covariate contributes: spread over the bucket, its last row included."""
        count = min(self.stride, MAX_OFFSETS)
        return sorted({round(float(x)) for x in np.linspace(self.stride - 1, 0, count)})

    def coarse(self, series: Series) -> Series:
        """The series on the target's grid, each covariate as one column per bucket offset."""
        rows = np.arange(self.phase, len(series), self.stride)
        covariates = {}
        for name, values in sorted(series.covariates.items()):
            padded = np.concatenate([values, np.full(self.stride, np.nan)])
            for offset in self.offsets():
                covariates[f"{name}@{offset}"] = padded[rows + offset]
        start = series.start + pd.Timedelta(seconds=self.phase * series.step_s)
        return Series(series.series_id, series.values[rows].astype(np.float64), start,
                      series.step_s * self.stride, covariates)

    def fine_forecasts(self, coarse: FloatArray, lengths: Sequence[int], horizon: int) -> FloatArray:
        """Coarse forecasts placed on the fine rows after each head (NaN where the target is not observed)."""
        out = np.full((len(lengths), horizon), np.nan)
        for row, length in enumerate(lengths):
            first = self._next_observation(length)
            positions = first - length + self.stride * np.arange(coarse.shape[1])
            inside = positions < horizon
            out[row, positions[inside]] = coarse[row, inside]
        return out

    def _next_observation(self, length: int) -> int:
        """The first target row at or after ``length``."""
        return self.phase + self.stride * max(math.ceil((length - self.phase) / self.stride), 0)


def own_grid(series: Series) -> Series:
    """The series on its target's own grid (itself when the target is dense)."""
    grid = TargetGrid.of(series)
    return grid.coarse(series) if grid.sparse else series


class OnTargetGrid(Forecaster):
    """Any forecaster, run on a sparse target's own grid (see the module docstring).

    Args:
        inner: The unfitted forecaster, made for :meth:`TargetGrid.coarse_horizon` steps.
        grid: The target's grid.
        horizon: Fine rows to forecast.
    """

    family = "on_target_grid"

    def __init__(self, inner: Forecaster, grid: TargetGrid, horizon: int) -> None:
        super().__init__(horizon)
        self.inner, self.grid = inner, grid

    @property
    def name(self) -> str:
        """The inner model's name (the grid is the data's, not a hyperparameter)."""
        return self.inner.name

    @property
    def uses_covariates(self) -> bool:
        """Whether the inner model reads the covariates."""
        return self.inner.uses_covariates

    def fit(self, panel: Sequence[Series]) -> OnTargetGrid:
        """Fit the inner model on the series' target grids."""
        self.inner.fit([self.grid.coarse(series) for series in panel])
        return self

    def predict(self, panel: Sequence[Series]) -> FloatArray:
        """The inner model's forecasts, on the fine rows where the target is observed."""
        coarse = self.inner.predict([self.grid.coarse(series) for series in panel])
        return self.grid.fine_forecasts(coarse, [len(series) for series in panel], self.horizon)
