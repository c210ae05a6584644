"""Request and response documents of the retention service (strict: unknown fields are refused)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from sparkhu.retention.plan import Plan, PlannedReclaim, PlannedUnit
from sparkhu.retention.policy import Policy

MAX_TTL_S = 7 * 86400.0
"""The longest a plan may stay applicable: the data it describes moves on."""
NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"
"""Text without control characters (the metadata database stores it as is)."""
TARGET = r"^[^\x00-\x20\x7f](?:[^\x00-\x1f\x7f]*[^\x00-\x20\x7f])?$"
"""A hold's target: no control characters, and no space at either end."""



def _utc(moment: datetime) -> datetime:
    """SQLite returns naive datetimes: they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


Moment = Annotated[datetime, AfterValidator(_utc)]
"""A point in time, always with its zone (UTC when the database dropped it)."""

POLICY_EXAMPLE: dict[str, Any] = {
    "scope": {"store": "lake", "table": "validated"},
    "rules": {"older_than": "90d"},
    "actions": ["archive", "delete"],
    "description": "validated points are kept 90 days, archived first",
}
"""A policy document as the service accepts it (the path names it; ``name`` may be left out)."""


class Strict(BaseModel):
    """Unknown fields are errors."""

    model_config = ConfigDict(extra="forbid")


class Mirror(Strict):
    """A response that mirrors a document of the engine: built from the fields it declares.

    A field the engine adds later is left out of the answer (and flagged by the service's tests) rather
    than failing the request.
    """

    @classmethod
    def of(cls, document: dict[str, Any]) -> Self:
        """The response of an engine document."""
        return cls.model_validate({name: document[name] for name in cls.model_fields if name in document})


class Problem(Strict):
    """Why a request was refused: one line, and each reason (e.g. every problem of a policy)."""

    detail: str = Field(examples=["invalid policy"])
    reasons: list[str] = Field(default_factory=list, examples=[["policy 'raw-90d': field 'rules': ..."]])


class Health(Strict):
    """The service is up."""

    status: Literal["ok"] = "ok"
    version: str


class PolicySaved(Strict):
    """The stored policy and what the upsert did."""

    policy: Policy
    change: Literal["added", "updated", "unchanged"]


class PlanRequest(Strict):
    """Options of a plan (each may also be given as a query parameter)."""

    ttl: str | float | None = Field(default=None, description="how long the plan may be applied: 1h, 30m, PT6H, "
                                                              "or seconds (default 1h, at most 7 days)",
                                    examples=["1h"])


class ActionTotals(Strict):
    """Units, rows, bytes and files one action (or ``blocked``) covers in a plan."""

    units: int
    rows: int
    bytes: int
    files: int


class PlanDocument(Mirror):
    """A stored plan: every unit with its actions, the second stage, the totals per action, and its state.

    The fields of :class:`~sparkhu.retention.plan.Plan` (a test keeps them equal), plus ``totals`` and ``state``.
    """

    id: str = Field(examples=["p-0123456789ab"])
    policy: str
    policy_digest: str
    store: str
    created_at: Moment
    expires_at: Moment = Field(description="an apply after this is refused: plan again")
    cutoff: Moment | None
    holds_digest: str
    units: list[PlannedUnit]
    reclaim: list[PlannedReclaim]
    notes: list[str]
    totals: dict[str, ActionTotals] = Field(description="per action (archive, downsample, delete, blocked)")
    state: str = Field(description="planned, applying (an apply started: applying again resumes it) or applied",
                       examples=["planned"])

    @classmethod
    def of_plan(cls, plan: Plan, state: str) -> PlanDocument:
        """The document of ``plan`` in ``state``."""
        return cls.of({**plan.model_dump(), "totals": plan.totals(), "state": state})


class AuditRecord(Mirror):
    """One audited change: an apply (counts, bytes and versions before and after, timings), a hold or policy change."""

    id: int
    at: Moment
    actor: str = Field(description="the token's name (or the CLI user) that acted")
    action: str = Field(examples=["apply", "hold-add", "policies-save"])
    policy: str
    plan_id: str
    result: str = Field(examples=["ok", "partial"])
    detail: dict[str, Any]


class HoldRequest(Strict):
    """A legal hold to place: while it exists, no delete touches what it covers."""

    kind: Literal["series", "table", "policy"] = Field(description="a series (in every table), a table (or "
                                                                    "`store:table`), or a policy")
    target: str = Field(min_length=1, max_length=500, pattern=TARGET, examples=["validated"])
    reason: str = Field(default="", max_length=2000, pattern=NO_CONTROL, examples=["litigation 2026-17"])


class Hold(Mirror):
    """A legal hold in force."""

    id: int
    kind: Literal["series", "table", "policy"]
    target: str
    reason: str
    created_by: str
    created_at: Moment
