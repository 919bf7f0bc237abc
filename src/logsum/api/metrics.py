"""Prometheus metrics of one service process.

Each app gets its own registry (no global state, so several apps can live in one process, as
in tests). With several workers, ``logsum serve`` points ``PROMETHEUS_MULTIPROC_DIR`` at a
fresh directory before the workers start; prometheus-client then keeps each process's values in
files there and every worker's ``/metrics`` reports the sum over all workers.
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """The service's counters and histograms."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.multiprocess = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "logsum_http_requests_total",
            "HTTP requests by method, route template and status code.",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "logsum_http_request_duration_seconds",
            "Time from the request's arrival to the end of its response, by route.",
            ("method", "route"),
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.lines = Counter(
            "logsum_lines_analyzed_total",
            "Log lines processed by POST /v1/analyze.",
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "logsum_rate_limited_total",
            "Requests refused with 429, by tier.",
            ("tier",),
            registry=self.registry,
        )

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Record one finished request."""
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def render(self) -> bytes:
        """The text exposition format (summed over all workers in multi-process mode)."""
        if self.multiprocess:
            merged = CollectorRegistry()
            MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
            return generate_latest(merged)
        return generate_latest(self.registry)
