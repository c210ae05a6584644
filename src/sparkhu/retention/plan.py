"""A retention plan: exactly what one policy would archive, downsample and delete, frozen until applied.

A plan is a dry run's result and an apply's contract. It records, per selected unit, the actions and the
unit's fingerprint; per target, what the second stage (vacuum / gc) would free; the policy it came from
(by digest: a changed policy invalidates the plan) and the holds in force (a hold added since also
invalidates it). ``expires_at`` bounds how stale a plan may be when it is applied.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sparkhu.retention.policy import Policy
from sparkhu.retention.store import Reclaim, Unit

DEFAULT_TTL_S = 3600.0
"""A plan is refused after an hour unless planned with another TTL: the data it describes moves on."""


class PlannedUnit(Unit):
    """One selected unit and what the chain does to it (``blocked``: why nothing is done to it)."""

    model_config = ConfigDict(extra="forbid", frozen=False)

    actions: list[str]
    blocked: str | None = None

    def unit(self) -> Unit:
        """The store's view of this unit."""
        return Unit.model_validate(self.model_dump(exclude={"actions", "blocked"}))


class PlannedReclaim(BaseModel):
    """The second stage for one target: files and bytes it would free now."""

    model_config = ConfigDict(extra="forbid")

    target: str
    files: int
    bytes: int


class Plan(BaseModel):
    """A dry run of one policy (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    policy: str
    policy_digest: str
    store: str
    created_at: datetime
    expires_at: datetime
    cutoff: datetime | None
    holds_digest: str
    units: list[PlannedUnit] = Field(default_factory=list)
    reclaim: list[PlannedReclaim] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    def totals(self) -> dict[str, dict[str, int]]:
        """Per action (``archive``, ``downsample``, ``delete``, ``blocked``): units, rows, bytes and files."""
        totals: dict[str, dict[str, int]] = {}
        for planned in self.units:
            for action in ["blocked"] if planned.blocked else planned.actions:
                entry = totals.setdefault(action, {"units": 0, "rows": 0, "bytes": 0, "files": 0})
                entry["units"] += 1
                entry["rows"] += planned.rows
                entry["bytes"] += planned.bytes
                entry["files"] += planned.files
        return totals

    def document(self) -> dict[str, Any]:
        """The plan as JSON-ready data, its totals included."""
        return {**self.model_dump(mode="json"), "totals": self.totals()}


def new_plan_id() -> str:
    """A short, unique plan id (``p-`` and 12 hex digits)."""
    return f"p-{uuid.uuid4().hex[:12]}"


def policy_digest(policy: Policy) -> str:
    """A digest of the policy document: an apply refuses a plan whose policy changed since."""
    return _digest(policy.document())


def holds_digest(holds: list[dict[str, str]]) -> str:
    """A digest of the holds that bear on a plan."""
    return _digest(sorted(holds, key=lambda hold: json.dumps(hold, sort_keys=True)))


def _digest(document: Any) -> str:
    return hashlib.sha256(json.dumps(document, sort_keys=True, default=str).encode()).hexdigest()[:16]


def planned(unit: Unit, actions: list[str], blocked: str | None = None) -> PlannedUnit:
    """A store's unit with the actions the chain takes on it."""
    return PlannedUnit(**unit.model_dump(), actions=actions, blocked=blocked)


def reclaim_entry(reclaim: Reclaim) -> PlannedReclaim:
    """A store's second-stage estimate as a plan entry."""
    return PlannedReclaim(target=reclaim.target, files=reclaim.files, bytes=reclaim.bytes)


def expiry(now: datetime, ttl_s: float = DEFAULT_TTL_S) -> datetime:
    """When a plan made ``now`` stops being applicable."""
    return now.astimezone(UTC) + timedelta(seconds=ttl_s)
