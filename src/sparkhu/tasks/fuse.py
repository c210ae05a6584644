"""Task ``fuse``: per target of a group, do its leading partners make its forecasts better? Validation decides.

For every series of the group, its significant leading partners (from the latest ``correlations`` of the
group, the false discovery rate controlled over all its pairs, at most ``partners``) become covariates
on its own grid (:mod:`~sparkhu.models.fusion`: their points since the target's last observation, never
after the origin). The same small set of models is validated on the history before the held-out tail
with and without them; the fused model is used only when it validates better. Both are then scored on
the held-out tail (which neither saw), in the series' units: that is the gain the report shows. Every
decision is an MLflow run of the group's experiment (parameters, scores, the decision); a used fused
model is attached to its run, refitted on the whole history with conformal intervals from its tail
errors, and ``forecast`` forecasts the series with it. A series without a leading partner gets a row
saying so; a group without correlations is a note.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sparkhu.models.base import Forecaster
from sparkhu.models.candidates import fusion_candidates
from sparkhu.models.evaluation import Validation, validate_supported
from sparkhu.models.fusion import Decision, Partner, decide, discovery_threshold, leading_partners
from sparkhu.models.panel import Series, season_length
from sparkhu.tasks._fusion import FUSED_FOLDER, fused_series, latest_rows
from sparkhu.tasks._modeling import GROUP, HOLDOUT, HORIZON, group_plan, heads, model_store
from sparkhu.tasks._panels import group_series, read_panel, scalers_of
from sparkhu.tasks.context import TaskContext
from sparkhu.tasks.params import Param
from sparkhu.tasks.spec import TaskOutcome, TaskSpec, register
from sparkhu.tasks.train import Tail, tail_errors, tail_of, with_intervals

TABLE = "fusion"
MAX_TARGETS = 30
"""Default of ``max_targets``: each target costs a search whose AutoTheta refits at every validation origin
(about 2.6 s per weekly M4 series of ~1,000 points, idle): 100 targets were 256 s of M4 Weekly's 588 s."""
NOTE_OUTPUT = "note"
COLUMNS = ("group", "interval_start", "interval_end", "series_id", "partners", "leads_s", "used", "alone_model",
           "fused_model", "validation_alone", "validation_fused", "holdout_mae_alone", "holdout_mae_fused", "gain",
           "run_id", "note")


def partner_fields(partners: Sequence[Partner]) -> dict[str, str]:
    """The partners and their leads (seconds) as the comma lists of a ``fusion`` row."""
    return {"partners": ",".join(p.series_id for p in partners), "leads_s": ",".join(f"{p.lead_s:g}" for p in partners)}


def validated(series: Series, horizon: int, origins: int) -> list[Validation]:
    """The fusion candidates validated on the series' history (those the data cannot support left out)."""
    plan = group_plan([series], horizon, origins)
    candidates = fusion_candidates(season_length(series.step_s, len(series)))
    return validate_supported(candidates, [series], plan, allow_none=True)


def holdout_mae(model: Forecaster, series: Series, train: Series, tail: Tail) -> tuple[float, list[np.ndarray]]:
    """The model's MAE on the tail (refitted on the history before it) and its tail errors."""
    found, errors = tail_errors(model.fit([train]), [series], tail)
    return found["MAE"], errors


def evaluate(ctx: TaskContext, series: Series, tail: Tail) -> tuple[Decision, dict[str, Any], Forecaster | None]:
    """Validation's decision, the held-out numbers, and the deployed fused model (None when not used)."""
    horizon = ctx.params["horizon"]
    train = heads([series], ctx.params["holdout_fraction"])[0]
    results = validated(train, horizon, ctx.params["validation_origins"])
    decision = decide([(r.model.name, r.model.uses_covariates, r.score) for r in results])
    by_name = {r.model.name: r for r in results}
    numbers: dict[str, Any] = {"alone_model": decision.alone, "fused_model": decision.fused,
                               "validation_alone": decision.alone_score, "validation_fused": decision.fused_score}
    maes, errors = {}, {}
    for kind, name in (("alone", decision.alone), ("fused", decision.fused)):
        if name:
            maes[kind], errors[kind] = holdout_mae(by_name[name].candidate.make(horizon), series, train, tail)
    numbers["holdout_mae_alone"] = maes.get("alone", float("nan"))
    numbers["holdout_mae_fused"] = maes.get("fused", float("nan"))
    numbers["gain"] = (1 - numbers["holdout_mae_fused"] / numbers["holdout_mae_alone"]
                       if numbers["holdout_mae_alone"] > 0 else float("nan"))
    if not decision.use_partners:
        return decision, numbers, None
    deployed = by_name[decision.fused].candidate.make(horizon).fit([series])
    return decision, numbers, with_intervals(deployed, [series], tail, errors["fused"], ctx.params["level"] / 100)


def record(ctx: TaskContext, target: str, partners: Sequence[Partner], decision: Decision, numbers: dict[str, Any],
           deployed: Forecaster | None) -> str:
    """The decision as an MLflow run of the group's experiment (the fused model attached when used)."""
    store = model_store(ctx.settings)
    run = store.start_run(ctx.params["group"], f"fuse {target}", {
        "series_id": target, **partner_fields(partners), "alone_model": decision.alone,
        "fused_model": decision.fused, "horizon": ctx.params["horizon"]},
        tags={"sparkhu.task": "fuse", "sparkhu.decision": "partners" if decision.use_partners else "alone"})
    store.log_metrics(run, {key: value for key, value in numbers.items() if isinstance(value, float)})
    if deployed is not None:
        store.log_forecaster(run, deployed, FUSED_FOLDER)
    store.finish(run)
    return run


def decide_target(ctx: TaskContext, series: Series, partners: Sequence[Partner], panel: dict[str, Series],
                  scalers: dict[str, tuple[float, float]]) -> dict[str, Any]:
    """The ``fusion`` row of one target with its leading ``partners`` (a note when none is usable)."""
    row: dict[str, Any] = {"series_id": series.series_id, **partner_fields(partners), "used": False}
    fused = fused_series(series, [p.series_id for p in partners], panel) if partners else None
    if fused is None:
        return {**row, "note": "no significant leading partner" if not partners else "a partner has no data"}
    tail = tail_of([fused], ctx.params["holdout_fraction"], ctx.params["horizon"], scalers)
    if not len(tail.origins[0]):
        return {**row, "note": "too short for a held-out tail of one horizon"}
    decision, numbers, deployed = evaluate(ctx, fused, tail)
    run_id = record(ctx, series.series_id, partners, decision, numbers, deployed)
    return {**row, **numbers, "used": decision.use_partners, "run_id": run_id, "note": ""}


def partners_of(pairs: pd.DataFrame, targets: Sequence[str], count: int) -> dict[str, list[Partner]]:
    """Each target's leading partners (at most ``count``), found once per run.

    A lead counts when it passes the false-discovery control over every pair the group's series form.
    """
    if not len(pairs):
        return {target: [] for target in targets}
    largest_p = discovery_threshold(pairs["p_value"].astype(float).tolist(), len(targets) * (len(targets) - 1) // 2)
    return {target: leading_partners(pairs, target, count, largest_p) for target in targets}


def strongest_led(led: Mapping[str, Sequence[Partner]], most: int) -> list[str]:
    """The ``most`` targets whose strongest leading partner is strongest: each costs a small model search."""
    strength = {target: max((abs(p.corr) for p in partners), default=0.0) for target, partners in led.items()}
    ranked = sorted((target for target, value in strength.items() if value > 0), key=lambda t: (-strength[t], t))
    return ranked[:most]


def unevaluated(target: str, led: Sequence[Partner], most: int) -> dict[str, Any]:
    """The ``fusion`` row of a target left out: no leading partner, or beyond ``max_targets``."""
    note = (f"not evaluated this run: more than max_targets ({most}) targets have a leading partner"
            if led else "no significant leading partner")
    return {"series_id": target, **partner_fields(led), "used": False, "note": note}


def run(ctx: TaskContext) -> TaskOutcome:
    """Decide fusion for every series of the group; replace the interval's ``fusion`` slice of the group."""
    group = ctx.params["group"]
    panel = {series.series_id: series for series in read_panel(ctx, group)}
    pairs = latest_rows(ctx, "correlations", group)
    scalers = scalers_of(ctx, group_series(ctx, group))
    rows = []
    led = partners_of(pairs, list(panel), ctx.params["partners"])
    evaluated = set(strongest_led(led, ctx.params["max_targets"]))
    for series in panel.values():
        if series.series_id not in evaluated:
            rows.append(unevaluated(series.series_id, led[series.series_id], ctx.params["max_targets"]))
            continue
        try:
            rows.append(decide_target(ctx, series, led[series.series_id], panel, scalers))
        except ValueError as error:  # a series the models cannot handle: said, never a failed workflow
            rows.append({"series_id": series.series_id, "used": False, "note": f"not evaluated: {error}"})
    frame = pd.DataFrame(rows, columns=[c for c in COLUMNS if c not in ("group", "interval_start", "interval_end")])
    frame = frame.assign(group=group, interval_start=ctx.interval.start, interval_end=ctx.interval.end)
    ctx.write(TABLE, frame[list(COLUMNS)], group=group)
    used = frame[frame["used"].astype(bool)]
    note = (f"group {group!r}: {len(used)} of {len(frame)} series forecast with partners"
            + "".join(f"; {r.series_id}: {r.gain:+.0%} held-out MAE" for r in used.itertuples()))
    if pairs.empty:
        note = f"group {group!r}: no correlations computed (run the multivariate workflow first): nothing fused"
    return TaskOutcome(rows_out=len(frame), n_series=len(panel),
                       counts={"used": len(used), "with_partners": int((frame["partners"].fillna("") != "").sum()),
                               "no_partner": int((frame["note"] == "no significant leading partner").sum())},
                       metrics={f"gain.{r.series_id}": float(r.gain) for r in frame.itertuples() if r.gain == r.gain},
                       outputs={NOTE_OUTPUT: note})


SPEC = register(TaskSpec(
    name="fuse",
    summary="Per target, validate its forecasts with and without its leading partners; keep the better",
    inputs=("normalized", "regularity", "scalers", "correlations"),
    outputs=(TABLE,),
    params=(
        GROUP, HORIZON, HOLDOUT,
        Param("partners", int, 2, "Most leading partners a target's fused model reads", minimum=1, maximum=20),
        Param("max_targets", int, MAX_TARGETS, "Most targets evaluated per run, those with the strongest leading "
              "partner first (each costs a small model search); the others keep the group champion", minimum=1,
              maximum=100_000),
        Param("validation_origins", int, 30, "Validation origins per target", minimum=1, maximum=10_000),
        Param("level", float, 80.0, "Prediction-interval level in percent", minimum=1, maximum=99,
              workflow_name="forecast-level"),
    ),
    run=run,
    extra_outputs=(NOTE_OUTPUT,),
))
