"""Prometheus metrics: request latency per route here; business figures read from the database at
scrape time (souk/web/metrics.py assembles them from each owner's `metrics.py`).

Several gunicorn workers per node: with PROMETHEUS_MULTIPROC_DIR set (an empty directory per node,
emptied when the node starts), prometheus-client keeps each process's samples in files there and a
scrape adds them up (`MultiProcessCollector`), so whichever worker answers `/metrics` reports the
whole node. Without it each process reports its own, which is right for one process per node.
Business figures are the same from every node (they are counts in the shared database), so they
never depend on the mode. docs/operations.md, Metrics.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

REQUEST_SECONDS = Histogram(
    "souk_http_request_duration_seconds", "Time to answer a request, by route (the URL's name).",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))


def route_of(request) -> str:
    """The resolved URL name (`api-1.0.order_pay`, `web:home`), never the raw path: bounded labels."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.view_name or getattr(match, "route", "") or "unnamed"


class RequestMetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        REQUEST_SECONDS.labels(route_of(request), request.method, f"{response.status_code // 100}xx").observe(
            time.perf_counter() - started)
        return response


def gauge(name: str, documentation: str, labels: Iterable[str], samples: Iterable[tuple[tuple, float]]):
    family = GaugeMetricFamily(name, documentation, labels=list(labels))
    for label_values, value in samples:
        family.add_metric([str(v) for v in label_values], value)
    return family


def process_metrics_text() -> bytes:
    """This node's request metrics: all gunicorn workers' in multiprocess mode, else this process's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return generate_latest(registry)
    from prometheus_client import REGISTRY

    return generate_latest(REGISTRY)


def families_text(families: list) -> bytes:
    class _Fixed:
        def collect(self):
            return families

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Fixed())
    return generate_latest(registry)
