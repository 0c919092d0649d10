"""SEC-INGRESS-TLS and COMP-ENCRYPTION-IN-TRANSIT at the edge: a LoadBalancer or NodePort Service exposing only
plain HTTP with nothing in front fails; TLS is claimed only from an Ingress/Gateway/Route TLS block or a load
balancer given a certificate."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.accuracy.shapes import DOCKERFILE_NON_ROOT, deployment, doc, service
from tests.conftest import ReadinessRun

Runner = Callable[..., ReadinessRun]
K8S = "k8s"
INGRESS_TLS = doc("""
    apiVersion: networking.k8s.io/v1
    kind: Ingress
    metadata:
      name: shop
    spec:
      ingressClassName: nginx
      tls:
        - hosts: [shop.contoso.com]
          secretName: shop-tls
      rules:
        - host: shop.contoso.com
          http:
            paths:
              - path: /
                pathType: Prefix
                backend:
                  service:
                    name: shop
                    port:
                      number: 80
""")


GATEWAY_CERTIFICATE = "      tls:\n        certificateRefs: [{name: shop-tls}]\n"


def gateway(protocol: str, tls: str = "") -> str:
    return doc(f"""
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata:
          name: edge
        spec:
          gatewayClassName: istio
          listeners:
            - name: web
              port: {443 if protocol == "HTTPS" else 80}
              protocol: {protocol}
        """) + tls + doc("""
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata:
          name: shop
        spec:
          parentRefs: [{name: edge}]
          rules:
            - backendRefs: [{name: shop, port: 80}]
        """)


def tree(*objects: str) -> dict[str, str]:
    files = {"Dockerfile": DOCKERFILE_NON_ROOT, "pytest.ini": f"[pytest]\nreadiness_manifests = {K8S}\n",
             f"{K8S}/deploy.yaml": deployment()}
    files.update({f"{K8S}/edge-{i}.yaml": text for i, text in enumerate(objects)})
    return files


CASES = {
    "loadbalancer-plain-http": (tree(service(kind="LoadBalancer")), "failed", "only plain HTTP (80 (http))"),
    "nodeport-named-http": (tree(service(kind="NodePort", port=8080, port_name="http-api")), "failed",
                            "NodePort Service exposing only plain HTTP"),
    "gateway-http-only": (tree(service(), gateway("HTTP")), "failed", "Gateway/edge has no HTTPS/TLS listener"),
    "ingress-without-tls": (tree(service(), INGRESS_TLS.replace(
        "  tls:\n    - hosts: [shop.contoso.com]\n      secretName: shop-tls\n", "")), "failed", "no spec.tls"),
    "ingress-tls-clusterip": (tree(service(), INGRESS_TLS), "passed", "tls [['shop.contoso.com']]"),
    "ingress-tls-fronts-a-loadbalancer": (tree(service(kind="LoadBalancer"), INGRESS_TLS), "passed", "Ingress/shop"),
    "gateway-https-certificate": (tree(service(), gateway("HTTPS", GATEWAY_CERTIFICATE)),
                                  "passed", "TLS listeners ['web (HTTPS)']"),
    "aws-lb-terminates-tls": (tree(service(kind="LoadBalancer", annotations="""
        service.beta.kubernetes.io/aws-load-balancer-ssl-cert: arn:aws:acm:eu-west-1:123456789012:certificate/abc
    """)), "passed", "the load balancer terminates TLS"),
    "loadbalancer-443-unknown": (tree(service(kind="LoadBalancer", port=443, port_name="https", target=8443)),
                                 "unverified", "cannot show that the application serves TLS"),
    "only-clusterip": (tree(service()), "not_applicable", "no Ingress, Gateway"),
    "internal-azure-lb": (tree(service(kind="LoadBalancer", annotations="""
        service.beta.kubernetes.io/azure-load-balancer-internal: "true"
    """)), "not_applicable", "no Ingress, Gateway"),
}


@pytest.mark.parametrize("name", CASES)
def test_edge_tls(run_readiness: Runner, name: str) -> None:
    files, status, detail = CASES[name]
    run = run_readiness(files, "-k", "ingress_serves_tls or encryption_in_transit")
    assert run.status("SEC-INGRESS-TLS") == status, run.messages.get("SEC-INGRESS-TLS")
    assert detail in run.messages["SEC-INGRESS-TLS"] + run.junit
    assert "the manifests serve TLS" not in run.output + run.junit
    if status == "failed" and "plain HTTP (" in detail:
        assert run.status("COMP-ENCRYPTION-IN-TRANSIT") == "failed"


def test_without_agent_config_the_manifests_decide_encryption_in_transit(run_readiness: Runner) -> None:
    run = run_readiness(tree(service(), INGRESS_TLS), "-k", "encryption_in_transit")
    assert run.status("COMP-ENCRYPTION-IN-TRANSIT") == "passed"
    assert "no agent config in the repo: decided from the manifests" in run.junit
