"""Which cloud a workload calls and how it proves who it is: Azure workload identity (or the deprecated
aad-pod-identity), GKE workload identity, EKS IRSA; and whether it uses the Kubernetes API."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from pytest_readiness.sources.kube.model import KubeObject, ObjectSet, Workload

AZURE_USE = "azure.workload.identity/use"
AZURE_CLIENT_ID = "azure.workload.identity/client-id"
AAD_POD_IDENTITY = "aadpodidbinding"
GKE_SERVICE_ACCOUNT = "iam.gke.io/gcp-service-account"
EKS_ROLE_ARN = "eks.amazonaws.com/role-arn"
USES_API_ANNOTATION = "readiness.io/uses-kubernetes-api"
_CLOUD_ENV = re.compile(r"^(?:AZURE_|AZ_|ARM_|MSI_|IDENTITY_|AWS_|GOOGLE_|GCP_|GCLOUD_|CLOUDSDK_)"
                        r"|_(?:KEYVAULT|VAULT)_URL$|OPENAI_(?:ENDPOINT|API_BASE)$|STORAGE_ACCOUNT|COSMOS",
                        re.IGNORECASE)
_CLOUD_VALUE = re.compile(r"\.(?:azure\.com|windows\.net|azure\.net|azurecr\.io|amazonaws\.com|googleapis\.com)\b"
                          r"|^arn:aws:", re.IGNORECASE)
_ZERO_GUID = re.compile(r"0{8}-0{4}-0{4}-0{4}-0{12}")


@dataclass(frozen=True)
class CloudCall:
    why: str  # "env AZURE_OPENAI_ENDPOINT", "env STORAGE_URL = https://x.blob.core.windows.net"


def cloud_calls(workload: Workload, objects: ObjectSet) -> Iterator[CloudCall]:
    """Signs that the workload's containers call a cloud API: cloud SDK variables, cloud endpoints, CSI Key Vault."""
    for container in [*workload.containers, *workload.init_containers]:
        for var in container.spec.get("env") or []:
            if not isinstance(var, dict):
                continue
            name, value = str(var.get("name", "")), str(var.get("value", ""))
            if _CLOUD_ENV.search(name) and name not in ("AZURE_FUNCTIONS_ENVIRONMENT",):
                yield CloudCall(f"{container.name} env {name}")
            elif _CLOUD_VALUE.search(value):
                yield CloudCall(f"{container.name} env {name} names a cloud endpoint")
        for source in container.spec.get("envFrom") or []:
            ref = (source or {}).get("configMapRef") or {}
            for cm in objects.of_kind("ConfigMap"):
                if cm.name == ref.get("name"):
                    for key, value in (cm.body.get("data") or {}).items():
                        if _CLOUD_ENV.search(str(key)) or _CLOUD_VALUE.search(str(value)):
                            yield CloudCall(f"{container.name} gets {key} from {cm.ref}")
    for volume in workload.pod_spec.get("volumes") or []:
        csi = volume.get("csi") if isinstance(volume, dict) else None
        if isinstance(csi, dict) and csi.get("driver") == "secrets-store.csi.k8s.io":
            yield CloudCall(f"volume {volume.get('name')} reads a cloud secret store (CSI)")


def is_placeholder_client_id(value: str) -> bool:
    return bool(_ZERO_GUID.fullmatch(value.strip()))


def account_name(workload: Workload) -> str:
    spec = workload.pod_spec
    return str(spec.get("serviceAccountName") or spec.get("serviceAccount") or "default")


def service_account(workload: Workload, objects: ObjectSet) -> KubeObject | None:
    name = account_name(workload)
    return next((a for a in objects.of_kind("ServiceAccount") if a.name == name and (
        a.namespace is None or workload.obj.namespace is None or a.namespace == workload.obj.namespace)), None)


def binds_api_role(workload: Workload, objects: ObjectSet) -> KubeObject | None:
    """A RoleBinding/ClusterRoleBinding granting the workload's ServiceAccount Kubernetes API access."""
    name = account_name(workload)
    for binding in objects.of_kind("RoleBinding", "ClusterRoleBinding"):
        for subject in binding.body.get("subjects") or []:
            if isinstance(subject, dict) and subject.get("kind") == "ServiceAccount" and subject.get("name") == name:
                return binding
    return None
