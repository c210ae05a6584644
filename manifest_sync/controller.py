"""The sync loop: fetch, render, validate, compare, apply — on a timer, on a webhook, under a lease."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from manifest_sync.applier import apply_plan
from manifest_sync.config import Mode, SyncConfig
from manifest_sync.events import EventRecorder, summary
from manifest_sync.kube import KubeApi, KubeApiError, is_transient
from manifest_sync.leader import LeaderElector
from manifest_sync.live import read_live
from manifest_sync.metrics import SyncMetrics
from manifest_sync.planner import Plan, make_plan
from manifest_sync.render import RenderError, manifest_folder, render
from manifest_sync.schema import load_schema
from manifest_sync.source import Checkout, SourceError
from manifest_sync.status import ObjectResult, Outcome, StatusStore, SyncReport
from manifest_sync.validate import Desired, ValidationFailed, validate

log = logging.getLogger(__name__)


class Fetcher(Protocol):
    """Anything that yields a checked-out revision (the git source, or a stand-in)."""

    def fetch(self) -> Checkout:
        """Fetch and check out the tracked revision."""
        ...


class SyncFailure(Exception):
    """A sync stopped at ``stage``; ``blocked`` means the manifests were refused, not the systems."""

    def __init__(self, stage: str, problems: list[str], blocked: bool = False) -> None:
        super().__init__(f"{stage}: {'; '.join(problems)}")
        self.stage, self.problems, self.blocked = stage, problems, blocked


class Controller:
    """Keeps the cluster equal to the git folder.

    Args:
        config: What to sync and how.
        api: The cluster.
        source: The git source.
        metrics: Prometheus metrics (a fresh registry when None).
        events: Posts a Kubernetes Event per sync (None: no events).
        elector: Leader election (None: this instance always syncs).
        status: Where results are kept for ``/status``.
        clock: Monotonic clock (replaced in tests).
    """

    def __init__(
        self,
        config: SyncConfig,
        api: KubeApi,
        source: Fetcher,
        metrics: SyncMetrics | None = None,
        events: EventRecorder | None = None,
        elector: LeaderElector | None = None,
        status: StatusStore | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config, self.api, self.source = config, api, source
        self.metrics = metrics or SyncMetrics()
        self.events, self.elector = events, elector
        self.status = status or StatusStore()
        self._clock = clock
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._sync_lock = threading.Lock()

    def desired_state(self) -> tuple[str, list[Desired]]:
        """Fetch, render and validate: the revision and its objects.

        Raises:
            SyncFailure: At stage ``source`` (git), or blocked at ``render``/``validate``.
        """
        try:
            checkout = self.source.fetch()
        except SourceError as error:
            raise SyncFailure("source", [str(error)]) from error
        try:
            documents = render(manifest_folder(checkout.root, self.config.path), self.config.kustomize)
            desired = validate(documents, self.config.policy, load_schema(self.config.schema_path))
        except RenderError as error:
            raise SyncFailure("render", error.problems, blocked=True) from error
        except ValidationFailed as error:
            raise SyncFailure("validate", error.problems, blocked=True) from error
        return checkout.revision, desired

    def plan(self) -> Plan:
        """What a sync would do now, without writing anything.

        Raises:
            SyncFailure: The desired state is unavailable or the cluster cannot be read.
        """
        revision, desired = self.desired_state()
        try:
            live = read_live(self.api, self.config.resource_kinds, self.config.namespaces)
        except Exception as error:
            if not (isinstance(error, KubeApiError) or is_transient(error)):
                raise
            raise SyncFailure("cluster", [f"cannot read the live objects: {error}"]) from error
        return make_plan(revision, desired, live, self.config.source, self.config.prune)

    def sync_once(self) -> SyncReport:
        """One full sync; the result is recorded in status, metrics, logs and an Event."""
        with self._sync_lock:
            report = SyncReport(started_at=datetime.now(UTC))
            drifted = self._run(report)
            report.finished_at = datetime.now(UTC)
            self._record(report, drifted)
            return report

    def _run(self, report: SyncReport) -> int | None:
        """Fill ``report`` in; returns the number of drifted objects (None when never compared)."""
        try:
            plan = self.plan()
        except SyncFailure as failure:
            report.stage, report.errors = failure.stage, failure.problems
            report.outcome = Outcome.BLOCKED if failure.blocked else Outcome.FAILED
            return None
        report.revision = plan.revision
        correct = self.config.mode == Mode.APPLY
        report.objects = apply_plan(self.api, plan, self.config.source, correct, self._may_write)
        failed = [item for item in report.objects if item.result in ("failed", "skipped")]
        report.errors = _object_errors(failed)
        report.stage = "apply" if failed else ""
        report.outcome = Outcome.FAILED if failed else Outcome.SYNCED
        return len(plan.drifted) - sum(1 for item in report.objects if item.result == "corrected")

    def _record(self, report: SyncReport, drifted: int | None) -> None:
        """Publish a finished sync everywhere it is reported."""
        self.status.record(report)
        self.metrics.observe(report, drifted)
        level = logging.INFO if report.outcome == Outcome.SYNCED else logging.WARNING
        fields = {
            "revision": report.revision,
            "outcome": str(report.outcome),
            "stage": report.stage,
            "duration_s": round(report.duration_s, 3),
            "errors": report.errors,
            "drifted": drifted,
        }
        log.log(level, summary(report), extra={"fields": fields})
        if self.events is not None:
            self.events.record(report)

    def _may_write(self) -> bool:
        """Writes are allowed without election, or while this replica leads."""
        return self.elector is None or self.elector.is_leader

    def trigger(self) -> None:
        """Ask for a sync now (the webhook's doing) instead of at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        """Ask the loop to finish after the current sync."""
        self._stop.set()
        self._wake.set()

    def on_leadership(self, leading: bool) -> None:
        """Leader-election callback: sync at once on becoming leader, report standby otherwise."""
        self.status.set_role("leader" if leading else "standby")
        self.metrics.leader.set(1 if leading else 0)
        if leading:
            self.trigger()

    def run(self) -> None:
        """Sync now, then every ``interval`` seconds or when triggered, until :meth:`stop`."""
        due = self._clock()
        while not self._stop.is_set():
            self._wake.wait(max(0.0, due - self._clock()))
            self._wake.clear()
            if self._stop.is_set():
                break
            due = self._clock() + self.config.interval
            if self._may_write():
                self.sync_once()
            else:
                self.status.set_role("standby")


def _object_errors(failed: list[ObjectResult]) -> list[str]:
    """Error lines for objects that failed or were skipped."""
    return [f"{item.object}: {item.message}" for item in failed]
