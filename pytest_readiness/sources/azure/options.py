"""The Azure source's options: `--readiness-azure-*` flags and `readiness_azure_*` ini keys."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from pytest_readiness.session import option

CREDENTIALS = ("default", "cli", "environment", "workload", "managed")
CLOUDS = {
    "public": "https://management.azure.com",
    "china": "https://management.chinacloudapi.cn",
    "usgov": "https://management.usgovcloudapi.net",
}


@dataclass(frozen=True)
class AzureOptions:
    azure_subscription: str = option("", "Azure subscription id: enables the Azure Resource Manager checks")
    azure_resource_group: tuple[str, ...] = option(
        (), "resource groups to read (default: every group the credential can read)", "linelist"
    )
    azure_credential: str = option(
        "default", "how to sign in to Azure: default|cli|environment|workload|managed (azure-identity credentials)"
    )
    azure_cloud: str = option("public", "Azure cloud: public|china|usgov")
    azure_arm_endpoint: str = option(
        "", "Azure Resource Manager URL for Azure Stack Hub or a sovereign cloud (overrides --readiness-azure-cloud)"
    )
    azure_identity: tuple[str, ...] = option(
        (), "the agent's Azure identities (name, client id or principal id), when no federated credential shows them",
        "linelist",
    )
    azure_public_ports: tuple[str, ...] = option(
        ("443",), "ports an NSG may open to the internet (the published HTTPS entry)", "linelist"
    )
    azure_require_cmk: bool = option(
        False, "policy: data at rest must be encrypted with customer-managed keys (default: platform keys pass)",
        "bool",
    )
    azure_require_infrastructure_encryption: bool = option(
        False, "policy: Storage accounts must use infrastructure (double) encryption", "bool"
    )
    azure_log_retention_days: int = option(30, "lowest acceptable Log Analytics retention in days", "int")

    def __post_init__(self) -> None:
        if self.azure_credential not in CREDENTIALS:
            raise pytest.UsageError(f"--readiness-azure-credential: expected one of {', '.join(CREDENTIALS)}, "
                                    f"got {self.azure_credential!r}")
        if self.azure_cloud not in CLOUDS:
            raise pytest.UsageError(f"--readiness-azure-cloud: expected one of {', '.join(CLOUDS)}, "
                                    f"got {self.azure_cloud!r}")
        if self.azure_arm_endpoint and not self.azure_arm_endpoint.startswith("https://"):
            raise pytest.UsageError("--readiness-azure-arm-endpoint: expected an https:// URL, "
                                    f"got {self.azure_arm_endpoint!r}")

    @property
    def azure_endpoint(self) -> str:
        return (self.azure_arm_endpoint or CLOUDS[self.azure_cloud]).rstrip("/")
