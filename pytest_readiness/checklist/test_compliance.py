"""Compliance: the seed's Data Handling and Audit & Governance sections. Retention and encryption in transit
are read from the agent config and the manifests; the rest are attestations.

Checks: COMP-DATA-RETENTION, COMP-ENCRYPTION-IN-TRANSIT.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from pytest_readiness import Evidence, check, unverified
from pytest_readiness.results import Location
from pytest_readiness.secrets import mask_in_text
from pytest_readiness.sources.common import optional_fixture, positive_int
from pytest_readiness.sources.kube import edge
from pytest_readiness.sources.kube.model import KubeObject, ObjectSet
from pytest_readiness.sources.repo.agent_config import AgentConfig
from pytest_readiness.sources.repo.config_keys import PERSISTENCE

RETENTION_KEYS = (f"{PERSISTENCE}.retention_days", "agent.data.retention_days")
PLAIN_SCHEMES = frozenset({"http", "redis", "ws", "amqp", "mqtt", "ftp", "ldap"})
TLS_SCHEMES = frozenset({"https", "rediss", "wss", "amqps", "mqtts", "ftps", "ldaps"})
TLS_SWITCHES = frozenset({"ssl", "tls", "use_ssl", "use_tls", "ssl_enabled", "tls_enabled", "encryption_in_transit",
                          "verify_ssl", "ssl_verify", "tls_verify", "verify_tls"})
LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
_URL = re.compile(r"^\s*(?P<scheme>[a-z][a-z0-9+.-]*)://(?:[^@/\s]*@)?(?P<host>\[[^\]]+\]|[^/:?#\s]+)", re.IGNORECASE)
_PLAIN_STORAGE = re.compile(r"DefaultEndpointsProtocol=http;", re.IGNORECASE)


@check("COMP-DATA-RETENTION")
def test_data_retention(agent_config: AgentConfig, evidence: Evidence) -> None:
    persisted = agent_config.get(f"{PERSISTENCE}.enabled") is True
    evidence.add(agent_config.describe(f"{PERSISTENCE}.enabled"))
    present = [key for key in RETENTION_KEYS if agent_config.has(key)]
    if not persisted and not present:
        unverified(f"{agent_config.describe(f'{PERSISTENCE}.enabled')} and no [agent.data] retention_days: if the "
                   "service keeps data anywhere, set its retention period in the config")
    for key in present:
        evidence.add(agent_config.describe(key))
        if not positive_int(agent_config.get(key)):
            evidence.finding(f"{key} = {agent_config.get(key)!r}: retention must be a positive number of days "
                             "(0 or less keeps data forever)", agent_config.where(key))
    if persisted and not any(positive_int(agent_config.get(key)) for key in RETENTION_KEYS):
        evidence.finding(f"sessions are persisted (backend {agent_config.get(f'{PERSISTENCE}.backend')!r}) with no "
                         f"retention period: set {RETENTION_KEYS[0]}", agent_config.where(f"{PERSISTENCE}.enabled"))
    evidence.fail_if_findings("persisted data has no finite retention period")


# --- encryption in transit ----------------------------------------------------------------------

def _internal(host: str) -> bool:
    """Loopback, or a cluster-internal service name (single label or *.svc[.cluster.local])."""
    host = host.lower()
    return host in LOOPBACK or "." not in host or host.endswith((".svc", ".svc.cluster.local", ".cluster.local"))


def _plain_url_problem(value: str) -> str | None:
    if _PLAIN_STORAGE.search(value):
        return "a storage connection string with DefaultEndpointsProtocol=http"
    match = _URL.match(value)
    if match is None or match.group("scheme").lower() not in PLAIN_SCHEMES:
        return None
    if _internal(match.group("host")):
        return None
    return f"{match.group('scheme')}:// to {match.group('host')} is unencrypted"


def _config_values(node: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield from _config_values(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(node, list):
        for item in node:
            yield from _config_values(item, prefix)
    else:
        yield prefix, node


def _config_problems(agent_config: AgentConfig, evidence: Evidence) -> None:
    for key, value in _config_values(agent_config.data):
        name = key.rpartition(".")[2].lower()
        url = _URL.match(value) if isinstance(value, str) else None
        if url and url.group("scheme").lower() in PLAIN_SCHEMES | TLS_SCHEMES:
            evidence.add(f"{key} = {mask_in_text(value)}", agent_config.where(key))
            problem = _plain_url_problem(value)
            if problem:
                evidence.finding(f"{key}: {problem}", agent_config.where(key))
        elif name in TLS_SWITCHES and value is False:
            evidence.finding(f"{key} = false turns TLS (or its verification) off",
                             agent_config.where(key))
        elif name == "ssl_cert_reqs" and str(value).lower() == "none":
            evidence.finding(f"{key} = {value!r} accepts any certificate", agent_config.where(key))


def _tls_covers(pattern: str, host: str) -> bool:
    return pattern == host or (pattern.startswith("*.") and host.endswith(pattern[1:]) and host.count(".") ==
                               pattern.count("."))


def _ingress_problems(ingress: KubeObject) -> Iterator[str]:
    tls = [entry for entry in ingress.spec.get("tls") or [] if isinstance(entry, Mapping)]
    if not tls:
        yield "has no tls section: it serves plain HTTP"
        return
    covered = [str(h) for entry in tls for h in entry.get("hosts") or []]
    for rule in ingress.spec.get("rules") or []:
        host = rule.get("host")
        if host and covered and not any(_tls_covers(pattern, str(host)) for pattern in covered):
            yield f"host {host} is not in its tls hosts ({', '.join(covered)}): it is served over plain HTTP"
    if str(ingress.annotations.get("nginx.ingress.kubernetes.io/ssl-redirect", "")).lower() == "false":
        yield "sets nginx.ingress.kubernetes.io/ssl-redirect: \"false\", so plain HTTP is served too"


def _gateway_problems(gateway: KubeObject) -> Iterator[str]:
    protocols = {str(listener.get("protocol", "")).upper() for listener in gateway.spec.get("listeners") or []}
    if protocols and not protocols & {"HTTPS", "TLS"}:
        yield f"has only {', '.join(sorted(protocols))} listeners: nothing is served over TLS"


def _manifest_values(objects: ObjectSet) -> Iterator[tuple[str, str, Location]]:
    """(what, value, where) of ConfigMap data and literal container env values."""
    for cm in objects.of_kind("ConfigMap"):
        for key, value in (cm.body.get("data") or {}).items():
            yield f"{cm.ref} {key}", str(value), cm.location
    for workload in objects.workloads():
        for container in workload.containers + workload.init_containers:
            for var in container.spec.get("env") or []:
                if "value" in var:
                    yield f"{container.ref} env {var.get('name')}", str(var["value"]), container.location


def _manifest_problems(objects: ObjectSet, evidence: Evidence) -> None:
    for ingress in objects.of_kind("Ingress"):
        evidence.add(f"{ingress.ref}: tls hosts "
                     f"{[h for t in ingress.spec.get('tls') or [] for h in (t or {}).get('hosts') or []]}",
                     ingress.location)
        for problem in _ingress_problems(ingress):
            evidence.finding(f"{ingress.ref} {problem}", ingress.location)
    for gateway in objects.of_kind("Gateway"):
        for problem in _gateway_problems(gateway):
            evidence.finding(f"{gateway.ref} {problem}", gateway.location)
    for service in edge.exposed_services(objects):
        exposed = edge.ports(service)
        if exposed and all(p.plain_http for p in exposed) and not edge.lb_terminates_tls(service):
            evidence.finding(f"{service.ref} ({service.spec.get('type')}) exposes only plain HTTP "
                             f"({', '.join(map(str, exposed))}) with no Ingress or Gateway TLS in front",
                             service.location)
    for what, value, where in _manifest_values(objects):
        plain = _plain_url_problem(value.strip())
        if plain:
            evidence.finding(f"{what}: {plain}", where)


@check("COMP-ENCRYPTION-IN-TRANSIT")
def test_encryption_in_transit(request: pytest.FixtureRequest, evidence: Evidence) -> None:
    agent_config: AgentConfig | None = optional_fixture(request, "agent_config")[0]
    objects: ObjectSet | None = optional_fixture(request, "manifests")[0]
    if agent_config is None and objects is None:
        unverified("neither the agent config nor Kubernetes manifests are present to show how the service connects")
    if agent_config is not None:
        _config_problems(agent_config, evidence)
    if objects is not None:
        _manifest_problems(objects, evidence)
    evidence.fail_if_findings("data travels unencrypted")
    if objects is None:
        unverified("the agent config's endpoints use TLS, but without manifests the Ingress TLS cannot be checked: "
                   "set --readiness-manifests")
    if agent_config is None:
        evidence.add("no agent config in the repo: decided from the manifests (edge, ConfigMaps, env values), "
                     "which name no unencrypted endpoint")

