"""Gradient boosting on the same lag features as the ridge: LightGBM, one booster per horizon step.

LightGBM rather than scikit-learn's HistGradientBoosting: the same histogram algorithm, but it trains
faster on a few cores, exposes L1/L2 regularisation and leaf limits that tuning can search, and is the
library the M5 winners used for exactly this (global models on lags and calendar features).

The steps share their feature rows, so the rows are binned once (a LightGBM ``Dataset``) and each step's
booster trains on it with that step's targets as labels: binning was an eighth of the fit time when
every step re-binned the same matrix.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from sparkhu.models.base import register_family
from sparkhu.models.linear import LAG_SPACE, LagModel
from sparkhu.models.panel import FloatArray

BOOSTER_OPTIONS = ("learning_rate", "num_leaves", "min_child_samples", "colsample_bytree", "objective")
"""Parameters passed to LightGBM as they are (``n_estimators`` is the number of rounds)."""


def available_threads() -> int:
    """Threads this process may use.

    ``OMP_NUM_THREADS`` when set (a container's CPU limit, a Ray trial's one CPU), otherwise the CPUs the
    process may run on.
    """
    configured = os.environ.get("OMP_NUM_THREADS", "")
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@register_family(space={**LAG_SPACE, "n_estimators": [100, 200, 400], "learning_rate": [0.03, 0.1],
                        "num_leaves": [15, 31, 63], "min_child_samples": [20, 50], "objective": ["l2", "l1", "huber"]})
class GlobalBoosting(LagModel):
    """Direct multi-horizon gradient boosting: step h has its own booster on the shared rows.

    ``threads`` 0 (the default) means :func:`available_threads` at fit and predict time, so that the
    same stored configuration uses one thread in a tuning trial and all of its container's in training.
    """

    family = "lightgbm"
    DEFAULTS = {**LagModel.DEFAULTS, "n_estimators": 200, "learning_rate": 0.05, "num_leaves": 31,
                "min_child_samples": 20, "colsample_bytree": 0.5, "objective": "l2", "threads": 0}

    @property
    def threads(self) -> int:
        """Threads for LightGBM (the parameter, or :func:`available_threads` when it is 0)."""
        return int(self.params["threads"]) or available_threads()

    def _fit_rows(self, x: FloatArray, y: FloatArray) -> None:
        import lightgbm

        options: dict[str, Any] = {key: self.params[key] for key in BOOSTER_OPTIONS}
        options.update(num_threads=self.threads, verbose=-1)
        rows = lightgbm.Dataset(x, label=y[:, 0], params=options, free_raw_data=False).construct()
        self.boosters = [self._train_step(lightgbm, options, rows, y[:, step]) for step in range(y.shape[1])]

    def _train_step(self, lightgbm: Any, options: dict[str, Any], rows: Any, targets: FloatArray) -> Any:
        """One step's booster on the shared binned rows (labels replaced, the booster let go of them)."""
        rows.set_label(targets)
        booster = lightgbm.train(options, rows, num_boost_round=int(self.params["n_estimators"]))
        booster.free_dataset()
        return booster

    def _predict_rows(self, x: FloatArray) -> FloatArray:
        threads = self.threads
        return np.column_stack([booster.predict(x, num_threads=threads) for booster in self.boosters])
