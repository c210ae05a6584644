"""Kubernetes Events for sync results, so ``kubectl get events`` shows what the controller did."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from manifest_sync.kinds import EVENT, LEASE
from manifest_sync.kube import KubeApi
from manifest_sync.leader import LEASE_NAME
from manifest_sync.status import Outcome, SyncReport

COMPONENT = "sparkhu-manifest-sync"
REASONS = {Outcome.SYNCED: "SyncSucceeded", Outcome.BLOCKED: "SyncBlocked", Outcome.FAILED: "SyncFailed"}
log = logging.getLogger(__name__)


def summary(report: SyncReport) -> str:
    """One-line human summary of a sync, used as the Event message."""
    revision = (report.revision or "unknown")[:12]
    if report.outcome != Outcome.SYNCED:
        return f"{report.outcome} at {report.stage} (revision {revision}): {'; '.join(report.errors)[:900]}"
    counts = ", ".join(
        f"{n} {r}" for r in ("applied", "corrected", "pruned", "detected", "failed") if (n := report.count(r))
    )
    return f"synced revision {revision}: {counts or 'no changes'}"


class EventRecorder:
    """Posts one core/v1 Event per sync, attached to the controller's Lease.

    Args:
        api: The cluster.
        namespace: Namespace of the controller (and of its Lease and Events).
        instance: This replica's identity (``reportingInstance``).
        now: Wall clock (replaced in tests).
    """

    def __init__(
        self, api: KubeApi, namespace: str, instance: str, now: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.api, self.namespace, self.instance, self._now = api, namespace, instance, now

    def event(self, report: SyncReport) -> dict[str, Any]:
        """The Event object for ``report``."""
        stamp = self._now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": f"{LEASE_NAME}.{secrets.token_hex(8)}", "namespace": self.namespace},
            "involvedObject": {
                "apiVersion": LEASE.api_version,
                "kind": "Lease",
                "name": LEASE_NAME,
                "namespace": self.namespace,
            },
            "reason": REASONS[report.outcome],
            "message": summary(report),
            "type": "Normal" if report.outcome == Outcome.SYNCED else "Warning",
            "action": "Sync",
            "count": 1,
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "source": {"component": COMPONENT},
            "reportingComponent": COMPONENT,
            "reportingInstance": self.instance,
        }

    def record(self, report: SyncReport) -> None:
        """Post the Event; a failure is logged, never raised (events are best effort)."""
        try:
            self.api.create(EVENT.collection_path(self.namespace), self.event(report))
        except Exception as error:
            log.warning("could not post the sync event", extra={"fields": {"error": str(error)}})
