"""Ray Tune over model candidates: ASHA stops a trial early when its first validation origins already lose.

A trial validates one candidate (:mod:`sparkhu.models.evaluation`): it fits on the history before the
validation origins, then scores the origins in time order, a chunk at a time, reporting the running
scaled MAE after each chunk. ASHA (asynchronous successive halving) compares trials at the same number
of chunks and stops the worst, so a budget buys more configurations. Ray runs locally by default
(``num_cpus`` of this machine, no dashboard) or joins a cluster at ``address`` (``SPARKHU_RAY_ADDRESS``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sparkhu.models.evaluation import Candidate, ValidationPlan, actuals_at, forecasts_at
from sparkhu.models.panel import Series

METRIC = "score"


@dataclass(frozen=True)
class Trial:
    """One finished trial: the candidate, its last reported score, how far it got, and its time."""

    candidate: Candidate
    score: float
    chunks: int
    seconds: float
    error: str | None = None


def chunk_origins(plan: ValidationPlan, chunks: int) -> list[list[np.ndarray]]:
    """Each series' validation origins split in ``chunks`` consecutive parts (time order kept)."""
    return [[part for part in np.array_split(origins, chunks)] for origins in plan.origins]


def run_trial(config: dict[str, Any], panel: Sequence[Series], plan: ValidationPlan,
              candidates: Sequence[Candidate], chunks: int) -> None:
    """The trainable: fit one candidate, report the running scaled MAE after each chunk of origins."""
    from ray import tune

    candidate = candidates[int(config["index"])]
    # A trial holds one CPU of the Ray cluster: its model must not spread over the ones other trials hold.
    os.environ["OMP_NUM_THREADS"] = "1"
    try:
        model = candidate.make(plan.horizon).fit(plan.train)
    except ValueError as error:  # the data cannot support this configuration (a context longer than it)
        tune.report({METRIC: float("inf"), "chunk": chunks, "refused": str(error)[:500]})
        return
    parts = chunk_origins(plan, chunks)
    totals = np.zeros(len(panel))
    counts = np.zeros(len(panel))
    for step in range(chunks):
        for i, series in enumerate(panel):
            origins = parts[i][step]
            if not len(origins):
                continue
            errors = forecasts_at(model, series, origins) - actuals_at(series, origins, plan.horizon)
            finite = np.isfinite(errors)
            totals[i] += np.abs(errors[finite]).sum() / plan.scales[i]
            counts[i] += finite.sum()
        scored = counts > 0
        tune.report({METRIC: float(np.mean(totals[scored] / counts[scored])) if scored.any() else float("nan"),
                     "chunk": step + 1})


def start_ray(address: str | None, cpus: int) -> None:
    """Connect to the cluster at ``address``, or start a local Ray with ``cpus`` CPUs and no dashboard."""
    import ray

    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    if ray.is_initialized():
        return
    if address:
        ray.init(address=address, log_to_driver=False)
    else:
        ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False)


def tune_candidates(candidates: Sequence[Candidate], panel: Sequence[Series], plan: ValidationPlan, *,
                    storage: Path, name: str, budget_seconds: float, address: str | None = None, cpus: int = 2,
                    chunks: int = 4) -> list[Trial]:
    """Validate ``candidates`` as Ray Tune trials with ASHA; return every trial, best first.

    Args:
        candidates: The configurations to try (one trial each).
        panel: The series (full history; validation uses the plan's origins).
        plan: Validation origins and training histories.
        storage: Folder for Ray Tune's results.
        name: Name of this tuning run (a folder under ``storage``).
        budget_seconds: Wall-clock budget; trials not started by then are not run.
        address: Ray cluster address, or None for a local Ray.
        cpus: CPUs of a local Ray.
        chunks: Rungs of ASHA: the validation origins are scored in this many parts.
    """
    import ray
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler

    start_ray(address, cpus)
    try:
        trainable = tune.with_parameters(run_trial, panel=list(panel), plan=plan, candidates=list(candidates),
                                         chunks=chunks)
        scheduler = ASHAScheduler(time_attr="training_iteration", max_t=chunks, grace_period=1, reduction_factor=2)
        tuner = tune.Tuner(
            tune.with_resources(trainable, {"cpu": 1}),
            param_space={"index": tune.grid_search(list(range(len(candidates))))},
            tune_config=tune.TuneConfig(metric=METRIC, mode="min", scheduler=scheduler,
                                        time_budget_s=budget_seconds),
            run_config=tune.RunConfig(storage_path=str(storage.resolve()), name=name, verbose=0),
        )
        clock = time.perf_counter()
        grid = tuner.fit()
        elapsed = time.perf_counter() - clock
        results = [grid[index] for index in range(len(grid))]
        # A trial the time budget never started has no configuration: it is not a result.
        trials = [_trial(result, candidates, elapsed / max(len(candidates), 1)) for result in results
                  if result.config is not None]
    finally:
        if not address:
            ray.shutdown()
    return sorted(trials, key=lambda t: (np.isnan(t.score), t.score))


def _trial(result: Any, candidates: Sequence[Candidate], seconds: float) -> Trial:
    """A Ray result as a :class:`Trial` (a failed trial keeps its error and a NaN score)."""
    index = int(result.config["index"])
    metrics = result.metrics or {}
    score = float(metrics.get(METRIC, float("nan")))
    error = str(result.error) if result.error is not None else metrics.get("refused")
    if METRIC not in metrics and error is None:
        error = "stopped by the time budget before its first report"
    if not np.isfinite(score):
        score = float("nan")
    return Trial(candidates[index], score, int(metrics.get("chunk", 0)), float(metrics.get("time_total_s", seconds)),
                 error)
