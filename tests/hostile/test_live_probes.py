"""Live probes against a misbehaving server on loopback: every probe ends within its overall deadline,
reads no more than the size cap, and says which limit it hit."""

from __future__ import annotations

import resource
import ssl
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pytest_readiness.settings import Settings
from pytest_readiness.sources.service import tls_probe
from pytest_readiness.sources.service.client import ProbeFailed, ServiceTarget
from tests.hostile.conftest import HostileRun
from tests.hostile.misbehaving import Misbehaving

TIMEOUT = 1.0  # per read
DEADLINE = 3.0  # per probe
SLACK = 15.0  # a loaded 2-core machine: generous, and still far below "forever"
CAP_MIB = 1.0


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[Misbehaving]:
    misbehaving = Misbehaving(request.param)
    yield misbehaving
    misbehaving.stop()


def target_for(server: Misbehaving, tmp_path: Path, **options: object) -> ServiceTarget:
    values: dict[str, object] = {"project": tmp_path, "url": server.url, "timeout": TIMEOUT,
                                 "probe_deadline": DEADLINE, "max_response_mib": CAP_MIB, **options}
    return ServiceTarget(Settings(**values))  # type: ignore[arg-type]


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# mode: (probe, what the failure says)
FAILURES: dict[str, tuple[str, str]] = {
    "drip-headers": ("request", "no complete answer within the probe deadline of 3s (--readiness-probe-deadline)"),
    "drip-body": ("request", "no complete answer within the probe deadline of 3s"),
    "stall": ("request", "no answer within 1s (--readiness-timeout)"),
    "huge-length": ("request", "the answer declares 10737418240 bytes, more than the 1 MiB read "
                               "(--readiness-max-response-mib); not read"),
    "endless-chunks": ("request", "the answer is larger than the 1 MiB read (--readiness-max-response-mib); "
                                  "stopped reading"),
    "endless-metrics": ("metrics", "the answer is larger than the 1 MiB read"),
    "garbage-status": ("request", "GET http://127.0.0.1:"),
    "tls-stall": ("request", "no connection within 1s"),
}


def _probe(target: ServiceTarget, probe: str) -> object:
    return target.metrics() if probe == "metrics" else target.request("GET", "/health")


@pytest.mark.slow
@pytest.mark.parametrize("server", list(FAILURES), indirect=True)
def test_a_misbehaving_server_fails_the_probe_within_its_deadline_and_memory(
        server: Misbehaving, tmp_path: Path) -> None:
    probe, says = FAILURES[server.mode]
    target = target_for(server, tmp_path)
    peak_before = peak_rss_mib()
    started = time.monotonic()
    try:
        with pytest.raises(ProbeFailed) as failed:
            _probe(target, probe)
    finally:
        target.close()
    elapsed = time.monotonic() - started

    assert says in str(failed.value), str(failed.value)
    assert len(str(failed.value)) < 600
    assert elapsed < DEADLINE + SLACK
    assert peak_rss_mib() - peak_before < 64  # the cap is 1 MiB: no gigabytes read into memory


@pytest.mark.slow
@pytest.mark.parametrize("server", ["drip-headers"], indirect=True)
def test_a_server_that_keeps_dripping_is_not_asked_again(server: Misbehaving, tmp_path: Path) -> None:
    target = target_for(server, tmp_path)
    for _ in range(2):
        with pytest.raises(ProbeFailed):
            target.request("GET", "/health")
    started = time.monotonic()
    with pytest.raises(ProbeFailed, match="stopped answering: 2 requests timed out"):
        target.request("GET", "/metrics")
    target.close()
    assert time.monotonic() - started < 1


@pytest.mark.parametrize("server", ["redirect-loop"], indirect=True)
def test_a_redirect_loop_is_one_answer_never_followed(server: Misbehaving, tmp_path: Path) -> None:
    target = target_for(server, tmp_path)
    answer = target.request("GET", "/health")
    target.close()
    assert answer.status == 302
    assert target.sent == 1 and server.connections == 1


@pytest.mark.slow
@pytest.mark.parametrize("server", ["tls-stall"], indirect=True)
def test_a_tls_handshake_that_stalls_ends_the_tls_probe_in_time(server: Misbehaving) -> None:
    started = time.monotonic()
    with pytest.raises(OSError):
        tls_probe.attempt("127.0.0.1", server.port, "TLSv1.2", timeout=TIMEOUT)
    with pytest.raises((OSError, ssl.SSLError)):
        tls_probe.certificate("127.0.0.1", server.port, timeout=TIMEOUT, cafile=None)
    assert time.monotonic() - started < 2 * TIMEOUT + SLACK


@pytest.mark.slow
@pytest.mark.parametrize("server", ["drip-body"], indirect=True)
def test_a_readiness_run_against_a_dripping_service_ends_and_is_not_ready(
        server: Misbehaving, hostile_run: Callable[..., HostileRun]) -> None:
    started = time.monotonic()
    run = hostile_run(f"--readiness-url={server.url}", "--readiness-timeout=1", "--readiness-probe-deadline=2",
                      "-m", "live", timeout=300)
    elapsed = time.monotonic() - started

    assert run.result.ret == 1, run.output[-3000:]
    assert run.ready is False
    assert "probe deadline of 2s" in run.output
    assert "Traceback" not in run.output and "INTERNALERROR" not in run.output
    assert elapsed < 240
