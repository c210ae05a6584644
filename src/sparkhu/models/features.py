"""Features of global models: the last values of a series (and of its covariates), scaled, plus calendar.

A *cut* ``c`` of a series is a forecast origin: the context is ``values[c - lags : c]``, the targets are
``values[c : c + horizon]``. Every row of a design matrix is one cut; a global model stacks the cuts of
all series of a panel, so that one model learns from many series at once (the M4/M5 lesson). Values
are scaled per cut so that series of different levels and units share one model:

- ``window``: minus the context's mean;
- ``last``: minus the context's last value;
- ``series``: minus the series' mean;

each divided by the series' standard deviation (learned at fit time, or the series' own for a series
the model did not see). A context's own spread is no scale: a flat day would blow its targets up.

Forecasts come back in the series' own units (:meth:`LagFeatures.unscale`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sparkhu.models.panel import FloatArray, Series, fill_gaps

IntArray = npt.NDArray[np.int64]
SCALINGS = ("window", "last", "series")
DAY_S, WEEK_S, YEAR_S = 86_400.0, 7 * 86_400.0, 365.25 * 86_400.0


@dataclass(frozen=True)
class Scaled:
    """A design block: feature rows, scaled targets (or None), and each row's level and scale."""

    features: FloatArray
    targets: FloatArray | None
    level: FloatArray
    scale: FloatArray


@dataclass(frozen=True)
class LagFeatures:
    """How cuts become feature rows.

    Attributes:
        lags: Context length in steps.
        covariate_lags: Steps of each covariate's history (0: covariates unused).
        calendar: Whether to add the calendar position of the first forecast step.
        scaling: One of :data:`SCALINGS`.
    """

    lags: int
    covariate_lags: int = 0
    calendar: bool = True
    scaling: str = "window"

    def __post_init__(self) -> None:
        if self.lags < 1 or self.covariate_lags < 0:
            raise ValueError(f"lags must be >= 1 and covariate_lags >= 0, got {self.lags}, {self.covariate_lags}")
        if self.scaling not in SCALINGS:
            raise ValueError(f"scaling must be one of {SCALINGS}, got {self.scaling!r}")

    def training_cuts(self, series: Series, horizon: int, max_cuts: int) -> IntArray:
        """Cuts whose context and targets lie inside the series, the most recent ``max_cuts`` of them."""
        first = max(self.lags, self.covariate_lags)
        cuts = np.arange(first, len(series) - horizon + 1, dtype=np.int64)
        return cuts[-max_cuts:] if max_cuts and len(cuts) > max_cuts else cuts

    def block(self, series: Series, cuts: IntArray, horizon: int, stats: tuple[float, float],
              with_targets: bool) -> Scaled:
        """Feature rows (and targets) of ``series`` at ``cuts``; ``stats`` is the series' (mean, std)."""
        values = fill_gaps(series.values)
        context = _windows(values, cuts, self.lags)
        level, scale = self._level_scale(context, stats)
        parts = [(context - level[:, None]) / scale[:, None]]
        if self.covariate_lags:
            parts += [_scaled_windows(fill_gaps(values_c), cuts, self.covariate_lags)
                      for _, values_c in sorted(series.covariates.items())]
        if self.calendar:
            parts.append(calendar_features(series.stamps_us(0, len(series) + horizon)[cuts], series.step_s))
        targets = None
        if with_targets:
            future = _windows(series.values.astype(np.float64), cuts + horizon, horizon)
            targets = (future - level[:, None]) / scale[:, None]
        return Scaled(np.hstack(parts) if parts else np.zeros((len(cuts), 0)), targets, level, scale)

    def _level_scale(self, context: FloatArray, stats: tuple[float, float]) -> tuple[FloatArray, FloatArray]:
        """Per-row level (by the scaling) and the series' scale (floored so that a flat series divides safely)."""
        if self.scaling == "series":
            level = np.full(len(context), stats[0])
        else:
            level = context[:, -1].copy() if self.scaling == "last" else context.mean(axis=1)
        scale = np.full(len(context), max(stats[1], 1e-6 * (1.0 + abs(stats[0]))))
        return level, scale


def series_stats(panel: Sequence[Series]) -> dict[str, tuple[float, float]]:
    """Mean and standard deviation of every series' known values (for ``series`` scaling)."""
    stats = {}
    for series in panel:
        known = series.values[np.isfinite(series.values)]
        stats[series.series_id] = (float(known.mean()), float(known.std())) if len(known) else (0.0, 1.0)
    return stats


def stats_of(series: Series, learned: Mapping[str, tuple[float, float]]) -> tuple[float, float]:
    """The learned stats of ``series``, or its own when it was not in the training panel."""
    return learned.get(series.series_id) or series_stats([series])[series.series_id]


def calendar_features(stamps_us: IntArray, step_s: float) -> FloatArray:
    """Position of each timestamp in the day, the week and the year: the same 17 columns for every grid.

    Phase of the day: three sine/cosine harmonics; day of the week: one-hot; time of the year: two
    harmonics. A position the grid cannot resolve (the day phase of daily data) is a constant column, so
    series of different periods share one layout in a global model.
    """
    seconds = stamps_us.astype(np.float64) / 1e6
    day = _harmonics((seconds % DAY_S) / DAY_S, 3) if step_s < DAY_S else np.zeros((len(seconds), 6))
    weekday = _one_hot(((seconds // DAY_S + 3) % 7).astype(np.int64), 7)  # 1970-01-01 was a Thursday
    year = _harmonics((seconds % YEAR_S) / YEAR_S, 2)
    return np.hstack([day, weekday, year])


def _one_hot(codes: IntArray, size: int) -> FloatArray:
    out = np.zeros((len(codes), size))
    out[np.arange(len(codes)), np.clip(codes, 0, size - 1)] = 1.0
    return out


def _harmonics(phase: FloatArray, count: int) -> FloatArray:
    angles = 2 * np.pi * phase[:, None] * np.arange(1, count + 1)
    return np.hstack([np.sin(angles), np.cos(angles)])


def _windows(values: FloatArray, ends: IntArray, length: int) -> FloatArray:
    """Rows ``values[end - length : end]`` for each end.

    Before the first value a row repeats it (a short history is a flat one); after the last it is NaN.
    """
    first = values[0] if len(values) else np.nan
    padded = np.concatenate([np.full(length, first), values, np.full(length, np.nan)])
    view = np.lib.stride_tricks.sliding_window_view(padded, length)
    return np.asarray(view[ends], dtype=np.float64)


def _scaled_windows(values: FloatArray, ends: IntArray, length: int) -> FloatArray:
    """Context windows of a covariate, each minus its mean, over the covariate's standard deviation."""
    rows = _windows(values, ends, length)
    known = values[np.isfinite(values)]
    spread = float(known.std()) if len(known) else 1.0
    return (rows - rows.mean(axis=1, keepdims=True)) / max(spread, 1e-9)
