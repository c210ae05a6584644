"""What the controller reports about its syncs: per-object results, the last attempt and the last success."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    """How a sync ended."""

    SYNCED = "synced"
    BLOCKED = "blocked"
    FAILED = "failed"


@dataclass(frozen=True)
class ObjectResult:
    """What one sync did to one object.

    Attributes:
        object: ``Kind namespace/name``.
        action: The planned action (create, update, drift, prune, keep, unchanged).
        result: What happened: applied, corrected, detected, pruned, kept, unchanged, failed or skipped.
        message: Reason or error text.
        origin: File and document index in git, when the object comes from git.
    """

    object: str
    action: str
    result: str
    message: str = ""
    origin: str = ""


@dataclass
class SyncReport:
    """The record of one sync attempt."""

    started_at: datetime
    revision: str | None = None
    finished_at: datetime | None = None
    outcome: Outcome = Outcome.FAILED
    stage: str = ""
    errors: list[str] = field(default_factory=list)
    objects: list[ObjectResult] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        """Seconds from start to finish (0 while running)."""
        return (self.finished_at - self.started_at).total_seconds() if self.finished_at else 0.0

    def count(self, *results: str) -> int:
        """Number of objects whose result is one of ``results``."""
        return sum(1 for item in self.objects if item.result in results)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for ``/status`` and the logs."""
        return {
            "revision": self.revision,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "duration_s": round(self.duration_s, 3),
            "outcome": str(self.outcome),
            "stage": self.stage,
            "errors": list(self.errors),
            "summary": {r: self.count(r) for r in sorted({o.result for o in self.objects})},
            "objects": [asdict(item) for item in self.objects],
        }


class StatusStore:
    """Thread-safe holder of the latest attempt and the latest successful sync."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: SyncReport | None = None
        self._good: SyncReport | None = None
        self._role = "single"

    def record(self, report: SyncReport) -> None:
        """Store a finished attempt; a synced one also becomes the last good state."""
        with self._lock:
            self._last = report
            if report.outcome == Outcome.SYNCED:
                self._good = report

    def set_role(self, role: str) -> None:
        """Record the leader-election role: ``leader``, ``standby`` or ``single`` (no election)."""
        with self._lock:
            self._role = role

    @property
    def last(self) -> SyncReport | None:
        """The latest finished attempt."""
        with self._lock:
            return self._last

    @property
    def last_good(self) -> SyncReport | None:
        """The latest successful sync."""
        with self._lock:
            return self._good

    @property
    def ready(self) -> bool:
        """Ready once a sync succeeded (the state then holds even if later fetches fail), or as a standby."""
        with self._lock:
            return self._good is not None or self._role == "standby"

    def snapshot(self) -> dict[str, Any]:
        """The ``/status`` document."""
        with self._lock:
            last, good, role = self._last, self._good, self._role
        return {
            "ready": good is not None or role == "standby",
            "role": role,
            "synced_revision": good.revision if good else None,
            "synced_at": good.finished_at.isoformat() if good and good.finished_at else None,
            "last_error": "; ".join(last.errors) if last and last.errors else None,
            "last_attempt": last.to_dict() if last else None,
        }
