"""Lease-based leader election, so two replicas never apply at once.

The leader holds a ``coordination.k8s.io/v1`` Lease and renews it every ``renew_period``. Another replica
takes over only after it has watched the lease stay unchanged for ``lease_duration`` on its *own* clock
(as client-go does), so clock skew between nodes cannot cause two leaders. Writes carry the lease's
``resourceVersion``: if two replicas race for the same lease, the API server accepts only one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from manifest_sync.kinds import LEASE
from manifest_sync.kube import KubeApi, KubeApiError, is_transient

LEASE_NAME = "sparkhu-manifest-sync"
log = logging.getLogger(__name__)


def micro_time(moment: datetime) -> str:
    """A Kubernetes MicroTime string (RFC 3339 with microseconds, UTC)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class LeaseRecord:
    """The fields of a Lease that matter for the election."""

    holder: str
    renew_time: str
    duration_s: float
    transitions: int

    @classmethod
    def of(cls, lease: dict[str, Any]) -> LeaseRecord:
        """Read the record from a Lease object."""
        spec = lease.get("spec") or {}
        return cls(
            holder=str(spec.get("holderIdentity") or ""),
            renew_time=str(spec.get("renewTime") or ""),
            duration_s=float(spec.get("leaseDurationSeconds") or 0),
            transitions=int(spec.get("leaseTransitions") or 0),
        )


class LeaderElector:
    """Acquires and renews the Lease for one replica.

    Args:
        api: The cluster.
        namespace: Namespace of the Lease (the controller's own).
        identity: This replica's name (the pod name in a cluster).
        name: Lease name.
        lease_duration: Seconds a lease stays valid without renewal.
        renew_period: Seconds between renewals.
        clock: Monotonic clock (replaced in tests).
        now: Wall clock for the timestamps written to the Lease.
    """

    def __init__(
        self,
        api: KubeApi,
        namespace: str,
        identity: str,
        name: str = LEASE_NAME,
        lease_duration: float = 15.0,
        renew_period: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.api, self.namespace, self.identity, self.name = api, namespace, identity, name
        self.lease_duration, self.renew_period = lease_duration, renew_period
        self._clock, self._now = clock, now
        self._observed: LeaseRecord | None = None
        self._observed_at = 0.0
        self._renewed_at: float | None = None
        self._lock = threading.Lock()

    @property
    def path(self) -> str:
        """URL path of the Lease."""
        return LEASE.object_path(self.namespace, self.name)

    @property
    def is_leader(self) -> bool:
        """True while this replica holds a lease it renewed less than a lease duration ago."""
        with self._lock:
            renewed = self._renewed_at
        return renewed is not None and self._clock() - renewed < self.lease_duration

    def try_acquire_or_renew(self) -> bool:
        """One election round: create, renew or take over the Lease when allowed.

        Returns:
            Whether this replica is the leader after the round. API errors count as "not renewed":
            leadership then lapses on its own once the lease duration has passed.
        """
        try:
            acquired = self._round()
        except KubeApiError as error:
            log.warning("leader election round failed", extra={"fields": {"error": str(error)}})
            return self.is_leader
        except Exception as error:
            if not is_transient(error):
                raise
            log.warning("leader election round failed", extra={"fields": {"error": str(error)}})
            return self.is_leader
        with self._lock:
            self._renewed_at = self._clock() if acquired else None
        return acquired

    def release(self) -> None:
        """Give the lease up (on shutdown) so a standby takes over at once instead of after expiry."""
        if not self.is_leader:
            return
        lease = self.api.get(self.path)
        if lease is not None and LeaseRecord.of(lease).holder == self.identity:
            self.api.patch(self.path, self._spec_patch(lease, holder="", duration=1))
        with self._lock:
            self._renewed_at = None

    def run(self, stop: threading.Event, on_change: Callable[[bool], None] = lambda _: None) -> None:
        """Election rounds every ``renew_period`` until ``stop`` is set; then release the lease."""
        leading = False
        while not stop.is_set():
            now_leading = self.try_acquire_or_renew()
            if now_leading != leading:
                leading = now_leading
                log.info("leadership changed", extra={"fields": {"leader": leading, "identity": self.identity}})
                on_change(leading)
            stop.wait(self.renew_period)
        self.release()

    def _round(self) -> bool:
        """Read the lease and decide; raises on API errors."""
        lease = self.api.get(self.path)
        if lease is None:
            return self._create()
        record = LeaseRecord.of(lease)
        if record.holder == self.identity:
            self.api.patch(self.path, self._spec_patch(lease, holder=self.identity, renew_only=True))
            return True
        if not self._expired(record):
            return False
        self.api.patch(self.path, self._spec_patch(lease, holder=self.identity))
        log.info("took over the lease", extra={"fields": {"from": record.holder, "identity": self.identity}})
        return True

    def _expired(self, record: LeaseRecord) -> bool:
        """True when nobody holds the lease, or it has not changed for its duration on our clock."""
        if not record.holder:
            return True
        if record != self._observed:
            self._observed, self._observed_at = record, self._clock()
            return False
        return self._clock() - self._observed_at > max(record.duration_s, 1.0)

    def _create(self) -> bool:
        """Create the lease held by us; losing the creation race (409) means someone else leads."""
        stamp = micro_time(self._now())
        spec = {
            "holderIdentity": self.identity,
            "leaseDurationSeconds": int(self.lease_duration),
            "acquireTime": stamp,
            "renewTime": stamp,
            "leaseTransitions": 0,
        }
        body = {
            "apiVersion": LEASE.api_version,
            "kind": "Lease",
            "metadata": {"name": self.name, "namespace": self.namespace},
            "spec": spec,
        }
        try:
            self.api.create(LEASE.collection_path(self.namespace), body)
        except KubeApiError as error:
            if error.status == 409:
                return False
            raise
        return True

    def _spec_patch(
        self, lease: dict[str, Any], holder: str, renew_only: bool = False, duration: float | None = None
    ) -> dict[str, Any]:
        """Merge patch renewing the lease, or handing it to ``holder``, guarded by its resourceVersion."""
        stamp = micro_time(self._now())
        spec: dict[str, Any] = {
            "holderIdentity": holder,
            "renewTime": stamp,
            "leaseDurationSeconds": int(duration or self.lease_duration),
        }
        if not renew_only:
            spec["acquireTime"] = stamp
            spec["leaseTransitions"] = LeaseRecord.of(lease).transitions + 1
        meta: dict[str, Any] = {}
        version = (lease.get("metadata") or {}).get("resourceVersion")
        if version:
            meta["resourceVersion"] = version
        return {"metadata": meta, "spec": spec}
