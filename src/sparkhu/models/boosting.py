"""Gradient boosting on the same lag features as the ridge: LightGBM, one model per horizon step.

LightGBM rather than scikit-learn's HistGradientBoosting: the same histogram algorithm, but it trains
faster on a few cores, exposes L1/L2 regularisation and leaf limits that tuning can search, and is the
library the M5 winners used for exactly this (global models on lags and calendar features).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sparkhu.models.base import register_family
from sparkhu.models.linear import LAG_SPACE, LagModel
from sparkhu.models.panel import FloatArray


@register_family(space={**LAG_SPACE, "n_estimators": [100, 200, 400], "learning_rate": [0.03, 0.1],
                        "num_leaves": [15, 31, 63], "min_child_samples": [20, 50], "objective": ["l2", "l1", "huber"]})
class GlobalBoosting(LagModel):
    """Direct multi-horizon gradient boosting: step h has its own booster on the shared rows."""

    family = "lightgbm"
    DEFAULTS = {**LagModel.DEFAULTS, "n_estimators": 200, "learning_rate": 0.05, "num_leaves": 31,
                "min_child_samples": 20, "colsample_bytree": 0.5, "objective": "l2", "threads": 1}

    def _fit_rows(self, x: FloatArray, y: FloatArray) -> None:
        from lightgbm import LGBMRegressor

        names = ("n_estimators", "learning_rate", "num_leaves", "min_child_samples", "colsample_bytree", "objective")
        options: dict[str, Any] = {key: self.params[key] for key in names}
        self.boosters = [LGBMRegressor(**options, n_jobs=int(self.params["threads"]), verbose=-1).fit(x, y[:, step])
                         for step in range(y.shape[1])]

    def _predict_rows(self, x: FloatArray) -> FloatArray:
        return np.column_stack([booster.predict(x) for booster in self.boosters])
