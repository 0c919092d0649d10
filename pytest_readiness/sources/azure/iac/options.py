"""Options of the IaC source (ARM templates, Bicep, Terraform in the repository)."""

from __future__ import annotations

from dataclasses import dataclass

from pytest_readiness.session import option


@dataclass(frozen=True)
class IacOptions:
    iac: tuple[str, ...] = option(
        (), "IaC to read for the Azure checks: directories or files (ARM JSON, .bicep, .tf, a `terraform show "
        "-json` plan), comma-separated or repeated (default: infra, deploy, deployment, terraform, bicep)",
        "linelist")
    iac_tfvars: tuple[str, ...] = option((), "extra .tfvars files for the Terraform root modules (-var-file)",
                                       "linelist")
