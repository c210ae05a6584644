"""Prometheus metrics of the retention service, in a registry of its own (one per application)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

BUCKETS = (0.005, 0.025, 0.1, 0.5, 1, 5, 30, 120, 600)


class ServiceMetrics:
    """Requests, refused tokens, plans, applies and the rows each apply archived, downsampled and deleted."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("sparkhu_retention_requests_total", "HTTP requests by route and status.",
                                ["method", "route", "status"], registry=r)
        self.duration = Histogram("sparkhu_retention_request_duration_seconds", "Duration of HTTP requests.",
                                  ["route"], buckets=BUCKETS, registry=r)
        self.refused = Counter("sparkhu_retention_auth_refusals_total", "Requests refused by token checks.",
                               ["reason"], registry=r)
        self.plans = Counter("sparkhu_retention_plans_total", "Plans made (dry runs).", registry=r)
        self.applies = Counter("sparkhu_retention_applies_total", "Plan applies by outcome.", ["result"], registry=r)
        self.rows = Counter("sparkhu_retention_rows_total", "Rows applies archived, downsampled and deleted.",
                            ["action"], registry=r)

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Account for one finished request (``route`` is the path template, never the raw path)."""
        self.requests.labels(method=method, route=route, status=str(status)).inc()
        self.duration.labels(route=route).observe(seconds)

    def observe_apply(self, record: dict[str, Any]) -> None:
        """Account for one apply that ran (not for a replay of an applied plan)."""
        self.applies.labels(result=str(record.get("result", "unknown"))).inc()
        rows = record.get("detail", {}).get("rows", {})
        for action in ("archived", "downsampled", "deleted"):
            self.rows.labels(action=action).inc(int(rows.get(action, 0)))

    def exposition(self) -> bytes:
        """The text exposition format for ``/metrics``."""
        return generate_latest(self.registry)
