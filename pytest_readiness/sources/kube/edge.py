"""How traffic enters the cluster according to the manifests: Ingresses, Gateways (Gateway API, Istio),
OpenShift Routes and Services of type LoadBalancer or NodePort, and whether each shows TLS."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pytest_readiness.sources.kube.model import KubeObject, ObjectSet

EXPOSED_TYPES = ("LoadBalancer", "NodePort")
TLS_PORTS = frozenset({443, 8443, 9443, 6443})
PLAIN_HTTP_PORTS = frozenset({80, 8000, 8080, 8081, 3000, 5000, 8888, 9000, 4000, 5173})
_TLS_NAME = re.compile(r"https|tls|ssl|grpcs|wss", re.IGNORECASE)
_HTTP_NAME = re.compile(r"^(?:http|http2|h2c|web|grpc|ws|api)(?:[-_]|$)|^http", re.IGNORECASE)
# A load balancer that terminates TLS itself, given a certificate
LB_TLS_ANNOTATIONS = ("service.beta.kubernetes.io/aws-load-balancer-ssl-cert",
                      "service.beta.kubernetes.io/oci-load-balancer-ssl-ports",
                      "service.beta.kubernetes.io/do-loadbalancer-certificate-id",
                      "service.beta.kubernetes.io/linode-loadbalancer-default-protocol")
INTERNAL_LB_ANNOTATIONS = {
    "service.beta.kubernetes.io/azure-load-balancer-internal": "true",
    "networking.gke.io/load-balancer-type": "internal",
    "cloud.google.com/load-balancer-type": "internal",
    "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
}


@dataclass(frozen=True)
class ExposedPort:
    port: Any
    name: str
    app_protocol: str

    @property
    def tls(self) -> bool:
        return self.port in TLS_PORTS or bool(_TLS_NAME.search(f"{self.name} {self.app_protocol}"))

    @property
    def plain_http(self) -> bool:
        if self.tls:
            return False
        return bool(_HTTP_NAME.search(self.name) or _HTTP_NAME.search(self.app_protocol)) or (
            self.port in PLAIN_HTTP_PORTS)

    def __str__(self) -> str:
        return f"{self.port}" + (f" ({self.name})" if self.name else "")


def ports(service: KubeObject) -> list[ExposedPort]:
    found = []
    for port in service.spec.get("ports") or []:
        if isinstance(port, Mapping):
            found.append(ExposedPort(port.get("port"), str(port.get("name") or ""), str(port.get("appProtocol") or "")))
    return found


def is_internal(service: KubeObject) -> bool:
    return any(str(service.annotations.get(key, "")).lower() == value for key, value in INTERNAL_LB_ANNOTATIONS.items())


def lb_terminates_tls(service: KubeObject) -> str | None:
    return next((key for key in LB_TLS_ANNOTATIONS if service.annotations.get(key)), None)


def _backend_services(objects: ObjectSet) -> set[str]:
    """Names of the Services an Ingress, HTTPRoute or Route sends traffic to."""
    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            service = node.get("service")
            if isinstance(service, Mapping) and service.get("name"):
                names.add(str(service["name"]))
            if node.get("serviceName"):
                names.add(str(node["serviceName"]))
            if node.get("kind", "Service") == "Service" and "port" in node and node.get("name"):
                names.add(str(node["name"]))  # Gateway API backendRefs
            if isinstance(node.get("to"), Mapping) and node["to"].get("name"):
                names.add(str(node["to"]["name"]))  # OpenShift Route
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for edge in objects.of_kind("Ingress", "HTTPRoute", "GRPCRoute", "Route", "VirtualService"):
        walk(edge.spec)
    return names


def exposed_services(objects: ObjectSet) -> Iterator[KubeObject]:
    """LoadBalancer and NodePort Services reachable from outside that no Ingress or route fronts."""
    behind = _backend_services(objects)
    for service in objects.of_kind("Service"):
        if service.spec.get("type") in EXPOSED_TYPES and not is_internal(service) and service.name not in behind:
            yield service


def gateways(objects: ObjectSet) -> list[KubeObject]:
    return [g for g in objects.of_kind("Gateway") if g.api_version.startswith(
        ("gateway.networking.k8s.io/", "networking.istio.io/"))]


def gateway_tls(gateway: KubeObject) -> tuple[list[str], list[str]]:
    """(listeners with TLS, listeners without) of a Gateway API or Istio Gateway."""
    tls: list[str] = []
    plain: list[str] = []
    if gateway.api_version.startswith("networking.istio.io/"):
        for server in gateway.spec.get("servers") or []:
            if not isinstance(server, Mapping):
                continue
            port = server.get("port") or {}
            label = f"{port.get('name') or port.get('number')} ({port.get('protocol')})"
            has_tls = isinstance(server.get("tls"), Mapping) and server["tls"].get("mode") not in (None, "")
            (tls if has_tls and str(port.get("protocol", "")).upper() in ("HTTPS", "TLS") else plain).append(label)
        return tls, plain
    for listener in gateway.spec.get("listeners") or []:
        if not isinstance(listener, Mapping):
            continue
        label = f"{listener.get('name')} ({listener.get('protocol')})"
        protocol = str(listener.get("protocol", "")).upper()
        has_refs = bool((listener.get("tls") or {}).get("certificateRefs")) or protocol == "TLS"
        (tls if protocol in ("HTTPS", "TLS") and has_refs else plain).append(label)
    return tls, plain


def route_tls(route: KubeObject) -> bool:
    """An OpenShift Route terminates TLS when it has spec.tls.termination."""
    tls = route.spec.get("tls")
    return isinstance(tls, Mapping) and bool(tls.get("termination"))


EDGE_AUTH_ANNOTATIONS = ("nginx.ingress.kubernetes.io/auth-url", "nginx.ingress.kubernetes.io/auth-type",
                         "nginx.ingress.kubernetes.io/auth-tls-secret", "alb.ingress.kubernetes.io/auth-type",
                         "traefik.ingress.kubernetes.io/router.middlewares", "konghq.com/plugins",
                         "ingress.kubernetes.io/auth-type", "haproxy.org/auth-type")
EDGE_AUTH_KINDS = ("RequestAuthentication", "AuthorizationPolicy", "SecurityPolicy")  # Istio, Envoy Gateway
_AUTH_PROXY = re.compile(r"oauth2-proxy|oauth2_proxy|pomerium|vouch-proxy|authelia", re.IGNORECASE)


def public_entry_points(objects: ObjectSet) -> list[KubeObject]:
    """Ingresses, Gateways, Routes and externally reachable Services nothing fronts."""
    routes = [r for r in objects.of_kind("Route") if r.api_version.startswith("route.openshift.io/")]
    return [*objects.of_kind("Ingress"), *gateways(objects), *routes, *exposed_services(objects)]


def edge_auth(objects: ObjectSet) -> list[tuple[str, KubeObject]]:
    """(what, object) for everything that authenticates callers before the service: ingress auth
    annotations, Istio/Envoy authentication policies, an auth proxy container (oauth2-proxy, ...)."""
    found = []
    for ingress in objects.of_kind("Ingress"):
        for key in EDGE_AUTH_ANNOTATIONS:
            if ingress.annotations.get(key):
                found.append((f"annotation {key}", ingress))
    found += [(obj.kind, obj) for obj in objects.of_kind(*EDGE_AUTH_KINDS)]
    for workload in objects.workloads():
        for container in [*workload.containers, *workload.init_containers]:
            if _AUTH_PROXY.search(str(container.spec.get("image", ""))):
                found.append((f"auth proxy container {container.name}", workload.obj))
    return found
