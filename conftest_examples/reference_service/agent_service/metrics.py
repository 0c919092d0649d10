"""The template's `ai_assistant.*` OpenTelemetry instruments, as a Prometheus exporter shows them."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "ServiceMetrics"]


class ServiceMetrics:
    """One registry per app, so several apps in one process never share series."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.request_duration = Histogram(
            "ai_assistant_request_duration_seconds",
            "Duration of HTTP requests.",
            ["endpoint", "method", "status"],
            registry=self.registry,
        )
        self.requests = Counter(
            "ai_assistant_requests_total",
            "HTTP requests handled.",
            ["endpoint", "method", "status"],
            registry=self.registry,
        )
        self.errors = Counter(
            "ai_assistant_errors_total",
            "Requests that ended in an error response.",
            ["endpoint", "type"],
            registry=self.registry,
        )
        self.tokens = Counter(
            "ai_assistant_tokens_total",
            "Model tokens consumed.",
            ["type"],
            registry=self.registry,
        )
        self.cache_hits = Counter(
            "ai_assistant_cache_hits_total", "Answer cache hits.", registry=self.registry
        )
        self.cache_misses = Counter(
            "ai_assistant_cache_misses_total", "Answer cache misses.", registry=self.registry
        )
        for token_type in ("prompt", "completion"):
            self.tokens.labels(type=token_type)

    def observe_request(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        labels = {"endpoint": endpoint, "method": method, "status": str(status)}
        self.request_duration.labels(**labels).observe(seconds)
        self.requests.labels(**labels).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
