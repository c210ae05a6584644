"""Plan and apply retention policies: the only code path in Sparkhu that deletes data.

``plan`` is a dry run: it lists what each selected unit would undergo and stores the plan; nothing else
changes. ``apply`` executes one stored plan, and only if it is still valid: not past its TTL, its policy
unchanged and enabled, no hold added or removed since, and each unit's fingerprint unchanged (a unit that
received data since the plan is left for the next plan). Every step is journalled in the metadata database
before and after it runs, so an apply killed at any point is resumed by running it again:

* killed after an archive, before the delete: the rerun rewrites the same archive tag (no duplicate),
  verifies it, then deletes;
* killed after the delete committed, before the journal or the audit: the rerun finds the unit gone
  (``delete-started`` and no rows left), records it, and writes the audit.

A delete runs only after every copy of its chain has been read back and verified (rows and checksum).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sparkhu.config import Settings
from sparkhu.metadata.db import session_scope
from sparkhu.metadata.features import Feature
from sparkhu.metadata.retention import (
    JournalRow,
    PlanBusy,
    PlanRow,
    active_holds,
    add_audit,
    as_utc,
    audit_records,
    journal_of,
    plan_lock,
    stored_policies,
)
from sparkhu.retention.plan import (
    DEFAULT_TTL_S,
    Plan,
    PlannedUnit,
    expiry,
    holds_digest,
    new_plan_id,
    planned,
    policy_digest,
    reclaim_entry,
)
from sparkhu.retention.policy import Archive, Downsample, Policy, SeriesSelector
from sparkhu.retention.select import cutoff_of, select_units
from sparkhu.retention.store import Receipt, Store, StoreError, UnitChanged
from sparkhu.retention_engine.stores import store_for


class PlanRefused(RuntimeError):
    """A plan cannot be applied (expired, being applied elsewhere, its policy or the holds changed since)."""


class PlanNotFound(PlanRefused):
    """No stored plan has that id."""


@dataclass
class Engine:
    """Plans and applies policies for one install.

    Args:
        settings: Where the lake, the metadata database and MLflow are.
        actor: Who acts (a user name, or the service token's name): written in every audit record.
        stores: Adapters by store name (default: built from settings on first use).
    """

    settings: Settings
    actor: str
    stores: dict[str, Store] = field(default_factory=dict)

    def store(self, name: str) -> Store:
        """The adapter of store ``name`` (built once)."""
        if name not in self.stores:
            self.stores[name] = store_for(name, self.settings)
        return self.stores[name]

    def plan(self, policy_name: str | None = None, ttl_s: float = DEFAULT_TTL_S,
             now: datetime | None = None) -> list[Plan]:
        """Plan the named policy (or every enabled policy) and store the plans.

        Raises:
            LookupError: No stored policy has that name.
        """
        moment = now or datetime.now(UTC)
        with session_scope(self.settings.database) as session:
            policies = _policies(session, policy_name)
            plans = [self._plan_one(session, policy, moment, ttl_s) for policy in policies]
            for plan in plans:
                session.add(PlanRow(id=plan.id, policy=plan.policy, document=plan.model_dump(mode="json"),
                                    state="planned", created_at=plan.created_at, expires_at=plan.expires_at,
                                    created_by=self.actor))
        return plans

    def _plan_one(self, session: Session, policy: Policy, now: datetime, ttl_s: float) -> Plan:
        store = self.store(policy.scope.store)
        holds = _relevant_holds(session, policy)
        held_series = sorted(hold["target"] for hold in holds if hold["kind"] == "series")
        series = _series_of(session, policy.scope.series)
        cutoff = cutoff_of(policy.rules, now)
        units = store.units(policy.scope, cutoff, policy.deletes, series, held_series)
        chosen = select_units(policy.rules, units, now)
        notes = [f"series held (kept): {', '.join(held_series)}"] if held_series else []
        if not policy.deletes:
            copied = _copied(session, policy.name)
            chosen = [unit for unit in chosen if (unit.key, unit.fingerprint) not in copied]
        blocked = _blocking_hold(policy, holds)
        actions: list[str] = [action.kind for action in policy.actions]
        entries = [planned(unit, actions, blocked) for unit in chosen]
        targets = sorted({unit.target for unit in units})
        reclaim = [reclaim_entry(store.reclaimable(target)) for target in targets] if policy.deletes else []
        if blocked:
            notes.append(f"deletes blocked: {blocked}")
            reclaim = []
        return Plan(id=new_plan_id(), policy=policy.name, policy_digest=policy_digest(policy),
                    store=policy.scope.store, created_at=now, expires_at=expiry(now, ttl_s), cutoff=cutoff,
                    holds_digest=holds_digest(holds), units=entries, reclaim=reclaim, notes=notes)

    def apply(self, plan_id: str, now: datetime | None = None,
              progress: Callable[[PlannedUnit], None] | None = None) -> dict[str, Any]:
        """Apply a stored plan (or resume an apply that was interrupted); return its audit record.

        Applying a plan that was applied already changes nothing and returns its audit record.

        Raises:
            PlanNotFound: No stored plan has that id.
            PlanRefused: The plan is expired, being applied by another process, or no longer matches its
                policy or the holds.
        """
        try:
            with plan_lock(self.settings.database, plan_id):
                return self._apply_locked(plan_id, now or datetime.now(UTC), progress)
        except PlanBusy as error:
            raise PlanRefused(str(error)) from error

    def _apply_locked(self, plan_id: str, moment: datetime,
                      progress: Callable[[PlannedUnit], None] | None) -> dict[str, Any]:
        plan, policy, resumed = self._check(plan_id, moment)
        if plan is None:
            return self.audit(plan_id=plan_id, limit=1)[0]
        store = self.store(plan.store)
        targets = sorted({unit.target for unit in plan.units} | {entry.target for entry in plan.reclaim})
        before = _sizes(store, targets)
        timings: dict[str, float] = {"archive_s": 0.0, "downsample_s": 0.0, "delete_s": 0.0, "vacuum_s": 0.0}
        outcome = _Outcome()
        for unit in plan.units:
            if unit.blocked is None:
                self._apply_unit(plan, policy, store, unit, timings, outcome)
            if progress is not None:
                progress(unit)
        started = time.perf_counter()
        reclaimed = [store.reclaim(entry.target) for entry in plan.reclaim]
        timings["vacuum_s"] = time.perf_counter() - started
        detail = {"before": before, "after": _sizes(store, targets), "timings": timings,
                  "resumed": resumed, **outcome.document(),
                  "vacuumed_files": sum(entry.files for entry in reclaimed), "planned": plan.totals(),
                  "min_age_override": policy.min_age_override.model_dump() if policy.min_age_override else None}
        with session_scope(self.settings.database) as session:
            record = add_audit(session, self.actor, "apply", "partial" if outcome.skipped else "ok", detail,
                               policy=plan.policy, plan_id=plan.id)
            session.get_one(PlanRow, plan.id).state = "applied"
            return record.document()

    def _check(self, plan_id: str, now: datetime) -> tuple[Any, Any, bool]:
        """The plan and its policy, if the plan may be applied (``(None, …)``: it was applied already)."""
        with session_scope(self.settings.database) as session:
            row = session.get(PlanRow, plan_id)
            if row is None:
                raise PlanNotFound(f"no plan {plan_id!r} (plans come from `sparkhu retention plan`)")
            plan = Plan.model_validate(row.document)
            policies = {policy.name: policy for policy in stored_policies(session)}
            policy = policies.get(plan.policy)
            if row.state == "applied":
                return None, None, False
            resumed = row.state == "applying"
            if not resumed and now > as_utc(row.expires_at):
                raise PlanRefused(f"plan {plan_id} expired at {as_utc(row.expires_at).isoformat()}; plan again")
            if policy is None or policy_digest(policy) != plan.policy_digest:
                raise PlanRefused(f"policy {plan.policy!r} changed or was removed since plan {plan_id}; plan again")
            if not policy.enabled:
                raise PlanRefused(f"policy {plan.policy!r} is disabled")
            if holds_digest(_relevant_holds(session, policy)) != plan.holds_digest:
                raise PlanRefused(f"legal holds changed since plan {plan_id}; plan again")
            row.state = "applying"
            return plan, policy, resumed

    def _apply_unit(self, plan: Plan, policy: Policy, store: Store, unit: PlannedUnit,
                    timings: dict[str, float], outcome: _Outcome) -> None:
        """Run the chain on one unit, journalling each step; skip a unit that changed since the plan."""
        done = self._journal(plan.id).get(unit.key, {})
        if {"deleted", "copied", "skipped"} & done.keys():
            outcome.count(unit, done)
            return
        current = unit.unit()
        if store.fingerprint(current) != unit.fingerprint:
            if "delete-started" in done and store.remaining(current) == 0:
                self._record(plan.id, unit.key, "deleted", {"rows": unit.rows, "recovered": True})
            else:
                self._record(plan.id, unit.key, "skipped", {"reason": "changed since the plan"})
            outcome.count(unit, self._journal(plan.id)[unit.key])
            return
        receipts = []
        tag = f"{plan.id}/{unit.key}" if policy.deletes else f"{policy.name}/{unit.key}"
        for action in policy.actions:
            started = time.perf_counter()
            if isinstance(action, Archive):
                write = partial(store.archive, current, action.to, tag)
                receipts.append(self._copy(plan.id, unit, "archived", done, store, write))
                timings["archive_s"] += time.perf_counter() - started
            elif isinstance(action, Downsample):
                write = partial(store.downsample, current, action, tag)
                receipts.append(self._copy(plan.id, unit, "downsampled", done, store, write))
                timings["downsample_s"] += time.perf_counter() - started
            else:
                self._delete(plan.id, unit, store, receipts)
                timings["delete_s"] += time.perf_counter() - started
        if not policy.deletes:
            self._record(plan.id, unit.key, "copied", {"fingerprint": unit.fingerprint})
        outcome.count(unit, self._journal(plan.id)[unit.key])

    def _copy(self, plan_id: str, unit: PlannedUnit, stage: str, done: dict[str, dict[str, Any]], store: Store,
              write: Callable[[], Receipt]) -> Receipt:
        """A verified copy: the journalled one if it still verifies, else a new one (same tag: no duplicate)."""
        if stage in done:
            receipt = Receipt(**done[stage])
            if store.verify(unit.unit(), receipt):
                return receipt
        receipt = write()
        self._record(plan_id, unit.key, stage, {"location": receipt.location, "rows": receipt.rows,
                                                 "checksum": receipt.checksum, "detail": receipt.detail})
        return receipt

    def _delete(self, plan_id: str, unit: PlannedUnit, store: Store, receipts: list[Receipt]) -> None:
        """Delete a unit once every copy of its chain verifies; journal before and after."""
        for receipt in receipts:
            if not store.verify(unit.unit(), receipt):
                raise StoreError(f"the copy of {unit.target} {unit.key} at {receipt.location} does not verify: "
                                 "nothing was deleted")
        self._record(plan_id, unit.key, "delete-started", {})
        try:
            rows = store.delete(unit.unit())
        except UnitChanged as error:
            self._record(plan_id, unit.key, "skipped", {"reason": f"changed before its delete: {error}"})
            return
        self._record(plan_id, unit.key, "deleted", {"rows": rows})

    def _record(self, plan_id: str, unit: str, stage: str, detail: dict[str, Any]) -> None:
        """Journal one step in its own transaction (it survives a crash of the next step)."""
        with session_scope(self.settings.database) as session:
            session.add(JournalRow(plan_id=plan_id, unit=unit, stage=stage, detail=detail, at=datetime.now(UTC)))

    def _journal(self, plan_id: str) -> dict[str, dict[str, dict[str, Any]]]:
        with session_scope(self.settings.database) as session:
            return journal_of(session, plan_id)

    def audit(self, plan_id: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Audit records, newest first."""
        with session_scope(self.settings.database) as session:
            return [row.document() for row in audit_records(session, limit=limit, plan_id=plan_id)]

    def interrupted(self, actor: str) -> list[str]:
        """Ids of the plans ``actor`` made whose apply started and did not finish, oldest first."""
        query = (select(PlanRow.id).where(PlanRow.created_by == actor, PlanRow.state == "applying")
                 .order_by(PlanRow.created_at))
        with session_scope(self.settings.database) as session:
            return list(session.scalars(query))

    def stored_plan(self, plan_id: str) -> tuple[Plan, str]:
        """A stored plan and its state.

        Raises:
            PlanRefused: No such plan.
        """
        with session_scope(self.settings.database) as session:
            row = session.get(PlanRow, plan_id)
            if row is None:
                raise PlanNotFound(f"no plan {plan_id!r}")
            return Plan.model_validate(row.document), row.state


@dataclass
class _Outcome:
    """What an apply did, unit by unit."""

    units: dict[str, int] = field(default_factory=lambda: {"done": 0, "skipped": 0})
    rows: dict[str, int] = field(default_factory=lambda: {"archived": 0, "downsampled": 0, "deleted": 0})
    skipped: list[str] = field(default_factory=list)

    def count(self, unit: PlannedUnit, stages: dict[str, dict[str, Any]]) -> None:
        if "skipped" in stages:
            self.units["skipped"] += 1
            self.skipped.append(f"{unit.target} {unit.key}: {stages['skipped'].get('reason', '')}")
            return
        self.units["done"] += 1
        for stage in ("archived", "downsampled"):
            if stage in stages:
                self.rows[stage] += unit.rows
        self.rows["deleted"] += int(stages.get("deleted", {}).get("rows", 0))

    def document(self) -> dict[str, Any]:
        return {"units": self.units, "rows": self.rows, "skipped": self.skipped}


def _policies(session: Session, name: str | None) -> list[Policy]:
    """The named policy, or every enabled one."""
    policies = stored_policies(session)
    if name is None:
        return [policy for policy in policies if policy.enabled]
    found = [policy for policy in policies if policy.name == name]
    if not found:
        known = ", ".join(policy.name for policy in policies) or "none"
        raise LookupError(f"no retention policy named {name!r} (stored: {known})")
    return found


def _relevant_holds(session: Session, policy: Policy) -> list[dict[str, str]]:
    """The holds that bear on a deleting policy: its own, its target's, and every series hold."""
    if not policy.deletes:
        return []
    scope = policy.scope
    target = scope.table or scope.experiment or scope.path or ""
    wanted = {("policy", policy.name), ("table", target), ("table", f"{scope.store}:{target}")}
    series_scoped = scope.store in ("lake", "quarantine")
    return [{"id": str(hold.id), "kind": hold.kind, "target": hold.target} for hold in active_holds(session)
            if (hold.kind, hold.target) in wanted or (hold.kind == "series" and series_scoped)]


def _blocking_hold(policy: Policy, holds: list[dict[str, str]]) -> str | None:
    """Why a deleting policy's units are all blocked (its own hold flag, or a policy / table hold)."""
    if policy.deletes and policy.hold:
        return f"policy {policy.name} is on legal hold"
    for hold in holds:
        if hold["kind"] in ("policy", "table"):
            return f"hold #{hold['id']} on {hold['kind']} {hold['target']}"
    return None


def _series_of(session: Session, selector: SeriesSelector | None) -> list[str] | None:
    """The series ids a selector names (None: every series); group and tags come from the features registry."""
    if selector is None or (not selector.ids and selector.group is None and not selector.tags):
        return None
    if selector.group is None and not selector.tags:
        return sorted(set(selector.ids))
    features = session.scalars(select(Feature)).all()
    return sorted(feature.id for feature in features
                  if (not selector.ids or feature.id in selector.ids)
                  and (selector.group is None or feature.group == selector.group)
                  and set(selector.tags) <= set(feature.tags or []))


def _copied(session: Session, policy: str) -> set[tuple[str, str]]:
    """(unit key, fingerprint) of units a non-deleting chain of ``policy`` already copied."""
    rows = session.execute(select(JournalRow.unit, JournalRow.detail).join(PlanRow, PlanRow.id == JournalRow.plan_id)
                           .where(PlanRow.policy == policy, JournalRow.stage == "copied"))
    return {(unit, detail.get("fingerprint", "")) for unit, detail in rows}


def _sizes(store: Store, targets: list[str]) -> dict[str, dict[str, Any]]:
    """Items, bytes and version of each target."""
    sizes = {}
    for target in targets:
        items, size = store.size(target)
        sizes[target] = {"items": items, "bytes": size, "version": store.version(target)}
    return sizes

