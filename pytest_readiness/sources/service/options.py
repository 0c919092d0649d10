"""The live service's options: target, credentials, probe limits, metric names, Redis."""

from __future__ import annotations

from dataclasses import dataclass

from pytest_readiness.session import option


@dataclass(frozen=True)
class ServiceOptions:
    url: str = option("", "base URL of the running agent service: enables the live checks")
    auth_env: str = option("", "name of the env var holding the credential for live probes (never the value)")
    auth_scheme: str = option("bearer", "how to send the credential: 'bearer' or a header name like X-API-Key")
    second_auth_env: str = option("", "env var with a second user's credential (per-user rate limit probe)")
    request_budget: int = option(300, "at most this many HTTP requests for the whole live run", "int")
    timeout: float = option(5.0, "connect/read timeout in seconds for each live probe", "float")
    probe_deadline: float = option(
        30.0, "overall time limit in seconds for one live request (connect, TLS, headers and body)", "float")
    max_response_mib: float = option(4.0, "largest response body read from the service, in MiB", "float")
    insecure: bool = option(False, "do not verify the service's TLS certificate", "bool")
    tls_legacy_ciphers: str = option(
        "DEFAULT:@SECLEVEL=0", "OpenSSL cipher list the TLS 1.0/1.1 probes offer (needs suites usable with TLS 1.0)")
    ca_bundle: str = option("", "CA bundle (PEM) to verify the service's certificate")
    health_paths: tuple[str, ...] = option(
        ("/health", "/health/live", "/health/ready"), "health paths: overall, liveness, readiness", "linelist"
    )
    metrics_url: str = option("", "metrics URL when not <url>/metrics (e.g. a separate metrics port)")
    redis_url: str = option("", "Redis URL to check (password via redis_password_env)")
    redis_password_env: str = option("", "env var holding the Redis password")
    question_path: str = option("/api/question", "path of the agent's question endpoint (POST, JSON body)")
    answer_field: str = option("answer", "JSON field of a question's answer")
    requests_per_minute: int = option(
        0, "rate limit to probe when the agent config sets no requests_per_minute (0: from config)", "int"
    )
    rate_limit_margin: int = option(5, "extra requests the rate-limit probe may send beyond the limit", "int")
    rate_limit_window: float = option(
        60.0, "the rate limit's window in seconds: a probe slower than this proves nothing (requests_per_minute)",
        "float")
    max_question_length: int = option(
        0, "input length limit to probe when the agent config sets none (0: from config)", "int"
    )
    latency_samples: int = option(10, "requests timed for the latency baseline", "int")
    latency_p95_seconds: float = option(5.0, "p95 latency above this fails (the seed's alert: 5 s)", "float")
    health_max_seconds: float = option(1.0, "a health endpoint slower than this fails (kubelet's default)", "float")
    health_components: tuple[str, ...] = option((), "components /health must report (e.g. llm, redis)", "linelist")
    metric_latency: str = option("ai_assistant_request_duration*", "glob naming the request latency histogram")
    metric_errors: str = option("ai_assistant_errors*", "glob naming the error counter")
    metric_tokens: str = option("ai_assistant_tokens*", "glob naming the token usage counter")
    metric_cache_hits: str = option("ai_assistant_cache_hits*", "glob naming the cache hit counter")
    metric_cache_misses: str = option("ai_assistant_cache_misses*", "glob naming the cache miss counter")
    cache_hit_target: float = option(0.8, "lowest acceptable cache hit rate (the seed's 80%%)", "float")
