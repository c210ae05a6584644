"""Rolling-origin evaluation and the validation that picks a champion, time-ordered only.

An *origin* of a series is a cut index: a model sees ``values[:origin]`` (and the covariates up to
there) and forecasts ``values[origin : origin + horizon]``. Validation origins lie at the end of each
series' training part; a model scored on them was fitted on the history before the first of them, so
no validation target is ever seen in training. Scores are scaled errors (a series' MAE over its
:func:`~sparkhu.models.intervals.series_scale`), so that each series weighs the same in a group.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from sparkhu.models.base import Forecaster, build
from sparkhu.models.ensemble import Ensemble, member_mean
from sparkhu.models.intervals import series_scale
from sparkhu.models.multirate import OnTargetGrid, TargetGrid
from sparkhu.models.panel import FloatArray, Series

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Candidate:
    """A family with hyperparameters, as tuning proposes it."""

    family: str
    params: Mapping[str, Any] = field(default_factory=dict)
    grid: TargetGrid | None = None
    """A sparse target's grid: the model then runs on it (:class:`~sparkhu.models.multirate.OnTargetGrid`)."""

    def make(self, horizon: int) -> Forecaster:
        """A fresh, unfitted forecaster (on the target's own grid when the target is sparse)."""
        if self.grid is None or not self.grid.sparse:
            return build(self.family, horizon, self.params)
        return OnTargetGrid(build(self.family, self.grid.coarse_horizon(horizon), self.params), self.grid, horizon)


def rolling_origins(length: int, test_fraction: float, step: int, horizon: int) -> IntArray:
    """Origins of a rolling test: every ``step`` rows from the start of the last ``test_fraction``.

    The whole horizon of each origin lies inside the series.

    Raises:
        ValueError: Parameters out of range or a test part shorter than one horizon.
    """
    if not 0 < test_fraction < 1 or step < 1 or horizon < 1:
        raise ValueError("test_fraction must be in (0, 1), step and horizon at least 1")
    start = length - round(length * test_fraction)
    origins = np.arange(start, length - horizon + 1, step, dtype=np.int64)
    if not len(origins):
        raise ValueError(f"the test part ({length - start} rows) is shorter than the horizon ({horizon})")
    return origins


VALIDATION_SHARE = 0.25
"""At most this share of a series' history is held out for validation; the rest trains."""


def validation_origins(series: Series, horizon: int, count: int, step: int) -> IntArray:
    """The last origins of a series, ``step`` apart, whose horizon ends at or before its end.

    ``count`` of them, or fewer when they would reach into the first ``1 - VALIDATION_SHARE`` of the
    history (which is what the models are fitted on); at least one when the series is long enough.
    """
    last = len(series) - horizon
    earliest = int(len(series) * (1 - VALIDATION_SHARE))
    count = max(min(count, (last - earliest) // step + 1), 1)
    origins = last - step * np.arange(count, dtype=np.int64)[::-1]
    return origins[origins > 0]


def forecasts_at(model: Forecaster, series: Series, origins: IntArray) -> FloatArray:
    """The model's forecasts from each origin (context = the history before it), ``(origins, horizon)``."""
    return model.predict([series.head(int(origin)) for origin in origins])


def actuals_at(series: Series, origins: IntArray, horizon: int) -> FloatArray:
    """The values each forecast from ``origins`` should have hit (NaN past the end)."""
    padded = np.concatenate([series.values, np.full(horizon, np.nan)])
    return np.stack([padded[origin:origin + horizon] for origin in origins]) if len(origins) else np.zeros((0, horizon))


@dataclass
class Validation:
    """What validation measured for one candidate: its forecasts, errors and score."""

    candidate: Candidate
    model: Forecaster
    forecasts: list[FloatArray]
    errors: list[FloatArray]
    score: float
    seconds: float


@dataclass(frozen=True)
class ValidationPlan:
    """Where validation looks: per series, its origins and the history a model is fitted on."""

    origins: list[IntArray]
    scales: FloatArray
    train: list[Series]
    horizon: int

    @classmethod
    def of(cls, panel: Sequence[Series], horizon: int, count: int, step: int) -> ValidationPlan:
        """Validation at the end of every series; models are fitted on what precedes its first origin."""
        origins = [validation_origins(series, horizon, count, step) for series in panel]
        train = [series.head(int(cuts[0]) if len(cuts) else len(series)) for series, cuts in zip(panel, origins,
                                                                                                   strict=True)]
        scales = np.array([series_scale(series.values) for series in train])
        return cls(origins, scales, train, horizon)


def validate(candidate: Candidate, panel: Sequence[Series], plan: ValidationPlan) -> Validation:
    """Fit ``candidate`` on the plan's training histories and score it on the validation origins."""
    clock = time.perf_counter()
    model = candidate.make(plan.horizon).fit(plan.train)
    forecasts = [forecasts_at(model, series, cuts) for series, cuts in zip(panel, plan.origins, strict=True)]
    return _scored(candidate, model, forecasts, panel, plan, time.perf_counter() - clock)


def _scored(candidate: Candidate, model: Forecaster, forecasts: list[FloatArray], panel: Sequence[Series],
            plan: ValidationPlan, seconds: float) -> Validation:
    """Errors and the scaled-MAE score of forecasts made at the plan's origins."""
    errors = [f - actuals_at(series, cuts, plan.horizon)
              for f, series, cuts in zip(forecasts, panel, plan.origins, strict=True)]
    per_series = [np.nanmean(np.abs(e)) / s for e, s in zip(errors, plan.scales, strict=True) if np.isfinite(e).any()]
    score = float(np.mean(per_series)) if per_series else float("nan")
    return Validation(candidate, model, forecasts, errors, score, seconds)


def ensemble_of(members: Sequence[Validation], panel: Sequence[Series], plan: ValidationPlan) -> Validation:
    """The validated mean of already validated members (their validation forecasts averaged)."""
    forecasts = [member_mean(np.stack([member.forecasts[i] for member in members])) for i in range(len(panel))]
    model = Ensemble.of([member.model for member in members])
    candidate = Candidate("ensemble", {"members": tuple(member.model.name for member in members)})
    return _scored(candidate, model, forecasts, panel, plan, sum(member.seconds for member in members))


def best_with_ensembles(results: Sequence[Validation], panel: Sequence[Series], plan: ValidationPlan,
                        sizes: Sequence[int] = (2, 3, 4)) -> list[Validation]:
    """``results`` plus ensembles of the best 2, 3, 4 *distinct* members (by score), sorted best first.

    Members are distinct when they differ in family or in context length: two ridges that read 13 and
    104 steps make different errors (the pooled-lookback lesson of N-BEATS), two that differ only in
    their penalty mostly do not.
    """
    ranked = sorted((r for r in results if np.isfinite(r.score)), key=lambda r: r.score)
    distinct: list[Validation] = []
    for result in ranked:
        if diversity_key(result.candidate) not in {diversity_key(d.candidate) for d in distinct}:
            distinct.append(result)
    ensembles = [ensemble_of(distinct[:size], panel, plan) for size in sizes if len(distinct) >= size]
    return sorted([*ranked, *ensembles], key=lambda r: r.score)


def diversity_key(candidate: Candidate) -> tuple[str, object]:
    """What makes two ensemble members different: the family and the context length."""
    return candidate.family, candidate.params.get("lags")


def search(candidates: Sequence[Candidate], panel: Sequence[Series], plan: ValidationPlan,
           on_result: Callable[[Validation], None] | None = None,
           refine: Callable[[Sequence[Validation]], Sequence[Candidate]] | None = None) -> list[Validation]:
    """Validate every candidate (in order), then ``refine``'s follow-ups, then add the ensembles; best first.

    A candidate the data cannot support (a context longer than the history) is left out.

    Raises:
        ValueError: No candidate could be validated.
    """
    results = validate_supported(candidates, panel, plan, on_result)
    if refine is not None:
        results += validate_supported(refine(results), panel, plan, on_result, allow_none=True)
    return best_with_ensembles(results, panel, plan)


def validate_supported(candidates: Sequence[Candidate], panel: Sequence[Series], plan: ValidationPlan,
                       on_result: Callable[[Validation], None] | None = None,
                       allow_none: bool = False) -> list[Validation]:
    """Every candidate validated, the ones the data cannot support (a ``ValueError`` at fit) left out.

    Raises:
        ValueError: None could be validated, unless ``allow_none``.
    """
    results, refused = [], []
    for candidate in candidates:
        try:
            result = validate(candidate, panel, plan)
        except ValueError as error:
            refused.append(f"{candidate.family}: {error}")
            continue
        if on_result is not None:
            on_result(result)
        results.append(result)
    if not results and not allow_none:
        raise ValueError("no candidate model fits this data: " + "; ".join(dict.fromkeys(refused)))
    return results
