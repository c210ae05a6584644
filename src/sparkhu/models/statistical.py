"""Local statistical models from statsforecast, refitted on each series' recent history at every forecast.

They learn nothing across series: ``fit`` keeps nothing and ``predict`` fits each series' own model on
its last ``max_context`` points. ``season = 0`` takes the series' natural cycle.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from sparkhu.models.base import Forecaster, register_family
from sparkhu.models.panel import FloatArray, Series, fill_gaps, season_length


class LocalStatistical(Forecaster):
    """A statsforecast model fitted per series; subclasses name the model."""

    DEFAULTS = {"season": 0, "max_context": 1000}

    def fit(self, panel: Sequence[Series]) -> LocalStatistical:
        """Nothing to learn across series."""
        return self

    def predict(self, panel: Sequence[Series]) -> FloatArray:
        """Each series' own model on its recent history; a series it cannot fit gets its last value."""
        out = np.full((len(panel), self.horizon), np.nan)
        for row, series in enumerate(panel):
            values = fill_gaps(series.values)[-int(self.params["max_context"]):]
            if not len(values) or not np.isfinite(values).all():
                continue
            season = int(self.params["season"]) or season_length(series.step_s, len(values))
            out[row] = self._forecast(values, max(season, 1))
        return out

    def _forecast(self, values: FloatArray, season: int) -> FloatArray:
        """The model's mean forecast, or the last value when the fit fails (too short, degenerate)."""
        if np.ptp(values) == 0 or len(values) < 2 * max(season, 2) + 2:
            return np.full(self.horizon, values[-1])
        try:
            result = self.model_factory()(season).forecast(y=values, h=self.horizon)
            mean = np.asarray(result["mean"], dtype=np.float64)
        except (ValueError, ZeroDivisionError, np.linalg.LinAlgError, FloatingPointError):
            return np.full(self.horizon, values[-1])
        return np.where(np.isfinite(mean), mean, values[-1])

    @abstractmethod
    def model_factory(self) -> Callable[[int], Any]:
        """A function of the season length that makes the statsforecast model."""


@register_family(space={"max_context": [500, 1000, 2000]})
class AutoETS(LocalStatistical):
    """Exponential smoothing with the error/trend/season form chosen by AICc (statsforecast ``AutoETS``)."""

    family = "auto_ets"

    def model_factory(self) -> Callable[[int], Any]:
        """The statsforecast AutoETS."""
        from statsforecast.models import AutoETS as Model

        return lambda season: Model(season_length=season)


@register_family(space={"max_context": [500, 1000, 2000]})
class AutoTheta(LocalStatistical):
    """The Theta method with its variant chosen automatically (statsforecast ``AutoTheta``)."""

    family = "auto_theta"

    def model_factory(self) -> Callable[[int], Any]:
        """The statsforecast AutoTheta."""
        from statsforecast.models import AutoTheta as Model

        return lambda season: Model(season_length=season)


@register_family(space={"max_context": [500, 1000]})
class AutoARIMA(LocalStatistical):
    """ARIMA with orders chosen by a stepwise search (statsforecast ``AutoARIMA``); the slowest family."""

    family = "auto_arima"
    DEFAULTS = {"season": 0, "max_context": 720}

    def model_factory(self) -> Callable[[int], Any]:
        """The statsforecast AutoARIMA."""
        from statsforecast.models import AutoARIMA as Model

        return lambda season: Model(season_length=season)
