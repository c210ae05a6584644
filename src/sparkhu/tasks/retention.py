"""Task ``retention``: plan the retention policies, then apply exactly the plans this run just made.

The scheduled workflow (``sparkhu-retention``, its CronWorkflow every night) is the explicit apply that
the retention engine asks for: each run plans every enabled policy (or the one named), then applies only
the plans it made, as the actor ``workflow:<run id>`` of the audit. With ``dry-run=true`` it only plans:
the plans stay stored and can be applied by hand (``sparkhu retention apply PLAN_ID``) until their TTL.

A policy whose plan or apply is refused or fails does not stop the others; the task then fails (exit 1)
after writing its report row and its ``summary``, naming each failure. An Argo retry of the same run
first resumes the applies an earlier attempt left midway (this actor's plans still ``applying``: the
engine's journal makes that safe) and does not plan those policies again, so an evicted pod never leaves
an apply half done nor copies a unit twice under two plans.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sparkhu.config import Settings
from sparkhu.tasks.context import TaskContext
from sparkhu.tasks.params import Param, TaskInputError
from sparkhu.tasks.spec import STANDARD, TaskOutcome, TaskSpec, register

# The engine (SQLAlchemy, the stores' adapters) is imported when the task runs: every `sparkhu` process
# imports this module through the task catalog.
if TYPE_CHECKING:
    from sparkhu.retention.plan import Plan
    from sparkhu.retention_engine.engine import Engine

SUMMARY_OUTPUT = "summary"
"""Output: JSON list with one object per policy (plan id, planned totals, rows done, result, message)."""

WORKFLOW_ACTOR = "workflow:"
"""Prefix of the audit's actor when the task runs in a workflow (followed by the run id)."""

NO_POLICIES = "no enabled retention policies: nothing to do (add some with `sparkhu retention policies import FILE`)"

ACTIONS = ("archive", "downsample", "delete")

FAILED = ("refused", "failed")
"""Results that make the task fail (after the other policies ran)."""


@dataclass
class PolicyResult:
    """What the run did with one policy.

    Attributes:
        policy: The policy's name.
        plan_id: The plan made (or resumed) for it; empty when planning failed.
        units: Units the plan selected.
        planned: The plan's totals per action (units, rows, bytes, files), see ``Plan.totals``.
        done: Rows archived, downsampled and deleted by the apply (empty when nothing was applied).
        result: ``planned`` (dry run), ``nothing to do``, ``blocked``, ``ok``, ``partial``, ``refused`` or
            ``failed``.
        message: Why, in a few words (the engine's reason for a refusal, the error of a failure).
        resumed: The apply was one an earlier attempt of this run had left midway.
    """

    policy: str
    plan_id: str = ""
    units: int = 0
    planned: dict[str, dict[str, int]] = field(default_factory=dict)
    done: dict[str, int] = field(default_factory=dict)
    result: str = "planned"
    message: str = ""
    resumed: bool = False

    @property
    def failed(self) -> bool:
        """Whether this policy makes the task fail."""
        return self.result in FAILED

    def planned_total(self, action: str, measure: str = "rows") -> int:
        """Planned ``measure`` (rows, bytes, units, files) of ``action``; 0 when the plan has none."""
        return self.planned.get(action, {}).get(measure, 0)

    @property
    def shown(self) -> str:
        """The result as the table shows it: ``ok: archived 10 ... rows``, ``refused (resumed): why``."""
        return self.result + (" (resumed)" if self.resumed else "") + (f": {self.message}" if self.message else "")

    def document(self) -> dict[str, Any]:
        """The result as JSON-ready data (one entry of the ``summary`` output)."""
        return {"policy": self.policy, "plan_id": self.plan_id, "units": self.units, "planned": self.planned,
                "done": self.done, "result": self.result, "message": self.message, "resumed": self.resumed}


def actor_of(settings: Settings) -> str:
    """The audit's actor: ``workflow:<run id>`` in a workflow, else ``task:<user>`` (a hand-run task)."""
    if settings.run_id:
        return f"{WORKFLOW_ACTOR}{settings.run_id}"
    import getpass

    try:
        return f"task:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name for the uid (a bare container)
        return "task:unknown"


def parse_ttl(text: str) -> float:
    """The ``ttl`` parameter in seconds.

    Raises:
        TaskInputError: The text is not a positive duration.
    """
    from sparkhu.durations import parse_duration

    try:
        return parse_duration(text)
    except ValueError as error:
        raise TaskInputError(f"parameter 'ttl' expects a duration such as 1h, 30m or PT6H: {error}") from None


def policy_names(settings: Settings, name: str) -> list[str]:
    """The policies to plan: ``name``, or every enabled policy when it is empty.

    Raises:
        TaskInputError: No stored policy has that name (the message lists the stored ones).
    """
    from sparkhu.retention_engine.control import list_policies

    policies = list_policies(settings)
    if not name:
        return [policy.name for policy in policies if policy.enabled]
    if name not in {policy.name for policy in policies}:
        known = ", ".join(policy.name for policy in policies) or "none"
        raise TaskInputError(f"no retention policy named {name!r} (stored: {known})")
    return [name]


def from_plan(plan: Plan, resumed: bool = False) -> PolicyResult:
    """A result that describes ``plan`` (nothing applied yet)."""
    return PolicyResult(policy=plan.policy, plan_id=plan.id, units=len(plan.units), planned=plan.totals(),
                        resumed=resumed)


def describe(error: BaseException) -> str:
    """An error in one line: its type and message."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


def apply_plan(engine: Engine, result: PolicyResult) -> PolicyResult:
    """Apply the plan of ``result`` and record what happened; a refusal or an error is recorded, not raised."""
    from sparkhu.retention_engine.engine import PlanRefused

    try:
        record = engine.apply(result.plan_id)
    except PlanRefused as error:
        result.result, result.message = "refused", str(error)
        return result
    except Exception as error:  # a store, lake or database error: the other policies still run
        result.result = "failed"
        result.message = f"apply stopped, nothing unverified was deleted (a rerun resumes it): {describe(error)}"
        return result
    detail = record.get("detail", {})
    result.done = {key: int(value) for key, value in detail.get("rows", {}).items()}
    result.result = str(record["result"])
    skipped = detail.get("skipped", [])
    done = ", ".join(f"{stage} {result.done.get(stage, 0):,}" for stage in ("archived", "downsampled", "deleted"))
    result.message = f"{done} rows" + (f"; {len(skipped)} unit(s) skipped, changed since the plan" if skipped else "")
    return result


def has_work(plan: Plan) -> bool:
    """Whether applying ``plan`` would do anything: an unblocked unit, or files for the second stage to free."""
    return any(unit.blocked is None for unit in plan.units) or any(entry.files for entry in plan.reclaim)


def run_policy(engine: Engine, name: str, ttl_s: float, dry_run: bool) -> PolicyResult:
    """Plan policy ``name`` and, unless ``dry_run``, apply that plan (a failure is recorded, not raised)."""
    try:
        [plan] = engine.plan(name, ttl_s=ttl_s)
    except Exception as error:  # one policy's store failing must not stop the others
        return PolicyResult(policy=name, result="failed", message=f"plan failed: {describe(error)}")
    result = from_plan(plan)
    if dry_run:
        result.message = f"dry run: apply by hand with `sparkhu retention apply {plan.id}`" if plan.units else ""
        return result
    if not has_work(plan):
        blocked = plan.units and all(unit.blocked for unit in plan.units)
        result.result = "blocked" if blocked else "nothing to do"
        result.message = "; ".join(plan.notes)
        return result
    return apply_plan(engine, result)


def interrupted_plans(settings: Settings, actor: str) -> list[str]:
    """Ids of the plans ``actor`` made whose apply started and did not finish, oldest first."""
    from sparkhu.retention_engine.engine import Engine

    return Engine(settings, actor=actor).interrupted(actor)


def resume_interrupted(engine: Engine, wanted: Sequence[str]) -> list[PolicyResult]:
    """Resume the applies an earlier attempt of this workflow run left midway (only for ``wanted`` policies).

    Outside a workflow (no run id) there is no earlier attempt to resume: a hand-run task never picks up
    someone else's apply.
    """
    if not engine.actor.startswith(WORKFLOW_ACTOR):
        return []
    results = []
    for plan_id in interrupted_plans(engine.settings, engine.actor):
        plan, _state = engine.stored_plan(plan_id)
        if plan.policy in wanted:
            results.append(apply_plan(engine, from_plan(plan, resumed=True)))
    return results


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Aligned plain-text columns (a task's log is read in ``kubectl logs`` and log files, not a terminal)."""
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()
             for cells in (header, *rows)]
    return "\n".join([lines[0], "  ".join("-" * width for width in widths), *lines[1:]])


def summary_table(results: Sequence[PolicyResult]) -> str:
    """Per policy: plan id, units, rows to archive / downsample / delete, bytes to delete, and the result."""
    header = ("policy", "plan", "units", "archive rows", "downsample rows", "delete rows", "delete bytes", "result")
    rows = [(result.policy, result.plan_id or "-", str(result.units),
             *(f"{result.planned_total(action):,}" for action in ACTIONS),
             f"{result.planned_total('delete', 'bytes'):,}", result.shown)
            for result in results]
    return text_table(header, rows)


def outcome_of(results: Sequence[PolicyResult]) -> TaskOutcome:
    """The report row and outputs: counts per result, rows planned and done, and every failure's message."""
    counts: dict[str, int] = {"policies": len(results)}
    for result in results:
        key = result.result.replace(" ", "_")
        counts[key] = counts.get(key, 0) + 1
    for stage in ("archived", "downsampled", "deleted"):
        counts[f"rows_{stage}"] = sum(result.done.get(stage, 0) for result in results)
    counts["units"] = sum(result.units for result in results)
    failures = [f"policy {result.policy}: {result.result}: {result.message}" for result in results if result.failed]
    planned_rows = sum(result.planned_total(action) for result in results for action in ACTIONS)
    return TaskOutcome(rows_in=planned_rows, rows_out=counts["rows_deleted"], counts=counts,
                       outputs={SUMMARY_OUTPUT: json.dumps([result.document() for result in results])},
                       failures=failures)


def run(ctx: TaskContext) -> TaskOutcome:
    """Resume this run's interrupted applies, plan the policies, apply the plans (unless a dry run), report."""
    from sparkhu.retention_engine.engine import Engine

    ttl_s, dry_run = parse_ttl(ctx.params["ttl"]), bool(ctx.params["dry_run"])
    names = policy_names(ctx.settings, ctx.params["policy"])
    engine = Engine(ctx.settings, actor=actor_of(ctx.settings))
    results = [] if dry_run else resume_interrupted(engine, names)
    resumed = {result.policy for result in results}
    results += [run_policy(engine, name, ttl_s, dry_run) for name in names if name not in resumed]
    mode = "dry run: planned only, nothing applied" if dry_run else "planned and applied"
    print(f"retention as {engine.actor} ({mode})")
    print(summary_table(results) if results else NO_POLICIES)
    return outcome_of(results)


SPEC = register(TaskSpec(
    name="retention",
    summary="Plan every enabled retention policy, then apply exactly those plans (dry-run: plan only)",
    inputs=(),
    outputs=(),
    params=(
        Param("policy", str, "", "Only this policy (empty: every enabled policy)"),
        Param("dry_run", bool, False, "Only plan: store and list the plans, apply none"),
        Param("ttl", str, "1h", "How long each plan stays applicable (1h, 30m, PT6H)"),
    ),
    run=run,
    resources=STANDARD,
    extra_outputs=(SUMMARY_OUTPUT,),
))
