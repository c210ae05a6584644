"""Prometheus metrics of the controller, in a registry of its own (one per controller instance)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from manifest_sync.status import Outcome, SyncReport

BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)


class SyncMetrics:
    """Sync duration, objects applied/pruned, failures, last success time, drift and leadership."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.duration = Histogram(
            "sparkhu_sync_duration_seconds", "Duration of a sync.", ["outcome"], buckets=BUCKETS, registry=r
        )
        self.applied = Counter(
            "sparkhu_sync_objects_applied_total", "Objects created or updated.", ["action"], registry=r
        )
        self.pruned = Counter(
            "sparkhu_sync_objects_pruned_total", "Objects deleted because git dropped them.", registry=r
        )
        self.failures = Counter("sparkhu_sync_failures_total", "Syncs that did not complete.", ["stage"], registry=r)
        self.last_success = Gauge(
            "sparkhu_sync_last_success_timestamp_seconds", "Unix time of the last successful sync.", registry=r
        )
        self.drift = Gauge("sparkhu_sync_drifted_objects", "Live objects edited by hand at the last sync.", registry=r)
        self.leader = Gauge("sparkhu_sync_leader", "1 when this replica holds the lease.", registry=r)

    def observe(self, report: SyncReport, drifted: int | None) -> None:
        """Account for one finished sync; ``drifted`` is None when the sync stopped before comparing."""
        self.duration.labels(outcome=str(report.outcome)).observe(report.duration_s)
        for item in report.objects:
            if item.result in ("applied", "corrected"):
                self.applied.labels(action=item.action).inc()
            elif item.result == "pruned":
                self.pruned.inc()
        if report.outcome == Outcome.SYNCED and report.finished_at is not None:
            self.last_success.set(report.finished_at.timestamp())
        else:
            self.failures.labels(stage=report.stage or "unknown").inc()
        if drifted is not None:
            self.drift.set(drifted)

    def exposition(self) -> bytes:
        """The text exposition format for ``/metrics``."""
        return generate_latest(self.registry)
