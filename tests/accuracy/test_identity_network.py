"""SEC-WORKLOAD-IDENTITY (AKS, GKE, EKS; only for workloads that call a cloud API), and the static
SEC-NETWORK-POLICY and SEC-SA-TOKEN checks that checkov and kube-score decide from the manifests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.accuracy.shapes import DOCKERFILE_NON_ROOT, deployment, doc
from tests.conftest import ReadinessRun

Runner = Callable[..., ReadinessRun]
K8S = "k8s"
WORKLOAD = "Deployment/shop"
CLOUD_ENV = "- name: AZURE_OPENAI_ENDPOINT\n  value: https://contoso-ai.openai.azure.com/\n"
AWS_ENV = "- name: AWS_REGION\n  value: eu-west-1\n"
GCP_ENV = "- name: GOOGLE_CLOUD_PROJECT\n  value: contoso-shop\n"


def account(annotations: str = "", extra: str = "") -> str:
    body = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: shop\n"
    if annotations:
        body += "  annotations:\n" + "".join(f"    {line}\n" for line in annotations.strip().splitlines())
    return body + extra


def tree(*objects: str) -> dict[str, str]:
    files = {"Dockerfile": DOCKERFILE_NON_ROOT, "pytest.ini": f"[pytest]\nreadiness_manifests = {K8S}\n"}
    files.update({f"{K8S}/object-{i}.yaml": text for i, text in enumerate(objects)})
    return files


AKS = deployment(env=CLOUD_ENV, pod_extra="serviceAccountName: shop\n", labels='azure.workload.identity/use: "true"')
WI_CASES = {
    "aks-wired": (tree(AKS, account('azure.workload.identity/client-id: "8d4e2b6f-1a3c-4f9e-b7d2-5c0a9e8f3b14"')),
                  "passed", "calls a cloud API"),
    "aks-all-zero-client-id": (tree(AKS, account(
        'azure.workload.identity/client-id: "00000000-0000-0000-0000-000000000000"')), "failed", "all-zero"),
    "aks-default-service-account": (tree(deployment(env=CLOUD_ENV)), "failed", "default ServiceAccount"),
    "gke-workload-identity": (tree(deployment(env=GCP_ENV, pod_extra="serviceAccountName: shop\n"), account(
        "iam.gke.io/gcp-service-account: shop-runtime@contoso-shop.iam.gserviceaccount.com")), "passed",
        "iam.gke.io/gcp-service-account"),
    "eks-irsa": (tree(deployment(env=AWS_ENV, pod_extra="serviceAccountName: shop\n"), account(
        "eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/shop-runtime")), "passed", "role-arn"),
    "eks-placeholder-account": (tree(deployment(env=AWS_ENV, pod_extra="serviceAccountName: shop\n"), account(
        "eks.amazonaws.com/role-arn: arn:aws:iam::000000000000:role/REPLACE_ME")), "failed", "placeholder"),
    "no-cloud-call": (tree(deployment(env="- name: PORT\n  value: \"8080\"\n")), "not_applicable",
                      "needs no cloud identity"),
}


@pytest.mark.parametrize("name", WI_CASES)
def test_workload_identity_per_cloud(run_readiness: Runner, name: str) -> None:
    files, status, detail = WI_CASES[name]
    run = run_readiness(files, "-k", "workload_identity_wired")
    key = f"SEC-WORKLOAD-IDENTITY[{WORKLOAD}]"
    assert run.status(key) == status, run.messages.get(key)
    assert detail in run.messages[key] + run.junit


DENY_ALL = doc("""
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata:
      name: default-deny
    spec:
      podSelector: {}
      policyTypes: [Ingress, Egress]
""")
INGRESS_ONLY = DENY_ALL.replace("[Ingress, Egress]", "[Ingress]")
ALLOW_ALL = doc("""
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata:
      name: shop-open
    spec:
      podSelector:
        matchLabels: {app: shop}
      policyTypes: [Ingress, Egress]
      ingress:
        - {}
""")
NP_CASES = {
    "default-deny-both": (tree(deployment(), DENY_ALL), "passed", "default-deny selects"),
    "ingress-only": (tree(deployment(), INGRESS_ONLY), "failed", "no NetworkPolicy restricts egress"),
    "no-policy": (tree(deployment()), "failed", "no NetworkPolicy restricts ingress"),
    "allow-all-rule": (tree(deployment(), ALLOW_ALL), "failed", "allows all ingress"),
    "other-app-only": (tree(deployment(), ALLOW_ALL.replace("app: shop", "app: cart").replace("- {}", "- from: "
                                                                                            "[{podSelector: {}}]")),
                       "failed", "no NetworkPolicy restricts ingress"),
}


@pytest.mark.parametrize("name", NP_CASES)
def test_network_policy_from_the_manifests(run_readiness: Runner, name: str) -> None:
    files, status, detail = NP_CASES[name]
    run = run_readiness(files, "-k", "network_policy_default_deny")
    key = f"SEC-NETWORK-POLICY[{WORKLOAD}]"
    assert run.status(key) == status, run.messages.get(key)
    assert detail in run.messages[key] + run.junit


ROLE_BINDING = doc("""
    apiVersion: rbac.authorization.k8s.io/v1
    kind: RoleBinding
    metadata:
      name: shop-reads-configmaps
    subjects:
      - {kind: ServiceAccount, name: shop}
    roleRef: {kind: Role, name: configmap-reader, apiGroup: rbac.authorization.k8s.io}
""")
TOKEN_CASES = {
    "pod-opts-out": (tree(deployment(pod_extra="automountServiceAccountToken: false\n")), "passed"),
    "service-account-opts-out": (tree(deployment(pod_extra="serviceAccountName: shop\n"),
                                      account(extra="automountServiceAccountToken: false\n")), "passed"),
    "default-token-mounted": (tree(deployment()), "failed"),
    "pod-opts-in-without-api-use": (tree(deployment(pod_extra="automountServiceAccountToken: true\n")), "failed"),
    "bound-to-an-api-role": (tree(deployment(pod_extra="serviceAccountName: shop\n"), account(), ROLE_BINDING),
                             "not_applicable"),
}


@pytest.mark.parametrize("name", TOKEN_CASES)
def test_service_account_token_from_the_manifests(run_readiness: Runner, name: str) -> None:
    files, status = TOKEN_CASES[name]
    run = run_readiness(files, "-k", "no_unused_service_account_token")
    key = f"SEC-SA-TOKEN[{WORKLOAD}]"
    assert run.status(key) == status, run.messages.get(key)
