"""A global regularised linear model on lags (+ calendar, + covariates' lags): one ridge over many series."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from sklearn.linear_model import Ridge

from sparkhu.models.base import Forecaster, nan_forecasts, register_family
from sparkhu.models.design import covariates_of, prediction_rows, training_rows, unscale
from sparkhu.models.features import SCALINGS, LagFeatures, series_stats
from sparkhu.models.panel import FloatArray, Series

LAG_SPACE: dict[str, list[Any]] = {"lags": [24, 48, 96, 168, 336], "calendar": [True, False],
                                   "scaling": list(SCALINGS), "covariate_lags": [0, 6, 24]}


class LagModel(Forecaster):
    """A global model on :class:`~sparkhu.models.features.LagFeatures` rows; subclasses give the regressor."""

    DEFAULTS = {"lags": 96, "covariate_lags": 0, "calendar": True, "scaling": "window", "max_cuts": 30_000}

    def __init__(self, horizon: int, **params: Any) -> None:
        super().__init__(horizon, **params)
        self.covariates: tuple[str, ...] = ()
        self.stats: dict[str, tuple[float, float]] = {}

    @property
    def uses_covariates(self) -> bool:
        """Whether the model reads the covariates' history."""
        return int(self.params["covariate_lags"]) > 0

    @property
    def lag_features(self) -> LagFeatures:
        """The feature layout of the parameters."""
        return LagFeatures(int(self.params["lags"]), int(self.params["covariate_lags"]),
                           bool(self.params["calendar"]), str(self.params["scaling"]))

    def fit(self, panel: Sequence[Series]) -> LagModel:
        """Fit on every cut of every series (covariates: those all series share)."""
        self.covariates = covariates_of(panel) if self.uses_covariates else ()
        panel = [self._aligned(series) for series in panel]
        self.stats = series_stats(panel)
        rows = training_rows(self.lag_features, panel, self.horizon, int(self.params["max_cuts"]), self.stats)
        self._fit_rows(rows.features, rows.targets)
        return self

    def predict(self, panel: Sequence[Series]) -> FloatArray:
        """One direct forecast of every step per series."""
        if not panel:
            return nan_forecasts(0, self.horizon)
        rows = prediction_rows(self.lag_features, [self._aligned(series) for series in panel], self.horizon,
                               self.stats)
        return unscale(self._predict_rows(rows.features), rows)

    def _aligned(self, series: Series) -> Series:
        """The series with exactly the covariates the model was fitted on (none when it uses none)."""
        wanted = self.covariates
        missing = [name for name in wanted if name not in series.covariates]
        if missing:
            raise ValueError(f"series {series.series_id!r} lacks the covariates {missing} the model uses")
        return replace(series, covariates={name: series.covariates[name] for name in wanted})

    @abstractmethod
    def _fit_rows(self, x: FloatArray, y: FloatArray) -> None:
        """Fit the regressor on feature rows and their scaled targets (one column per step)."""

    @abstractmethod
    def _predict_rows(self, x: FloatArray) -> FloatArray:
        """Scaled forecasts of feature rows."""


@register_family(space={**LAG_SPACE, "alpha": [1.0, 10.0, 100.0, 1000.0], "loss": ["squared", "absolute"]})
class GlobalRidge(LagModel):
    """Ridge regression from the scaled lags to every horizon step (direct).

    ``loss="squared"`` is one multi-output ridge; ``"absolute"`` fits each step's ridge by iteratively
    reweighted least squares towards the least-absolute-deviation solution (weights ``1 / max(|r|, δ)``,
    ``IRLS_ROUNDS`` rounds): the conditional median, which is what an MAE-scored forecast should aim at
    when errors are heavy-tailed.
    """

    family = "ridge"
    DEFAULTS = {**LagModel.DEFAULTS, "alpha": 1.0, "loss": "squared"}
    IRLS_ROUNDS = 5
    IRLS_DELTA = 0.05

    def _fit_rows(self, x: FloatArray, y: FloatArray) -> None:
        alpha = float(self.params["alpha"])
        if self.params["loss"] == "squared":
            self.models = [Ridge(alpha=alpha).fit(x, y)]
            return
        if self.params["loss"] != "absolute":
            raise ValueError(f"ridge: loss must be 'squared' or 'absolute', got {self.params['loss']!r}")
        self.models = [self._least_absolute(x, y[:, step], alpha) for step in range(y.shape[1])]

    def _least_absolute(self, x: FloatArray, y: FloatArray, alpha: float) -> Ridge:
        """One step's ridge, reweighted towards absolute loss."""
        model = Ridge(alpha=alpha).fit(x, y)
        for _ in range(self.IRLS_ROUNDS):
            weights = 1.0 / np.maximum(np.abs(y - model.predict(x)), self.IRLS_DELTA)
            model = Ridge(alpha=alpha).fit(x, y, sample_weight=weights)
        return model

    def _predict_rows(self, x: FloatArray) -> FloatArray:
        if len(self.models) == 1:
            return self.models[0].predict(x)
        return np.column_stack([model.predict(x) for model in self.models])
