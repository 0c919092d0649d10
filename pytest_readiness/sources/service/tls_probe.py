"""TLS handshakes pinned to one protocol version each, with the `ssl` module directly.

OpenSSL 3 at its default security level will not even offer TLS 1.0 or 1.1 as a client, so a naive
probe sees every server "refuse" them. The legacy attempts here lower the client to security level 0
(`DEFAULT:@SECLEVEL=0`) and pin minimum and maximum version, so the old versions are really offered.
When the local OpenSSL cannot offer a version at all, the attempt says so (`offered=False`) instead
of counting as a refusal. Certificate validity comes from a separate, verifying TLS 1.2+ handshake.
"""

from __future__ import annotations

import socket
import ssl
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime

LEGACY_CIPHERS = "DEFAULT:@SECLEVEL=0"
VERSIONS = {
    "TLSv1": ssl.TLSVersion.TLSv1,
    "TLSv1.1": ssl.TLSVersion.TLSv1_1,
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
    "TLSv1.3": ssl.TLSVersion.TLSv1_3,
}
LEGACY = ("TLSv1", "TLSv1.1")
MODERN = ("TLSv1.2", "TLSv1.3")
_HAS = {"TLSv1": ssl.HAS_TLSv1, "TLSv1.1": ssl.HAS_TLSv1_1, "TLSv1.2": ssl.HAS_TLSv1_2, "TLSv1.3": ssl.HAS_TLSv1_3}
# What a server that will not speak the offered version answers: an alert, a version it prefers, or
# a closed connection. Any other failure is the local client giving up (e.g. the server's signature
# algorithm is below the client's security level), which proves nothing about the server.
_SERVER_REFUSALS = ("UNSUPPORTED_PROTOCOL", "WRONG_VERSION_NUMBER", "UNEXPECTED_EOF_WHILE_READING")
_ALERT_PREFIXES = ("TLSV1_ALERT_", "SSLV3_ALERT_", "TLSV13_ALERT_")


@dataclass(frozen=True)
class Attempt:
    version: str
    conclusive: bool  # False: the local side could not offer the version or gave up by itself
    accepted: bool
    detail: str  # negotiated cipher, or why the handshake did not complete

    def __str__(self) -> str:
        if not self.conclusive:
            return f"{self.version}: inconclusive, the local OpenSSL could not offer it ({self.detail})"
        return f"{self.version}: {'accepted' if self.accepted else 'refused'} ({self.detail})"


@dataclass(frozen=True)
class Certificate:
    valid: bool
    detail: str  # subject and expiry, or the verification error
    days_left: int | None = None


def local_support(version: str, ciphers: str = LEGACY_CIPHERS) -> str | None:
    """Why this Python/OpenSSL cannot offer `version` (None when it can, as far as can be told offline)."""
    if not _HAS[version]:
        return f"ssl.HAS_{version.replace('.', '_')} is false: OpenSSL was built without it"
    try:
        context = pinned_context(version, ciphers)
    except (ValueError, ssl.SSLError) as exc:
        return f"cannot pin {version}: {exc}"
    if version in LEGACY and not any(c["protocol"] in ("SSLv3", "TLSv1.0", "TLSv1") for c in context.get_ciphers()):
        return f"no cipher usable with {version} in {ciphers!r}"
    return None


def pinned_context(version: str, ciphers: str = LEGACY_CIPHERS) -> ssl.SSLContext:
    """A client context that offers exactly `version`; certificates are not checked (only the protocol is)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = VERSIONS[version]
        context.maximum_version = VERSIONS[version]
    if version in LEGACY:
        context.set_ciphers(ciphers)
    return context


def attempt(host: str, port: int, version: str, *, timeout: float, ciphers: str = LEGACY_CIPHERS) -> Attempt:
    """One handshake that offers only `version`. Connection errors (refused, timeout) propagate as OSError."""
    unsupported = local_support(version, ciphers)
    if unsupported:
        return Attempt(version, conclusive=False, accepted=False, detail=unsupported)
    context = pinned_context(version, ciphers)
    with socket.create_connection((host, port), timeout=timeout) as raw:
        try:
            with context.wrap_socket(raw, server_hostname=host) as tls:
                cipher = tls.cipher()
                negotiated = tls.version() or "?"
                accepted = negotiated == version
                detail = f"negotiated {negotiated} {cipher[0] if cipher else ''}".strip()
                return Attempt(version, conclusive=True, accepted=accepted, detail=detail)
        except ssl.SSLError as exc:
            reason = str(getattr(exc, "reason", None) or exc)
            refused = reason in _SERVER_REFUSALS or reason.startswith(_ALERT_PREFIXES)
            return Attempt(version, conclusive=refused, accepted=False, detail=reason)
        except (ConnectionResetError, BrokenPipeError) as exc:
            return Attempt(version, True, False, f"connection closed by the server: {exc or type(exc).__name__}")


def certificate(host: str, port: int, *, timeout: float, cafile: str | None) -> Certificate:
    """A verifying TLS 1.2+ handshake: the chain, the host name and the validity dates are checked."""
    context = ssl.create_default_context(cafile=cafile)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    with socket.create_connection((host, port), timeout=timeout) as raw:
        try:
            with context.wrap_socket(raw, server_hostname=host) as tls:
                peer = tls.getpeercert() or {}
        except ssl.SSLCertVerificationError as exc:
            return Certificate(False, exc.verify_message or str(exc))
        except ssl.SSLError as exc:
            return Certificate(False, f"verifying handshake failed: {getattr(exc, 'reason', None) or exc}")
    subject = ", ".join("=".join(pair) for rdn in peer.get("subject", ()) for pair in rdn)
    not_after = peer.get("notAfter")
    if not isinstance(not_after, str):
        return Certificate(True, f"subject {subject or '(none)'}")
    expires = datetime.fromtimestamp(ssl.cert_time_to_seconds(not_after), tz=UTC)
    days = (expires - datetime.now(tz=UTC)).days
    return Certificate(True, f"subject {subject or '(none)'}, valid until {expires:%Y-%m-%d} ({days} days)", days)
