"""Prometheus metrics of one `pafas serve` app, at GET /metrics (the `prometheus-client` library).

Each app has its own registry (never the process-wide default one), so several apps in one process, as in
the tests, count apart. Endpoints are labelled by route, and every path that is no route as `other`, so a
client probing random paths cannot grow the label set without bound.

    pafas_requests_total{endpoint, status}     requests answered, by route and HTTP status
    pafas_request_seconds{endpoint}            latency from the first byte of the request to the answer
    pafas_batch_size                           requests per model call
    pafas_model_seconds                        one model call (generation + score) of a batch
    pafas_queue_depth                          requests waiting for a batch now
    pafas_decisions_total{decision, condition} live / spoof decisions by missing-modality condition
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

SECONDS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64, 128)
CONTENT_TYPE = CONTENT_TYPE_LATEST


class ServeMetrics:
    """The counters of one app; `waiting()` reads the queue depth when scraped."""

    def __init__(self, routes: Collection[str], waiting: Callable[[], int]):
        self.routes = frozenset(routes)
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("pafas_requests", "Requests answered, by endpoint and HTTP status.",
                                ("endpoint", "status"), registry=r)
        self.latency = Histogram("pafas_request_seconds", "Seconds from a request's arrival to its answer.",
                                 ("endpoint",), buckets=SECONDS, registry=r)
        self.batch_size = Histogram("pafas_batch_size", "Requests per model call.", buckets=BATCH_SIZES, registry=r)
        self.model_seconds = Histogram("pafas_model_seconds", "Seconds of one batch's model call.", buckets=SECONDS,
                                       registry=r)
        self.queue_depth = Gauge("pafas_queue_depth", "Requests waiting for a batch.", registry=r)
        self.queue_depth.set_function(waiting)
        self.decisions = Counter("pafas_decisions", "Decisions, by verdict and missing-modality condition.",
                                 ("decision", "condition"), registry=r)

    def endpoint(self, path: str) -> str:
        return path if path in self.routes else "other"

    def request(self, path: str, status: int, seconds: float) -> None:
        endpoint = self.endpoint(path)
        self.requests.labels(endpoint, str(status)).inc()
        self.latency.labels(endpoint).observe(seconds)

    def batch(self, size: int, seconds: float) -> None:
        """The batcher's `on_batch`: one model call."""
        self.batch_size.observe(size)
        self.model_seconds.observe(seconds)

    def decision(self, decision: str, condition: str) -> None:
        self.decisions.labels(decision, condition).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
