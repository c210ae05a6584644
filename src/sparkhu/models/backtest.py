"""Rolling-origin backtest of one target: tune on the training part, pick a champion, score it on the test.

The last ``test_fraction`` of the series is the test part; origins run every ``step`` rows from its
start. Everything before the first test origin is the training part: candidates are validated on its
last origins (fitted on what precedes those), the best single model or ensemble is the champion, every
family's best configuration and the champion are refitted on the whole training part, and each forecasts
from every test origin with the history before it. Prediction intervals come from the champion's
validation errors (:mod:`~sparkhu.models.intervals`).

A target observed only every ``k``-th row (a sparse target beside dense covariates) is modelled on its
own grid (:mod:`~sparkhu.models.multirate`); origins, horizon and step still count the file's rows, and
only the rows where the target was observed are scored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from sparkhu.models import metrics
from sparkhu.models.candidates import refinements
from sparkhu.models.evaluation import (
    Candidate,
    IntArray,
    Validation,
    ValidationPlan,
    actuals_at,
    forecasts_at,
    rolling_origins,
    search,
)
from sparkhu.models.intervals import ConformalIntervals, series_scale
from sparkhu.models.multirate import TargetGrid, own_grid
from sparkhu.models.panel import FloatArray, Series, season_length


@dataclass(frozen=True)
class Scored:
    """One model's test forecasts and errors."""

    name: str
    family: str
    forecasts: FloatArray
    errors: dict[str, float]
    validation_score: float
    uses_covariates: bool = False


@dataclass(frozen=True)
class BacktestResult:
    """A backtest's outcome: the champion, every family's best, and the champion's interval coverage."""

    origins: IntArray
    horizon: int
    champion: Scored
    models: list[Scored]
    level: float
    coverage: float
    lower: FloatArray
    upper: FloatArray
    points: int
    """Scored points: the test rows where the target was observed."""


def test_errors(series: Series, origins: IntArray, forecasts: FloatArray, train: Series) -> dict[str, float]:
    """MAE, RMSE, sMAPE and MASE of forecasts from ``origins`` (MASE against the seasonal naive of ``train``).

    A sparse target's MASE scale is the seasonal naive on its own grid (its observations in a row).
    """
    actual = actuals_at(series, origins, forecasts.shape[1])
    own = own_grid(train)
    history, season = own.values, season_length(own.step_s, len(own))
    return {"MAE": metrics.mae(actual, forecasts), "RMSE": metrics.rmse(actual, forecasts),
            "sMAPE": metrics.smape(actual, forecasts), "MASE": metrics.mase(actual, forecasts, history, season)}


def family_bests(results: Sequence[Validation]) -> list[Validation]:
    """The best validated configuration of every family, in score order."""
    seen: dict[str, Validation] = {}
    for result in results:
        seen.setdefault(result.candidate.family, result)
    return list(seen.values())


def backtest(series: Series, candidates: Sequence[Candidate], horizon: int, test_fraction: float, step: int, *,
             level: float = 0.8, validation_origins: int = 120,
             on_result: Callable[[Validation], None] | None = None,
             refine: Callable[[Sequence[Validation]], Sequence[Candidate]] | None = refinements) -> BacktestResult:
    """Tune, choose and score on the rolling test origins (see the module docstring).

    Raises:
        ValueError: A test or training part too short for the horizon.
    """
    origins = rolling_origins(len(series), test_fraction, step, horizon)
    train = series.head(int(origins[0]))
    grid = TargetGrid.of(train)
    candidates = [replace(candidate, grid=grid) for candidate in candidates] if grid.sparse else candidates
    plan = ValidationPlan.of([train], horizon, validation_origins, step)
    if not len(plan.origins[0]):
        raise ValueError(f"the training part ({len(train)} rows) is too short to validate a horizon of {horizon}")
    ranked = search(candidates, [train], plan, on_result, refine)
    models = [_refit_and_score(result, series, train, origins) for result in family_bests(ranked)]
    by_name = {model.name: model for model in models}
    champion = by_name.get(ranked[0].model.name) or _refit_and_score(ranked[0], series, train, origins)
    intervals = ConformalIntervals.fit(ranked[0].errors[0], np.full(len(plan.origins[0]), plan.scales[0]), level)
    scales = np.full(len(origins), series_scale(train.values))
    lower, upper = intervals.bounds(champion.forecasts, scales)
    actual = actuals_at(series, origins, horizon)
    inside = (actual >= lower) & (actual <= upper)
    coverage = float(np.mean(inside[np.isfinite(actual)]))
    return BacktestResult(origins, horizon, champion, models, level, coverage, lower, upper,
                          int(np.isfinite(actual).sum()))


def _refit_and_score(result: Validation, series: Series, train: Series, origins: IntArray) -> Scored:
    """Refit a validated model on the whole training part; score its forecasts from the test origins."""
    model = result.model.fit([train])
    forecasts = forecasts_at(model, series, origins)
    return Scored(model.name, result.candidate.family, forecasts, test_errors(series, origins, forecasts, train),
                  result.score, model.uses_covariates)
