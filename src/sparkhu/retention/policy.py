"""Retention policies: a scope, rules that select what is old or too much, and an ordered chain of actions.

A policy file (YAML) lists policies::

    policies:
      - name: raw-90d
        scope: {store: lake, table: raw}
        rules: {older_than: 90d}
        actions: [archive, delete]
      - name: validated-downsample
        scope: {store: lake, table: validated, series: {group: plant}}
        rules: {older_than: 30d}
        actions: [{downsample: {period: 1h, aggregates: [mean, min, max, count]}}, delete]

Validation is strict (unknown fields, wrong types and contradictions are errors with their place) and
guards deletion: a chain that deletes must keep data at least :data:`MIN_AGE_HOURS` (as Delta's VACUUM),
unless an override states its hours and a reason (audited by the engine), and ``delete`` comes last, after
any archive or downsample, so that nothing is deleted before it is copied.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sparkhu.durations import format_duration, parse_duration

MIN_AGE_HOURS = 168.0
"""No delete touches data younger than this without an explicit, audited override (Delta VACUUM's default)."""
Store = Literal["lake", "mlflow", "reports", "runs", "quarantine"]
"""Where Sparkhu keeps data a policy can cover (each store gets an adapter in the engine)."""
MLFLOW_UNITS = ("runs", "model-versions")
"""What an ``mlflow`` scope's ``table`` may name: finished runs of the experiment (the default), or the
versions of registered models that no alias points to."""
Aggregate = Literal["mean", "min", "max", "count", "sum"]
DEFAULT_AGGREGATES: list[Aggregate] = ["mean", "min", "max", "count"]
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b?|b)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "b": 1, "k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12,
               "tb": 1e12, "ki": 2**10, "kib": 2**10, "mi": 2**20, "mib": 2**20, "gi": 2**30, "gib": 2**30,
               "ti": 2**40, "tib": 2**40}


class PolicyError(ValueError):
    """A policy file or document is invalid; ``problems`` has one line per error."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


class Strict(BaseModel):
    """Unknown fields are errors, and a model never changes after validation."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def parse_bytes(value: str | int | float) -> int:
    """Bytes of ``10GiB``, ``500 MB``, ``1e9`` or a number of bytes.

    Raises:
        ValueError: Not a non-negative size.
    """
    if isinstance(value, bool):
        raise ValueError(f"not a size: {value!r}")
    if isinstance(value, int | float):
        size = float(value)
    else:
        match = _SIZE.match(value)
        if not match:
            raise ValueError(f"not a size: {value!r} (e.g. 500MB, 10GiB, or bytes)")
        size = float(match.group(1)) * _SIZE_UNITS[(match.group(2) or "").lower()]
    if size < 0:
        raise ValueError(f"a size cannot be negative: {value!r}")
    return int(size)


class SeriesSelector(Strict):
    """Which series of a table a policy covers (all of them when every field is empty)."""

    ids: list[str] = Field(default_factory=list)
    group: str | None = None
    tags: list[str] = Field(default_factory=list)


class Scope(Strict):
    """Where a policy acts: a store and, by store, its table, experiment or path, and optionally some series."""

    store: Store
    table: str | None = None
    experiment: str | None = None
    path: str | None = None
    series: SeriesSelector | None = None

    @model_validator(mode="after")
    def _target_fits_the_store(self) -> Scope:
        if self.store == "lake" and not self.table:
            raise ValueError("a lake scope needs a table")
        if self.store == "mlflow" and not self.experiment:
            raise ValueError("an mlflow scope needs an experiment (an experiment or, for model-versions, a "
                             "registered model: a name, a series group, or '*' for all)")
        if self.store == "mlflow" and self.table is not None and self.table not in MLFLOW_UNITS:
            raise ValueError(f"an mlflow scope's table is {' or '.join(MLFLOW_UNITS)}, not {self.table!r}")
        if self.series is not None and self.store not in ("lake", "quarantine"):
            raise ValueError(f"a series selector applies to lake tables and the quarantine, not to {self.store}")
        return self


class Rules(Strict):
    """What is selected: older than an age, beyond the newest ``keep_last``, or beyond ``max_bytes`` (oldest first)."""

    older_than: float | None = Field(default=None, description="age, e.g. 90d, 36h, PT12H, or seconds")
    keep_last: int | None = Field(default=None, ge=1)
    max_bytes: int | None = Field(default=None, ge=0)

    @field_validator("older_than", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        if value is None or isinstance(value, bool):
            return value
        seconds = parse_duration(value)
        if seconds <= 0:
            raise ValueError("older_than must be a positive duration")
        return seconds

    @field_validator("max_bytes", mode="before")
    @classmethod
    def _size(cls, value: Any) -> Any:
        return value if value is None else parse_bytes(value)

    @model_validator(mode="after")
    def _at_least_one(self) -> Rules:
        if self.older_than is None and self.keep_last is None and self.max_bytes is None:
            raise ValueError("a policy needs at least one rule: older_than, keep_last or max_bytes")
        return self


class Archive(Strict):
    """Copy what is selected to ``to`` (default: the store's archive location), verified before any delete."""

    kind: Literal["archive"] = "archive"
    to: str | None = None


class Downsample(Strict):
    """Aggregate what is selected to a coarser ``period`` into a long-term table."""

    kind: Literal["downsample"] = "downsample"
    period: float
    aggregates: list[Aggregate] = Field(default_factory=lambda: list(DEFAULT_AGGREGATES), min_length=1)
    to: str | None = None

    @field_validator("period", mode="before")
    @classmethod
    def _period(cls, value: Any) -> Any:
        seconds = parse_duration(value)
        if seconds < 1:
            raise ValueError("the downsample period must be at least 1 s")
        return seconds

    @field_validator("aggregates")
    @classmethod
    def _distinct(cls, value: list[Aggregate]) -> list[Aggregate]:
        if len(set(value)) != len(value):
            raise ValueError("each aggregate at most once")
        return value


class Delete(Strict):
    """Delete what is selected (last in a chain; blocked by legal holds and the minimum-age guard)."""

    kind: Literal["delete"] = "delete"


Action = Annotated[Archive | Downsample | Delete, Field(discriminator="kind")]


class MinAgeOverride(Strict):
    """Permission to delete data younger than :data:`MIN_AGE_HOURS`: how young, and why (audited)."""

    hours: float = Field(gt=0)
    reason: str = Field(min_length=10)


class Policy(Strict):
    """One retention policy (see the module docstring for the file format)."""

    name: str
    scope: Scope
    rules: Rules
    actions: list[Action] = Field(min_length=1)
    enabled: bool = True
    hold: bool = Field(default=False, description="legal hold: the policy's deletes are blocked")
    min_age_override: MinAgeOverride | None = None
    description: str = ""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME.match(value):
            raise ValueError("a name is 1-100 lowercase letters, digits, '.', '_' or '-', starting with a letter "
                             "or digit")
        return value

    @field_validator("actions", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return [_action_document(item) for item in value] if isinstance(value, list) else value

    @model_validator(mode="after")
    def _chain(self) -> Policy:
        kinds: list[str] = [action.kind for action in self.actions]
        if len(set(kinds)) != len(kinds):
            raise ValueError(f"each action at most once, got {kinds}")
        if "delete" in kinds and kinds[-1] != "delete":
            raise ValueError(f"delete must be the last action (nothing is deleted before it is copied), got {kinds}")
        if "downsample" in kinds and self.scope.store != "lake":
            raise ValueError(f"downsample applies to lake tables, not to {self.scope.store}")
        self._guard_minimum_age(kinds)
        return self

    def _guard_minimum_age(self, kinds: list[str]) -> None:
        """A deleting chain keeps data at least MIN_AGE_HOURS (or the override's hours, with its reason)."""
        if "delete" not in kinds:
            return
        floor = self.min_age_override.hours if self.min_age_override else MIN_AGE_HOURS
        if self.rules.older_than is None:
            raise ValueError("a policy that deletes needs older_than (the minimum-age guard measures it)")
        if self.rules.older_than < floor * 3600:
            raise ValueError(f"older_than {format_duration(self.rules.older_than)} is below the minimum age of "
                             f"{floor:g} h; set min_age_override {{hours, reason}} to go lower")

    @property
    def deletes(self) -> bool:
        """Whether the chain ends in a delete."""
        return self.actions[-1].kind == "delete"

    def document(self) -> dict[str, Any]:
        """The policy as plain JSON-ready data (what the metadata database stores)."""
        return self.model_dump(mode="json")


def _action_document(item: Any) -> Any:
    """``"delete"`` → ``{"kind": "delete"}``; ``{"downsample": {...}}`` → ``{"kind": "downsample", ...}``."""
    if isinstance(item, str):
        return {"kind": item}
    if isinstance(item, Mapping) and len(item) == 1 and "kind" not in item:
        [(kind, options)] = item.items()
        return {"kind": kind, **(options or {})}
    return item


def load_policies(document: Any, source: str = "policies") -> list[Policy]:
    """Validated policies of a file's document (``{policies: [...]}`` or a list), names unique.

    Raises:
        PolicyError: Every problem found, each with its place.
    """
    records = document.get("policies") if isinstance(document, Mapping) else document
    if not isinstance(records, list):
        raise PolicyError([f"{source}: expected a list of policies or {{policies: [...]}}"])
    policies, problems, seen = [], [], set()
    for index, record in enumerate(records):
        where = f"{source}: policy {index + 1}" + (f" ({record['name']!r})" if isinstance(record, Mapping)
                                                   and "name" in record else "")
        try:
            policy = Policy.model_validate(record)
        except ValidationError as error:
            problems += [f"{where}: {_field(item)}{_message(item)}" for item in error.errors()]
            continue
        if policy.name in seen:
            problems.append(f"{where}: the name {policy.name!r} is declared twice")
        seen.add(policy.name)
        policies.append(policy)
    if problems:
        raise PolicyError(problems)
    return policies


def _field(item: Mapping[str, Any]) -> str:
    """``field 'rules.older_than': `` for a pydantic error (empty for a whole-policy error)."""
    parts = [str(part) for part in item["loc"] if not str(part).startswith("function-")]
    return f"field {'.'.join(parts)!r}: " if parts else ""


def _message(item: Mapping[str, Any]) -> str:
    """Pydantic's message, in this module's words where they are clearer."""
    if item["type"] == "extra_forbidden":
        return "unknown field"
    return str(item["msg"]).removeprefix("Value error, ")
