"""What the image checks decide, kept out of the check bodies: users, the vulnerability gate, ports."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from pytest_readiness.results import Location
from pytest_readiness.secrets import SecretFinding, scan_text
from pytest_readiness.sources.image.model import Image
from pytest_readiness.sources.image.options import SEVERITIES
from pytest_readiness.sources.image.scan import Accepted, Vulnerability
from pytest_readiness.sources.kube.model import Container

ROOT_NAMES = frozenset({"root", "0"})
PROBES = ("livenessProbe", "readinessProbe", "startupProbe")


def user_part(user: str) -> str:
    """`agent` of `agent:agent`, `0` of `0:0`; "" when the image sets no User (root)."""
    return user.split(":", 1)[0].strip()


def is_root(user: str) -> bool:
    name = user_part(user)
    return not name or name in ROOT_NAMES or (name.isdigit() and int(name) == 0)


# --- secrets in the image's metadata --------------------------------------------------------------

def metadata_secrets(image: Image) -> Iterator[tuple[Location, SecretFinding]]:
    """Env, labels and history `created_by` lines through the repository's secret scanner."""
    for name, value in image.env.items():
        for finding in scan_text(f"{name}={value}", "Env"):
            yield image.where(f"Env {name}"), finding
    for name, value in image.labels.items():
        for finding in scan_text(f"{name}={value}", "Labels"):
            yield image.where(f"Labels {name}"), finding
    for entry in image.history:
        text = entry.created_by.replace("/bin/sh -c #(nop) ", "").strip()
        for finding in scan_text(_history_lines(text), "history"):
            yield Location(f"image {image.name} history step {entry.index}"), finding


def _history_lines(text: str) -> str:
    """A BuildKit `RUN |2 TOKEN=abc OTHER=x /bin/sh -c ...` line with its build args one per line."""
    if text.startswith("RUN |"):
        words = text.split()
        count = words[1][1:]
        args = words[2 : 2 + int(count)] if count.isdigit() else []
        return "\n".join([*args, text])
    return text


# --- the vulnerability gate -----------------------------------------------------------------------

def at_or_above(threshold: str) -> frozenset[str]:
    return frozenset(SEVERITIES[: SEVERITIES.index(threshold) + 1])


def unique(vulnerabilities: list[Vulnerability]) -> list[Vulnerability]:
    """One entry per (id, package, installed version): Trivy lists a finding once per target."""
    seen: dict[tuple[str, str, str], Vulnerability] = {}
    for v in vulnerabilities:
        seen.setdefault((v.id, v.package, v.installed), v)
    return sorted(seen.values(), key=lambda v: (SEVERITIES.index(v.severity), v.id, v.package))


@dataclass
class Gate:
    failing: list[Vulnerability]
    unfixed_ignored: list[Vulnerability]
    accepted: list[tuple[Vulnerability, Accepted]]
    expired: list[tuple[Vulnerability, Accepted]]


def gate(found: list[Vulnerability], threshold: str, ignore_unfixed: bool, accepted: list[Accepted],
         today: date) -> Gate:
    result = Gate([], [], [], [])
    by_id = {a.id: a for a in accepted}
    for v in unique(found):
        if v.severity not in at_or_above(threshold):
            continue
        if ignore_unfixed and not v.fixed:
            result.unfixed_ignored.append(v)
            continue
        entry = by_id.get(v.id)
        if entry is not None and (entry.expires is None or entry.expires >= today):
            result.accepted.append((v, entry))
            continue
        if entry is not None:
            result.expired.append((v, entry))
        result.failing.append(v)
    return result


# --- ports and probes -----------------------------------------------------------------------------

def container_ports(container: Container) -> dict[str, tuple[int, str]]:
    """Declared ports by name (and by number, as a string): (containerPort, protocol)."""
    ports: dict[str, tuple[int, str]] = {}
    for port in container.spec.get("ports") or []:
        if isinstance(port, Mapping) and isinstance(port.get("containerPort"), int):
            value = (int(port["containerPort"]), str(port.get("protocol") or "TCP").lower())
            ports[str(value[0])] = value
            if port.get("name"):
                ports[str(port["name"])] = value
    return ports


def probe_ports(container: Container) -> Iterator[tuple[str, Any]]:
    """(probe name, port as written) of each httpGet, tcpSocket or grpc probe."""
    for name in PROBES:
        probe = container.spec.get(name)
        if not isinstance(probe, Mapping):
            continue
        for handler in ("httpGet", "tcpSocket", "grpc"):
            action = probe.get(handler)
            if isinstance(action, Mapping) and "port" in action:
                yield name, action["port"]


def has_probes(container: Container) -> bool:
    return any(isinstance(container.spec.get(name), Mapping) for name in PROBES[:2])
