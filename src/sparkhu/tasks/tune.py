"""Task ``tune``: Ray Tune over the model families of a series group, every trial an MLflow run.

Tuning is due when the group was never tuned, its last tuning is older than ``every_days``, or its
data grew by more than ``change_fraction`` since; otherwise the node records that it skipped. Trials
validate on the group's training part only (never the held-out tail that train decides on). The best
configuration of each family goes to ``model_choices``; train picks among them.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sparkhu.models.candidates import STANDARD_FAMILIES, default_candidates
from sparkhu.models.evaluation import Candidate, ValidationPlan
from sparkhu.models.panel import Series, season_length
from sparkhu.tasks._modeling import GROUP, HOLDOUT, HORIZON, group_plan, heads, model_store
from sparkhu.tasks._panels import read_panel
from sparkhu.tasks.context import TaskContext
from sparkhu.tasks.params import Param
from sparkhu.tasks.spec import TaskOutcome, TaskSpec, register

if TYPE_CHECKING:
    from sparkhu.tuning.ray_tune import Trial


def group_season(panel: Sequence[Series]) -> int:
    """The most common natural season among the group's series."""
    seasons = [season_length(series.step_s, len(series)) for series in panel]
    return max(set(seasons), key=seasons.count)


def budgeted(candidates: Sequence[Candidate], trials: int, seed: int) -> list[Candidate]:
    """At most ``trials`` candidates: every family's first configuration, then a random sample of the rest.

    Random search beats walking a grid in order when the budget covers a fraction of it (Bergstra &
    Bengio 2012): each trial varies every parameter. The seed makes the sample repeatable.
    """
    firsts = list({c.family: c for c in reversed(candidates)}.values())[::-1]
    rest = [c for c in candidates if c not in firsts]
    order = np.random.default_rng(seed).permutation(len(rest))
    return (firsts + [rest[i] for i in order])[:trials]


def is_due(ctx: TaskContext, group: str, points: int) -> bool:
    """Whether the group needs tuning: never tuned, last tuned more than ``every_days`` ago, or grown."""
    from sparkhu.storage.lake import Slice

    previous = ctx.lake.read("model_choices", Slice(None, ctx.interval.end, equals={"group": group}))
    if previous.empty:
        return True
    last = previous.sort_values("tuned_at").iloc[-1]
    stale = ctx.interval.end - last["tuned_at"] > pd.Timedelta(days=ctx.params["every_days"])
    grown = points > (1 + ctx.params["change_fraction"]) * max(int(last["points"] or 0), 1)
    return bool(stale or grown)


def run(ctx: TaskContext) -> TaskOutcome:
    """Tune the group's families with Ray Tune; record the best of each family and every trial in MLflow."""
    group, horizon = ctx.params["group"], ctx.params["horizon"]
    panel = read_panel(ctx, group)
    points = sum(len(series) for series in panel)
    if not panel:
        return TaskOutcome(counts={"series": 0, "skipped": 1})
    if not is_due(ctx, group, points):
        return TaskOutcome(n_series=len(panel), counts={"skipped": 1})
    train = heads(panel, ctx.params["holdout_fraction"])
    plan = group_plan(train, horizon, ctx.params["validation_origins"])
    families = tuple(name.strip() for name in ctx.params["families"].split(",") if name.strip())
    seed = zlib.crc32(group.encode())
    candidates = budgeted(default_candidates(group_season(train), False, families), ctx.params["trials"], seed)
    trials, run_id = _tune(ctx, group, candidates, train, plan)
    choices = _best_per_family(trials, ctx, group, points, run_id)
    if choices.empty:  # no trial finished (budget, refusals): train falls back to its defaults
        return TaskOutcome(rows_in=points, n_series=len(panel), counts={"trials": len(trials), "completed": 0})
    ctx.write("model_choices", choices, group=group)
    return TaskOutcome(rows_in=points, rows_out=len(choices), n_series=len(panel),
                       counts={"trials": len(trials), "stopped_early": sum(t.chunks < 4 for t in trials)},
                       metrics={f"score.{row.family}": float(row.score) for row in choices.itertuples()})


def _tune(ctx: TaskContext, group: str, candidates: list[Candidate], train: list[Series], plan: ValidationPlan
          ) -> tuple[list[Trial], str]:
    """Run the trials under one MLflow parent run, each trial a nested run."""
    from sparkhu.tuning.ray_tune import tune_candidates

    store = model_store(ctx.settings)
    parent = store.start_run(group, f"tune {ctx.interval.start:%Y-%m-%d}", {"trials": len(candidates),
                             "horizon": plan.horizon, "series": len(train)}, tags={"sparkhu.task": "tune"})
    try:
        trials = tune_candidates(candidates, train, plan, storage=ctx.settings.home / "ray", name=f"tune-{group}",
                                 budget_seconds=ctx.params["budget_seconds"], address=ctx.settings.ray_address,
                                 cpus=ctx.settings.workers)
        for trial in trials:
            child = store.start_run(group, trial.candidate.family, {"family": trial.candidate.family,
                                                                   **trial.candidate.params}, parent=parent)
            store.log_metrics(child, {"validation_score": trial.score, "chunks": trial.chunks})
            if trial.error:
                store.client.set_tag(child, "sparkhu.refused", trial.error[:5000])
            store.finish(child, failed=trial.error is not None)
        store.log_metrics(parent, {"best_score": trials[0].score if trials else float("nan")})
    except BaseException:
        store.finish(parent, failed=True)
        raise
    store.finish(parent)
    return trials, parent


CHOICES_PER_FAMILY = 3
"""Best configurations kept per family: train chooses among them and may ensemble distinct ones."""


def _best_per_family(trials: list[Trial], ctx: TaskContext, group: str, points: int, run_id: str) -> pd.DataFrame:
    """Up to CHOICES_PER_FAMILY ``model_choices`` rows per family: its best trials (trials come best first)."""
    kept: dict[str, list[Trial]] = {}
    tuned_at = pd.Timestamp.now(tz="UTC")  # one stamp: train takes the rows of the latest tuning
    for trial in trials:
        if trial.error is None and trial.score == trial.score:
            family = kept.setdefault(trial.candidate.family, [])
            if len(family) < CHOICES_PER_FAMILY:
                family.append(trial)
    best = [trial for family in kept.values() for trial in family]
    rows = [{"group": group, "interval_start": ctx.interval.start, "interval_end": ctx.interval.end,
             "family": t.candidate.family, "name": t.candidate.make(ctx.params["horizon"]).name,
             "params": json.dumps(dict(t.candidate.params)), "score": t.score, "trials": len(trials),
             "points": points, "tuner": "ray-tune-asha", "mlflow_run_id": run_id, "tuned_at": tuned_at}
            for t in best]
    return pd.DataFrame(rows)


SPEC = register(TaskSpec(
    name="tune",
    summary="Ray Tune (ASHA) over the model families of a series group; trials in MLflow",
    inputs=("normalized", "regularity", "model_choices"),
    outputs=("model_choices",),
    params=(
        GROUP, HORIZON, HOLDOUT,
        Param("trials", int, 12, "Trial budget", minimum=1, maximum=10_000, workflow_name="tune-trials"),
        Param("budget_seconds", float, 180.0, "Wall-clock budget of the tuning", minimum=5, maximum=86_400,
              workflow_name="tune-budget-seconds"),
        Param("validation_origins", int, 30, "Validation origins per series", minimum=1, maximum=10_000),
        Param("families", str, ",".join(STANDARD_FAMILIES), "Model families to tune (comma list)",
              workflow_name="model-families"),
        Param("every_days", float, 7.0, "Re-tune when the last tuning is older than this", minimum=0, maximum=366),
        Param("change_fraction", float, 0.5, "Re-tune when the data grew by more than this share", minimum=0,
              maximum=100),
    ),
    run=run,
))
