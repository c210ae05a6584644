"""Task ``train``: refit the tuned choice, decide on a held-out tail, register it, move ``champion`` only if it wins.

The held-out tail is the last ``holdout_fraction`` of each series: tuning never saw it and neither did
the scalers (they fit on the leading share). The challenger is the best of the group's tuned families
or their ensemble, chosen on the same validation as tuning. It is refitted on the history before the
tail and forecasts every origin of the tail (one horizon apart), as do seasonal naive and the current
champion; errors are in the series' own units. The new version (refitted on the whole history, with
conformal intervals from its tail errors) is registered in any case. A challenger worse than seasonal
naive on the tail is replaced by seasonal naive (the gate: nothing worse than naive is deployed, and a
group always has a model to forecast with). The ``champion`` alias moves to the new version only when
it beats the current champion on that same tail (or when the group has no champion yet); the champion
is refitted on the same history before the tail first, since the deployed one learned from most of it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sparkhu.models import metrics
from sparkhu.models.base import Forecaster
from sparkhu.models.evaluation import Candidate, actuals_at, forecasts_at, search
from sparkhu.models.intervals import ConformalIntervals, series_scale
from sparkhu.models.panel import Series, season_length
from sparkhu.tasks._modeling import GROUP, HOLDOUT, HORIZON, group_plan, heads, model_store, origins_per_series
from sparkhu.tasks._panels import group_series, in_units, read_panel, scalers_of
from sparkhu.tasks.context import TaskContext
from sparkhu.tasks.params import Param
from sparkhu.tasks.spec import TaskOutcome, TaskSpec, register

if TYPE_CHECKING:
    from sparkhu.tracking.store import ModelStore

FALLBACK = (Candidate("seasonal_naive"), Candidate("ridge", {"lags": 48, "scaling": "last"}))
"""What the challenger is chosen from when the group was never tuned."""


@dataclass(frozen=True)
class Tail:
    """The held-out origins of every series, and the values in units that forecasts are scored against."""

    origins: list[np.ndarray]
    actual: list[np.ndarray]
    scalers: dict[str, tuple[float, float]]


MAX_TAIL_ORIGINS = 48
"""Most origins scored per series: a long tail of a fast series is sampled evenly (every origin of it would
refit each local model hundreds of times for little more certainty)."""


def tail_of(panel: Sequence[Series], fraction: float, horizon: int, scalers: dict[str, tuple[float, float]]) -> Tail:
    """Origins every ``horizon`` steps through each series' held-out tail, sampled evenly, the last one kept.

    At most MAX_TAIL_ORIGINS per series, fewer in a large group (see ``origins_per_series``).
    """
    origins = []
    most = origins_per_series(MAX_TAIL_ORIGINS, len(panel))
    for series in panel:
        start = len(series) - int(len(series) * fraction)
        cuts = np.arange(start, len(series) - horizon + 1, horizon, dtype=np.int64)
        if len(cuts) > most:
            cuts = cuts[np.linspace(len(cuts) - 1, 0, most).round().astype(np.int64)[::-1]]
        origins.append(cuts)
    actual = [in_units(actuals_at(s, o, horizon), scalers.get(s.series_id)) for s, o in zip(panel, origins,
                                                                                              strict=True)]
    return Tail(origins, actual, scalers)


def tail_errors(model: Forecaster, panel: Sequence[Series], tail: Tail) -> tuple[dict[str, float], list[np.ndarray]]:
    """MAE, RMSE, sMAPE and MASE on the tail (pooled over the group's series, in units), and the raw errors."""
    forecasts = [in_units(forecasts_at(model, s, o), tail.scalers.get(s.series_id)) if len(o) else np.zeros((0, 1))
                 for s, o in zip(panel, tail.origins, strict=True)]
    actual = np.concatenate([a.ravel() for a in tail.actual]) if tail.actual else np.zeros(0)
    predicted = np.concatenate([f.ravel() for f in forecasts]) if forecasts else np.zeros(0)
    history = in_units(panel[0].values[: int(tail.origins[0][0]) if len(tail.origins[0]) else len(panel[0])],
                       tail.scalers.get(panel[0].series_id)) if panel else np.zeros(0)
    season = season_length(panel[0].step_s, len(history)) if panel else 1
    found = {"MAE": metrics.mae(actual, predicted), "RMSE": metrics.rmse(actual, predicted),
             "sMAPE": metrics.smape(actual, predicted), "MASE": metrics.mase(actual, predicted, history, season)}
    errors = [f - a for f, a in zip(forecasts, tail.actual, strict=True)]
    return found, errors


def tuned_candidates(ctx: TaskContext, group: str) -> list[Candidate]:
    """The best configuration of each family from the group's latest tuning (the fallback when none)."""
    from sparkhu.storage.lake import Slice

    rows = ctx.lake.read("model_choices", Slice(None, ctx.interval.end, equals={"group": group}))
    if rows.empty:
        return list(FALLBACK)
    latest = rows[rows["tuned_at"] == rows["tuned_at"].max()].sort_values("score")
    chosen = [Candidate(str(r.family), json.loads(r.params)) for r in latest.itertuples()]
    return chosen if any(c.family == "seasonal_naive" for c in chosen) else [FALLBACK[0], *chosen]


def challenger(ctx: TaskContext, train: list[Series]) -> Forecaster:
    """The best tuned family or ensemble of them, by validation on the training part.

    A choice the training part cannot support (a context longer than its series: the fallback ridge on
    a group whose tuning kept nothing, or a group that shrank) is left out; seasonal naive always fits.
    """
    plan = group_plan(train, ctx.params["horizon"], ctx.params["validation_origins"])
    return search(tuned_candidates(ctx, ctx.params["group"]), train, plan)[0].model


def run(ctx: TaskContext) -> TaskOutcome:
    """Decide on the tail, register the new version, promote it when it beats naive and the champion."""
    group, horizon, fraction = ctx.params["group"], ctx.params["horizon"], ctx.params["holdout_fraction"]
    panel = read_panel(ctx, group)
    if not panel:
        return TaskOutcome(counts={"series": 0, "skipped": 1})
    tail = tail_of(panel, fraction, horizon, scalers_of(ctx, group_series(ctx, group)))
    train = heads(panel, fraction)
    tuned = challenger(ctx, train).fit(train)
    tuned_metrics, tuned_errors = tail_errors(tuned, panel, tail)
    naive = Candidate("seasonal_naive").make(horizon).fit(train)
    naive_metrics, naive_errors = tail_errors(naive, panel, tail)
    # The naive gate: a challenger worse than seasonal naive on the tail is replaced by seasonal naive
    # itself, so that nothing worse than naive is ever deployed and a group always has a model to forecast.
    gated = not _beats(tuned_metrics, naive_metrics, or_equal=True)
    new, new_metrics, new_errors = (naive, naive_metrics, naive_errors) if gated else (tuned, tuned_metrics,
                                                                                      tuned_errors)
    store = model_store(ctx.settings)
    champion_metrics = _incumbent_errors(store, group, panel, train, tail, horizon)
    promote = champion_metrics is None or _beats(new_metrics, champion_metrics)
    deployed = with_intervals(new.fit(panel), panel, tail, new_errors, ctx.params["level"] / 100)
    version = _record(ctx, group, new, deployed, new_metrics, naive_metrics, champion_metrics, promote, panel, tail)
    outcome_metrics = {f"{name}.{key}": value for name, found in
                       (("challenger", tuned_metrics), ("naive", naive_metrics), ("champion", champion_metrics or {}))
                       for key, value in found.items() if value == value}
    return TaskOutcome(rows_in=sum(len(s) for s in panel), n_series=len(panel),
                       counts={"version": version, "promoted": int(promote), "replaced_by_naive": int(gated),
                               "tail_origins": sum(len(o) for o in tail.origins)}, metrics=outcome_metrics)


def _incumbent_errors(store: ModelStore, group: str, panel: Sequence[Series], train: list[Series], tail: Tail,
                      horizon: int) -> dict[str, float] | None:
    """The current champion's tail errors, its recipe refitted on the history before the tail.

    The deployed champion was fitted on a history that holds most of today's tail (the tail moves a day
    at a time): scored as it is, it would be judged on data it learned from and never lose. None when
    the group has no champion or one of another horizon (nothing comparable: the new version wins).
    """
    if store.champion(group) is None:
        return None
    incumbent = store.load(group)
    if incumbent.horizon != horizon:
        return None
    return tail_errors(incumbent.fit(train), panel, tail)[0]


def _beats(new: dict[str, float], other: dict[str, float], or_equal: bool = False) -> bool:
    """Whether ``new`` has the lower MAE (an unmeasured other loses; an unmeasured new never wins)."""
    if np.isnan(new["MAE"]):
        return False
    return bool(np.isnan(other["MAE"]) or new["MAE"] < other["MAE"] or (or_equal and new["MAE"] == other["MAE"]))


def with_intervals(model: Forecaster, panel: Sequence[Series], tail: Tail, errors: list[np.ndarray],
                    level: float) -> Forecaster:
    """The model with conformal interval widths from its tail errors (in units of each series' scale)."""
    scales = [np.full(len(e), series_scale(in_units(s.values, tail.scalers.get(s.series_id))))
              for s, e in zip(panel, errors, strict=True)]
    stacked = np.vstack([e for e in errors if len(e)]) if any(len(e) for e in errors) else np.zeros((0, 1))
    if len(stacked):
        model.intervals = ConformalIntervals.fit(stacked, np.concatenate([s for s in scales if len(s)]), level)
    return model


def _record(ctx: TaskContext, group: str, new: Forecaster, deployed: Forecaster, new_metrics: dict[str, float],
            naive: dict[str, float], champion: dict[str, float] | None, promote: bool, panel: Sequence[Series],
            tail: Tail) -> int:
    """The MLflow run (parameters, metrics, forecast plot), the registered version and the alias move."""
    store = model_store(ctx.settings)
    run = store.start_run(group, f"train {new.name}", {"forecaster": new.name, "family": new.family,
                          **{f"param.{k}": v for k, v in new.params.items()}, "holdout_fraction":
                          ctx.params["holdout_fraction"], "horizon": ctx.params["horizon"]},
                          tags={"sparkhu.task": "train", "sparkhu.decision": "promoted" if promote else "kept"})
    store.log_metrics(run, {**{f"holdout_{k}": v for k, v in new_metrics.items()},
                            **{f"naive_{k}": v for k, v in naive.items()},
                            **{f"champion_{k}": v for k, v in (champion or {}).items()}})
    plot = _plot(deployed, new, panel, tail, ctx.settings.home / "plots" / f"train-{group}.png")
    if plot is not None:
        store.log_file(run, plot, "plots")
    version = store.register(group, run, deployed, new_metrics, tags={"decision": "promoted" if promote else "kept"})
    if promote:
        store.promote(group, version.version)
    store.finish(run)
    return version.version


def _plot(deployed: Forecaster, fitted: Forecaster, panel: Sequence[Series], tail: Tail, path: Path) -> Path | None:
    """Forecast against actual on the first series' tail (PNG), or None when it has no tail origin."""
    if not panel or not len(tail.origins[0]):
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series, origins = panel[0], tail.origins[0]
    forecasts = in_units(forecasts_at(fitted, series, origins), tail.scalers.get(series.series_id))
    figure, axis = plt.subplots(figsize=(9, 3.2))
    steps = np.concatenate([np.arange(o, o + forecasts.shape[1]) for o in origins])
    axis.plot(steps, tail.actual[0].ravel(), lw=0.8, label="actual")
    axis.plot(steps, forecasts.ravel(), lw=0.8, label=fitted.name[:60])
    axis.set_title(f"{series.series_id}: held-out forecasts vs actual")
    axis.legend(loc="upper left", fontsize=7)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path


SPEC = register(TaskSpec(
    name="train",
    summary="Refit the tuned choice, score it on a held-out tail, register it, promote it if it wins",
    inputs=("normalized", "regularity", "scalers", "model_choices"),
    outputs=(),
    params=(
        GROUP, HORIZON, HOLDOUT,
        Param("validation_origins", int, 30, "Validation origins per series (choosing among tuned families)",
              minimum=1, maximum=10_000),
        Param("level", float, 80.0, "Prediction-interval level in percent", minimum=1, maximum=99,
              workflow_name="forecast-level"),
    ),
    run=run,
))
