"""Prediction intervals by split conformal prediction, per horizon step, from validation residuals.

On validation origins the absolute errors of each step ``h`` are divided by the series' scale (the mean
absolute one-step difference of its history, as in MASE, so that series of different units pool).
The interval half-width of step ``h`` is the ``ceil((n + 1) · level) / n`` empirical quantile of those
``n`` scaled errors, times the series' scale: with exchangeable errors the interval covers the truth
with probability at least ``level`` (Vovk et al.; Angelopoulos & Bates, "A Gentle Introduction to
Conformal Prediction", 2021).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sparkhu.models.panel import FloatArray


def series_scale(history: FloatArray) -> float:
    """Mean absolute one-step change of the known history (1 when it has none or it is 0)."""
    known = history[np.isfinite(history)]
    scale = float(np.mean(np.abs(np.diff(known)))) if len(known) > 1 else 0.0
    return scale if scale > 0 else 1.0


@dataclass(frozen=True)
class ConformalIntervals:
    """Half-widths per horizon step in units of a series' scale, for one nominal level.

    Attributes:
        level: Nominal coverage in (0, 1), e.g. 0.8.
        widths: Scaled half-width of each step (length = horizon).
        n: Validation errors each step's width comes from.
    """

    level: float
    widths: FloatArray
    n: int

    @classmethod
    def fit(cls, errors: FloatArray, scales: FloatArray, level: float) -> ConformalIntervals:
        """Widths from validation errors ``(origins, horizon)`` (forecast minus actual) and each origin's scale.

        Raises:
            ValueError: A level outside (0, 1) or no finite error.
        """
        if not 0 < level < 1:
            raise ValueError(f"the interval level must be in (0, 1), got {level}")
        scaled = np.abs(errors) / scales[:, None]
        widths = np.empty(scaled.shape[1])
        counts = np.isfinite(scaled).sum(axis=0)
        if not counts.any():
            raise ValueError("no finite validation error to calibrate intervals on")
        for step in range(scaled.shape[1]):
            column = np.sort(scaled[np.isfinite(scaled[:, step]), step])
            n = len(column)
            rank = min(int(np.ceil((n + 1) * level)), n) - 1 if n else -1
            widths[step] = column[rank] if n else np.nan
        return cls(level, _filled(widths), int(counts[counts > 0].min()))

    def bounds(self, forecasts: FloatArray, scales: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Lower and upper bounds of ``forecasts`` ``(series, horizon)`` with each series' scale."""
        half = self.widths[None, :] * scales[:, None]
        return forecasts - half, forecasts + half


def _filled(widths: FloatArray) -> FloatArray:
    """Steps that validation never scored (a sparse target's unobserved rows) take their neighbours' width."""
    known = np.isfinite(widths)
    if known.all():
        return widths
    steps = np.arange(len(widths))
    return np.interp(steps, steps[known], widths[known])
