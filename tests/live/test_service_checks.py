"""The live checks against real targets: the reference service with and without its safeguards, stub
servers that misbehave in one way each, a refused port and a port that never answers."""

from __future__ import annotations

import json
import socket
import textwrap
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from pytest_readiness.sources.service import tls_probe

if TYPE_CHECKING:
    from conftest import Service, StubServer

    from tests.conftest import ReadinessRun

pytestmark = pytest.mark.slow

Runner = Callable[..., "ReadinessRun"]
ISSUER = "https://login.microsoftonline.com/contoso-tenant/v2.0"
AUDIENCE = "api://msft-agent"
SERVICE_CHECKS = (
    "OBS-LIVE-METRICS", "OBS-LIVE-KEY-METRICS", "PERF-LIVE-CACHE-HIT-RATE", "REL-LIVE-HEALTH",
    "REL-LIVE-HEALTH-COMPONENTS", "SEC-LIVE-TLS", "PERF-LIVE-KEEPALIVE", "OBS-LIVE-CORRELATION-ID", "SEC-LIVE-AUTH",
    "REL-LIVE-FUNCTIONALITY", "SEC-LIVE-INPUT-LENGTH", "SEC-LIVE-PROMPT-INJECTION", "SEC-LIVE-NO-STACK-TRACES",
    "PERF-LIVE-LATENCY", "SEC-LIVE-RATE-LIMIT",
)
REDIS_CHECKS = ("PERF-REDIS-TLS", "PERF-REDIS-HIT-RATE", "PERF-REDIS-EVICTION")
Tables = dict[str, dict[str, Any]]
GOOD: Tables = {
    "agent": {"name": "msft-agent", "log_level": "INFO"},
    "agent.security.auth": {"enabled": True, "mode": "jwt", "issuer": ISSUER, "audience": AUDIENCE},
    "agent.security.rate_limit": {"enabled": True, "requests_per_minute": 40, "tokens_per_minute": 100000,
                                  "per_user": True},
    "agent.security.validation": {"block_prompt_injection": True, "max_question_length": 200, "redact_pii": True},
    "agent.memory.cache": {"enabled": True, "ttl_seconds": 3600},
    "agent.observability": {"metrics_enabled": True, "metrics_exporter": "prometheus"},
}
DEPLOYMENT = """
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: msft-agent
    spec:
      replicas: 2
      selector:
        matchLabels: {app: msft-agent}
      template:
        metadata:
          labels: {app: msft-agent}
        spec:
          containers:
            - name: agent
              image: contoso.azurecr.io/msft-agent:1.4.2
              livenessProbe:
                httpGet: {path: /health/live, port: 8080}
              readinessProbe:
                httpGet: {path: /health/ready, port: 8080}
"""


def to_toml(tables: Mapping[str, Mapping[str, Any]]) -> str:
    lines: list[str] = []
    for table, values in tables.items():
        lines.append(f"[{table}]")
        lines += [f"{key} = {str(v).lower() if isinstance(v, bool) else json.dumps(v)}" for key, v in values.items()]
        lines.append("")
    return "\n".join(lines)


def changed(base: Tables, **tables: dict[str, Any]) -> Tables:
    """`base` with keys of some tables changed; `agent__security__auth=` names `agent.security.auth`."""
    result = {name: dict(values) for name, values in base.items()}
    for name, values in tables.items():
        result.setdefault(name.replace("__", "."), {}).update(values)
    return result


def ask(service: Service, token: str, question: str) -> httpx.Response:
    with service.client() as client:
        return client.post("/api/question", json={"question": question},
                           headers={"Authorization": f"Bearer {token}"})


def warm_cache(service: Service, token: str, misses: int, hits: int) -> None:
    questions = [f"what is readiness, part {uuid.uuid4().hex[:6]}?" for _ in range(misses)]
    for number in range(misses + hits):
        assert ask(service, token, questions[number % misses]).status_code == 200


# Generous limits: these tests run a subprocess server on a loaded 2-core machine, and assert what the checks
# find, not how fast this machine is. A test that is about a limit passes its own (a later flag wins).
GENEROUS = ("--readiness-timeout=30", "--readiness-health-max-seconds=30", "--readiness-latency-p95-seconds=60")


def live_run(run: Runner, files: Mapping[str, str], url: str, *extra: str) -> ReadinessRun:
    result = run(files, "-m", "live", *GENEROUS, "--readiness-url", url, *extra)
    assert "INTERNALERROR" not in result.output, result.output[-3000:]
    return result


def statuses(run: ReadinessRun, checks: tuple[str, ...] = SERVICE_CHECKS) -> dict[str, str]:
    return {check_id: run.status(check_id) for check_id in checks}


@pytest.fixture
def user(monkeypatch: pytest.MonkeyPatch, make_token: Callable[[str], str]) -> Callable[[str], str]:
    """Put a token for a new user in the env var `name` and return the token."""

    def set_user(name: str) -> str:
        token = make_token(f"user-{uuid.uuid4().hex[:10]}")
        monkeypatch.setenv(name, token)
        return token

    return set_user


@pytest.fixture(scope="module")
def good_https(launch_service: Callable[..., Service], make_token: Callable[[str], str]) -> Service:
    service = launch_service(to_toml(GOOD), https=True)
    warm_cache(service, make_token("warm-up"), misses=1, hits=19)
    return service


# --- the good service: every check passes --------------------------------------------------------


def test_every_live_check_passes_against_the_good_https_service(
    run_readiness: Runner, good_https: Service, user: Callable[[str], str]
) -> None:
    tokens = user("AGENT_TOKEN"), user("AGENT_TOKEN_2")
    files = {"config/agent.toml": to_toml(GOOD), "deployment/kubernetes/deployment.yaml": DEPLOYMENT}
    run = live_run(run_readiness, files, good_https.url, f"--readiness-ca-bundle={good_https.ca}",
                   "--readiness-auth-env", "AGENT_TOKEN", "--readiness-second-auth-env", "AGENT_TOKEN_2")
    assert statuses(run) == dict.fromkeys(SERVICE_CHECKS, "passed"), run.messages
    assert statuses(run, REDIS_CHECKS) == dict.fromkeys(REDIS_CHECKS, "unverified")
    assert run.result.ret == 101  # NOT VERIFIED: the critical Redis TLS check had no --readiness-redis-url
    assert "livenessProbe GETs /health/live" in run.junit  # the manifests were cross-checked
    assert "p95" in run.junit and "hit rate 9" in run.junit
    for token in tokens:
        assert token not in run.output and token not in run.junit


# --- each safeguard off: its check fails ---------------------------------------------------------


GAPS = changed(
    GOOD,
    agent={"debug_errors": True},
    agent__security__auth={"enabled": False},
    agent__security__rate_limit={"enabled": False},
    agent__security__validation={"block_prompt_injection": False, "max_question_length": 0},
    agent__observability={"metrics_enabled": False},
)


def test_the_gaps_service_fails_the_checks_of_its_missing_safeguards(
    run_readiness: Runner, launch_service: Callable[..., Service]
) -> None:
    service = launch_service(to_toml(GAPS))
    project = changed(GOOD, agent__security__rate_limit={"requests_per_minute": 10})
    run = live_run(run_readiness, {"config/agent.toml": to_toml(project)}, service.url)
    failed = {
        "SEC-LIVE-AUTH": "with no credentials the API answered 200, not 401/403",
        "SEC-LIVE-RATE-LIMIT": "15 requests (limit 10/min plus a margin of 5) and none got 429",
        "SEC-LIVE-INPUT-LENGTH": "a question of 201 characters (one over the limit) got 200",
        "SEC-LIVE-PROMPT-INJECTION": "5 of 5 well-known prompt injections got through",
        "SEC-LIVE-NO-STACK-TRACES": "a lone UTF-16 surrogate answered 500 showing Python traceback",
        "SEC-LIVE-TLS": "the service is served over plain HTTP",
        "OBS-LIVE-METRICS": "/metrics answered 404",
        "OBS-LIVE-KEY-METRICS": "/metrics answered 404",
        "PERF-LIVE-CACHE-HIT-RATE": "/metrics answered 404",
    }
    for check_id, message in failed.items():
        assert run.status(check_id) == "failed", (check_id, run.messages[check_id])
        assert message in run.messages[check_id], (check_id, run.messages[check_id])
    for check_id in ("REL-LIVE-HEALTH", "REL-LIVE-FUNCTIONALITY", "PERF-LIVE-KEEPALIVE", "OBS-LIVE-CORRELATION-ID"):
        assert run.status(check_id) == "passed", run.messages[check_id]
    assert run.result.ret == 1


def test_a_shared_rate_limit_a_down_dependency_a_cold_cache_and_wrong_probe_paths_fail(
    run_readiness: Runner, launch_service: Callable[..., Service], user: Callable[[str], str],
    make_token: Callable[[str], str],
) -> None:
    weakened = changed(GOOD, agent__security__rate_limit={"per_user": False}, agent__health={"down": ["llm"]})
    service = launch_service(to_toml(weakened))
    warm_cache(service, make_token("warm-up"), misses=4, hits=1)
    user("AGENT_TOKEN"), user("AGENT_TOKEN_2")
    files = {"config/agent.toml": to_toml(GOOD),
             "deployment/kubernetes/deployment.yaml": DEPLOYMENT.replace("/health/live", "/healthz")}
    run = live_run(run_readiness, files, service.url,
                   "--readiness-auth-env", "AGENT_TOKEN", "--readiness-second-auth-env", "AGENT_TOKEN_2")
    failed = {
        "SEC-LIVE-RATE-LIMIT": "the credential in $AGENT_TOKEN_2 was limited too: the limit is shared, not per user",
        "REL-LIVE-HEALTH": "the readiness endpoint answered 503",
        "REL-LIVE-HEALTH-COMPONENTS": "component llm reports 'unhealthy'",
        "PERF-LIVE-CACHE-HIT-RATE": "cache hit rate 20.0% is below the 80% target (hits 1, misses 4)",
    }
    for check_id, message in failed.items():
        assert run.status(check_id) == "failed", (check_id, run.messages[check_id])
        assert message in run.messages[check_id], (check_id, run.messages[check_id])
    lines = textwrap.dedent(DEPLOYMENT).lstrip("\n").splitlines()
    agent_line = next(n for n, line in enumerate(lines, 1) if line.strip() == "- name: agent")
    assert f"deployment/kubernetes/deployment.yaml:{agent_line}: no livenessProbe in the manifests GETs " \
        "/health/live" in run.messages["REL-LIVE-HEALTH"]


def test_api_key_auth_and_limits_the_config_does_not_give(
    run_readiness: Runner, launch_service: Callable[..., Service], service_secrets: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service = launch_service(to_toml(changed(GOOD, agent__security__auth={"mode": "api_key"})))
    monkeypatch.setenv("AGENT_KEY", service_secrets.api_key)
    project = {"agent.security.rate_limit": {"requests_per_minute": 40, "per_user": True}}
    run = live_run(run_readiness, {"config/agent.toml": to_toml(project)}, service.url,
                   "--readiness-auth-env", "AGENT_KEY", "--readiness-auth-scheme", "X-API-Key")
    assert run.status("SEC-LIVE-AUTH") == "passed", run.messages["SEC-LIVE-AUTH"]
    assert "with an unknown API key: 401" in run.junit
    expected = {
        "SEC-LIVE-RATE-LIMIT": "429 with Retry-After seen; per-user limiting unproven: no credential: "
                               "set --readiness-second-auth-env",
        "SEC-LIVE-INPUT-LENGTH": "config/agent.toml sets no agent.security.validation.max_question_length: set it, "
                                 "or give the limit with --readiness-max-question-length",
        "PERF-LIVE-CACHE-HIT-RATE": "no cache lookups counted yet",  # a fresh service, scraped before any probe
    }
    for check_id, reason in expected.items():
        assert run.status(check_id) == "unverified", (check_id, run.messages[check_id])
        assert reason in run.messages[check_id], (check_id, run.messages[check_id])
    assert service_secrets.api_key not in run.output + run.junit


def test_without_credentials_or_config_the_probes_that_need_them_are_unverified(
    run_readiness: Runner, good_https: Service
) -> None:
    run = live_run(run_readiness, {}, good_https.url, "--readiness-insecure")
    expected = {
        "SEC-LIVE-TLS": "TLS versions are fine, but the certificate was not verified (--readiness-insecure)",
        "SEC-LIVE-AUTH": "acceptance is unproven: no credential: set --readiness-auth-env",
        "REL-LIVE-FUNCTIONALITY": "needs an authenticated caller, the API answered 401",
        "SEC-LIVE-PROMPT-INJECTION": "needs an authenticated caller",
        "PERF-LIVE-LATENCY": "needs an authenticated caller",
        "SEC-LIVE-NO-STACK-TRACES": "turned away before reaching the handler",
        "SEC-LIVE-INPUT-LENGTH": "no readable agent config: set it, or give the limit with "
                                 "--readiness-max-question-length",
        "SEC-LIVE-RATE-LIMIT": "--readiness-requests-per-minute",
    }
    for check_id, reason in expected.items():
        assert run.status(check_id) == "unverified", (check_id, run.messages[check_id])
        assert reason in run.messages[check_id], (check_id, run.messages[check_id])
    for check_id in ("OBS-LIVE-METRICS", "REL-LIVE-HEALTH", "PERF-LIVE-KEEPALIVE", "OBS-LIVE-CORRELATION-ID"):
        assert run.status(check_id) == "passed", run.messages[check_id]


# --- TLS -----------------------------------------------------------------------------------------


def test_legacy_tls_and_an_untrusted_certificate_fail(
    run_readiness: Runner, launch_service: Callable[..., Service], good_https: Service
) -> None:
    legacy = launch_service(to_toml(GOOD), https=True, tls_min="1.0")
    run = live_run(run_readiness, {}, legacy.url, f"--readiness-ca-bundle={legacy.ca}", "-k", "tls_12")
    if tls_probe.local_support("TLSv1") is None:
        assert run.status("SEC-LIVE-TLS") == "failed"
        assert "the server accepts TLSv1 (negotiated TLSv1" in run.messages["SEC-LIVE-TLS"]
        assert "the server accepts TLSv1.1" in run.messages["SEC-LIVE-TLS"]
    else:  # this OpenSSL cannot offer TLS 1.0: the check must not pass
        assert run.status("SEC-LIVE-TLS") in ("failed", "unverified")

    untrusted = live_run(run_readiness, {}, good_https.url)  # no --readiness-ca-bundle
    assert untrusted.status("SEC-LIVE-TLS") == "failed"
    assert "the certificate does not verify for 127.0.0.1: unable to get local issuer certificate" in \
        untrusted.messages["SEC-LIVE-TLS"]
    assert untrusted.status("OBS-LIVE-METRICS") == "failed"
    assert "CERTIFICATE_VERIFY_FAILED" in untrusted.messages["OBS-LIVE-METRICS"]
    assert "set --readiness-ca-bundle" in untrusted.messages["OBS-LIVE-METRICS"]
    assert "not asked again" in untrusted.messages["REL-LIVE-HEALTH"]


# --- no target -----------------------------------------------------------------------------------


def test_without_a_url_nothing_is_sent_and_every_live_check_is_unverified(
    run_readiness: Runner, stub_server: Callable[..., StubServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    stub = stub_server({})
    monkeypatch.setenv("AGENT_TOKEN", "a-token-that-must-not-be-used")
    run = run_readiness({}, "-m", "live", "--readiness-metrics-url", f"{stub.url}/metrics",
                        "--readiness-auth-env", "AGENT_TOKEN")
    assert statuses(run, SERVICE_CHECKS + REDIS_CHECKS) == dict.fromkeys(SERVICE_CHECKS + REDIS_CHECKS, "unverified")
    assert "no live target: set --readiness-url" in run.messages["SEC-LIVE-AUTH"]
    assert "set --readiness-redis-url" in run.messages["PERF-REDIS-TLS"]
    assert stub.connections == 0


def test_an_invalid_url_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    from pytest_readiness.settings import Settings
    from pytest_readiness.sources.service.client import ProbeFailed, ServiceTarget

    with pytest.raises(ProbeFailed, match=r"'ftp://agent\.example\.com' is not an http"):
        ServiceTarget(Settings(project=tmp_path, url="ftp://agent.example.com"))


# --- broken targets ------------------------------------------------------------------------------


JSON = {"content-type": "application/json"}
MISBEHAVING = {
    "/health/live": (200, JSON, b'{"status": "alive"}'),
    "/health/ready": (200, JSON, b'{"status": "ready"}'),
    "/health": (200, {"content-type": "text/html"}, b"<html><body>all good</body></html>"),
    "/metrics": (200, {"content-type": "text/plain"}, b"# TYPE hits counter\nhits_total 3\nthis is not a metric\n"),
    "POST /api/question": (200, JSON, b'{"response": "hello"}'),
}


def test_misbehaving_servers_fail_each_check_with_what_they_got(
    run_readiness: Runner, stub_server: Callable[..., StubServer]
) -> None:
    stub = stub_server(MISBEHAVING)
    run = live_run(run_readiness, {}, stub.url, "--readiness-latency-p95-seconds", "0.000001",
                   "--readiness-health-max-seconds", "0.000001")
    expected = {
        "REL-LIVE-HEALTH": "more than 1e-06s (--readiness-health-max-seconds)",
        "OBS-LIVE-METRICS": f"{stub.url}/metrics:3: not valid Prometheus text",
        "REL-LIVE-HEALTH-COMPONENTS": "answered 200 text/html, not JSON",
        "PERF-LIVE-KEEPALIVE": "the server closed the connection after the first answer",
        "OBS-LIVE-CORRELATION-ID": "neither the X-Request-ID nor the traceparent trace id came back",
        "REL-LIVE-FUNCTIONALITY": "no non-empty 'answer' in the answer (got ['response']",
        "PERF-LIVE-LATENCY": "is above the 1e-06s alert threshold",
    }
    for check_id, message in expected.items():
        assert run.status(check_id) == "failed", (check_id, run.messages[check_id])
        assert message in run.messages[check_id], (check_id, run.messages[check_id])

    def limited(count: int) -> tuple[int, dict[str, str], bytes]:
        return (429, JSON, b'{"error": "slow down"}') if count > 3 else (200, JSON, b'{"answer": "hi"}')

    no_retry_after = stub_server({"POST /api/question": limited})
    run = live_run(run_readiness, {}, no_retry_after.url, "--readiness-requests-per-minute", "3", "-k", "rate_limit")
    assert run.status("SEC-LIVE-RATE-LIMIT") == "failed"
    assert "the 429 answer carries no Retry-After header" in run.messages["SEC-LIVE-RATE-LIMIT"]
    assert len(no_retry_after.requests) == 4


def test_unreachable_targets_fail_every_check_without_waiting_on_each(
    run_readiness: Runner, silent_port: int
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{probe.getsockname()[1]}"  # bound but not listening
        run = live_run(run_readiness, {}, refused)
    assert statuses(run) == dict.fromkeys(SERVICE_CHECKS, "failed")
    assert f"cannot connect to {refused}" in run.messages["OBS-LIVE-METRICS"]
    assert "not asked again in this run" in run.messages["SEC-LIVE-AUTH"]

    run = live_run(run_readiness, {}, f"http://127.0.0.1:{silent_port}", "--readiness-timeout", "0.3")
    assert statuses(run) == dict.fromkeys(SERVICE_CHECKS, "failed")
    assert "no answer within 0.3s" in run.messages["OBS-LIVE-METRICS"]
    assert "stopped answering: 2 requests timed out" in run.messages["SEC-LIVE-RATE-LIMIT"]


def test_the_request_budget_bounds_the_whole_run(
    run_readiness: Runner, stub_server: Callable[..., StubServer]
) -> None:
    healthy = (200, JSON, b'{"status": "ok", "components": {"llm": {"status": "ok"}}}')
    metrics = (200, {"content-type": "text/plain"}, b"# TYPE x counter\nx_total 1\n")
    stub = stub_server({"/health/live": healthy, "/health/ready": healthy, "/health": healthy, "/metrics": metrics,
                        "POST /api/question": (401, JSON, b'{"error": "unauthorized"}')})
    run = live_run(run_readiness, {}, stub.url, "--readiness-request-budget", "5")
    assert len(stub.requests) <= 5
    exhausted = [c for c in SERVICE_CHECKS if "request budget of 5 exhausted" in run.messages[c]]
    assert "PERF-LIVE-KEEPALIVE" in exhausted and "SEC-LIVE-AUTH" in exhausted
    assert all(run.status(c) == "unverified" for c in exhausted)

