"""Seasonal naive: each step repeats the value one season earlier. Always trained: the gate to beat."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sparkhu.models.base import Forecaster, register_family
from sparkhu.models.panel import FloatArray, Series, fill_gaps, season_length


@register_family()
class SeasonalNaive(Forecaster):
    """``ŷ[n + h] = y[n + h - m·k]`` with the smallest k that reaches into the history.

    The season ``m`` is the series' natural cycle (a day of steps for sub-daily data, 52 for weekly;
    :func:`~sparkhu.models.panel.season_length`) unless ``season`` is given; 1 is the plain naive
    (last value).
    """

    family = "seasonal_naive"
    DEFAULTS = {"season": 0}

    def fit(self, panel: Sequence[Series]) -> SeasonalNaive:
        """Nothing to learn."""
        return self

    def predict(self, panel: Sequence[Series]) -> FloatArray:
        """The values one (or more) seasons before each forecast step."""
        out = np.full((len(panel), self.horizon), np.nan)
        for row, series in enumerate(panel):
            values = fill_gaps(series.values)
            if not len(values):
                continue
            season = int(self.params["season"]) or season_length(series.step_s, len(values))
            season = min(max(season, 1), len(values))
            steps = np.arange(self.horizon)
            out[row] = values[len(values) - season + steps % season]
        return out
