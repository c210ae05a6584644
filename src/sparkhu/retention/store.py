"""The one small interface every retention store implements, and the units it plans in.

A *unit* is the smallest thing a store archives, downsamples or deletes as a whole: a month partition of a
lake table (or its part older than a cutoff), one MLflow run, one model version, one report file, one
workflow run. A store lists its units with their age and size; the engine chooses among them with the
policy's rules (:mod:`sparkhu.retention.select`) and asks the store to act on the chosen ones. The
``fingerprint`` changes whenever a unit's content changes, which is how an apply knows a planned unit is
still the one that was planned. Adding a store is one class with these methods, registered by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from sparkhu.retention.policy import Downsample, Scope


class Unit(BaseModel):
    """One thing a store acts on as a whole.

    Attributes:
        key: Identity within its target, stable across plans (``month=2026-01``, ``run=ab12``).
        target: The table, experiment or folder the unit belongs to.
        newest: Time of the unit's newest item (its age is measured from it).
        rows: Rows, runs, versions or files in the unit.
        bytes: Bytes the unit holds in the store (an estimate where the store cannot say exactly).
        files: Files the unit spans.
        fingerprint: Changes whenever the unit's content changes.
        detail: Store-specific facts the store needs to act (predicate, run id, paths).
        group: What ``keep_last`` counts: units of one group count once (the two parts of a month that a
            cutoff splits); empty means the unit is its own group.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    target: str
    newest: datetime
    rows: int
    bytes: int
    files: int
    fingerprint: str
    detail: dict[str, Any] = Field(default_factory=dict)
    group: str = ""


@dataclass(frozen=True)
class Receipt:
    """What a copy (archive or downsample) wrote, checked by reading it back."""

    location: str
    rows: int
    checksum: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Reclaim:
    """The second stage of a delete: space that a store frees later (Delta's VACUUM, MLflow's gc)."""

    target: str
    files: int
    bytes: int
    detail: dict[str, Any] = field(default_factory=dict)


class StoreError(RuntimeError):
    """A store cannot do what was asked (missing table, unsupported rule, a copy that does not verify)."""


class UnitChanged(StoreError):
    """A unit's content changed since it was planned: it is left for the next plan."""


class Store(Protocol):
    """What the retention engine needs of a store."""

    name: str

    def units(self, scope: Scope, cutoff: datetime | None, deletes: bool, series: list[str] | None,
              held_series: list[str]) -> list[Unit]:
        """Every unit of the scope, oldest first (a unit that straddles ``cutoff`` may be split at it)."""
        ...

    def fingerprint(self, unit: Unit) -> str:
        """The unit's fingerprint now (differs from ``unit.fingerprint`` when its content changed)."""
        ...

    def remaining(self, unit: Unit) -> int:
        """Items of the unit still in the store (0 once it is deleted)."""
        ...

    def archive(self, unit: Unit, location: str | None, tag: str) -> Receipt:
        """Copy the unit to ``location`` (None: the store's default), idempotently per ``tag``, and verify it."""
        ...

    def verify(self, unit: Unit, receipt: Receipt) -> bool:
        """Whether the copy a receipt describes is still there, whole."""
        ...

    def downsample(self, unit: Unit, action: Downsample, tag: str) -> Receipt:
        """Aggregate the unit to a coarser period into the long-term table, idempotently per ``tag``."""
        ...

    def delete(self, unit: Unit) -> int:
        """Delete the unit (the first stage) if its fingerprint is unchanged; return the items deleted.

        Raises:
            UnitChanged: The unit changed since it was planned (checked under the store's write lock).
        """
        ...

    def reclaimable(self, target: str) -> Reclaim:
        """What the second stage would free now for ``target``."""
        ...

    def reclaim(self, target: str) -> Reclaim:
        """Run the second stage for ``target`` (only what its window allows)."""
        ...

    def size(self, target: str) -> tuple[int, int]:
        """Items and bytes ``target`` holds now (for the audit's before/after)."""
        ...

    def version(self, target: str) -> str | None:
        """The target's version now, where the store has versions (a Delta table's)."""
        ...



class NoDownsample:
    """For stores with nothing to aggregate (all but the lake): set ``holds`` to say what they keep."""

    holds: str = ""

    def downsample(self, unit: Unit, action: Downsample, tag: str) -> Receipt:
        """Refuse: policies allow a downsample on lake tables only.

        Raises:
            StoreError: Always.
        """
        raise StoreError(f"downsample applies to lake tables, not to {self.holds}")


class OneStageDelete:
    """For stores whose delete frees its space at once: no second stage (``delete_note`` says why)."""

    delete_note: str = ""

    def reclaimable(self, target: str) -> Reclaim:
        """Nothing: the delete was final."""
        return Reclaim(target=target, files=0, bytes=0, detail={"note": self.delete_note})

    def reclaim(self, target: str) -> Reclaim:
        """Nothing to do (see :meth:`reclaimable`)."""
        return self.reclaimable(target)
