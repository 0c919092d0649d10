"""The TLS probe against real HTTPS servers: the reference service with TLS 1.2 minimum and with TLS 1.0."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from pytest_readiness.sources.service import tls_probe

if TYPE_CHECKING:
    from conftest import Service

pytestmark = pytest.mark.slow
CONFIG = '[agent.security.auth]\nenabled = false\n'
LEGACY_OFFERABLE = all(tls_probe.local_support(v) is None for v in tls_probe.LEGACY)


PROBE_TIMEOUT = 30  # seconds: generous, the servers run as subprocesses on a loaded machine


def port_of(service: Service) -> int:
    return int(service.url.rsplit(":", 1)[1])


@pytest.fixture(scope="module")
def modern(launch_service: Callable[..., Service]) -> Service:
    return launch_service(CONFIG, https=True)


@pytest.fixture(scope="module")
def legacy(launch_service: Callable[..., Service]) -> Service:
    return launch_service(CONFIG, https=True, tls_min="1.0")


@pytest.mark.parametrize("version", tls_probe.MODERN)
def test_modern_versions_are_accepted_by_both_servers(modern: Service, legacy: Service, version: str) -> None:
    for service in (modern, legacy):
        result = tls_probe.attempt("127.0.0.1", port_of(service), version, timeout=PROBE_TIMEOUT)
        assert (result.conclusive, result.accepted) == (True, True), result
        assert result.detail.startswith(f"negotiated {version} ")


@pytest.mark.skipif(not LEGACY_OFFERABLE, reason="this OpenSSL cannot offer TLS 1.0/1.1 even at security level 0")
@pytest.mark.parametrize("version", tls_probe.LEGACY)
def test_legacy_versions_are_really_offered(modern: Service, legacy: Service, version: str) -> None:
    refused = tls_probe.attempt("127.0.0.1", port_of(modern), version, timeout=PROBE_TIMEOUT)
    assert (refused.conclusive, refused.accepted) == (True, False), refused
    accepted = tls_probe.attempt("127.0.0.1", port_of(legacy), version, timeout=PROBE_TIMEOUT)
    assert (accepted.conclusive, accepted.accepted) == (True, True), accepted
    assert f"negotiated {version} " in accepted.detail


def test_a_naive_probe_never_counts_as_a_refusal(legacy: Service) -> None:
    """At OpenSSL 3's default security level the client gives up by itself; that proves nothing."""
    naive = tls_probe.attempt("127.0.0.1", port_of(legacy), "TLSv1", timeout=PROBE_TIMEOUT, ciphers="DEFAULT")
    assert naive.accepted or not naive.conclusive, naive


def test_a_cipher_list_without_legacy_suites_is_reported_as_not_offered(legacy: Service) -> None:
    result = tls_probe.attempt("127.0.0.1", port_of(legacy), "TLSv1", timeout=PROBE_TIMEOUT, ciphers="ECDHE+AESGCM")
    assert not result.conclusive and not result.accepted
    assert "no cipher usable with TLSv1" in str(result)
    assert "inconclusive" in str(result)


def test_local_support_agrees_with_the_ssl_module() -> None:
    for version, built_in in (("TLSv1", ssl.HAS_TLSv1), ("TLSv1.1", ssl.HAS_TLSv1_1)):
        reason = tls_probe.local_support(version)
        if not built_in:
            assert reason is not None and "built without it" in reason
    assert tls_probe.local_support("TLSv1.2") is None


def test_certificate_verifies_with_its_ca_only(modern: Service) -> None:
    trusted = tls_probe.certificate("127.0.0.1", port_of(modern), timeout=PROBE_TIMEOUT, cafile=str(modern.ca))
    assert trusted.valid and trusted.days_left is not None and trusted.days_left > 365
    assert "valid until" in trusted.detail
    untrusted = tls_probe.certificate("127.0.0.1", port_of(modern), timeout=PROBE_TIMEOUT, cafile=None)
    assert not untrusted.valid
    assert "unable to get local issuer certificate" in untrusted.detail


def test_a_refused_port_raises_oserror() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
        with pytest.raises(OSError):
            tls_probe.attempt("127.0.0.1", port, "TLSv1.2", timeout=2)
