"""The Azure resources the repository declares: ARM templates, Bicep and Terraform, read into the
same `AzureResource` model (ARM's REST shape) as the live subscription, so every Azure check runs
unchanged on them. `load_declared(settings)` is what the Azure fixtures call; `drift.compare`
sets declared against live. Kept light: `settings` imports `options` from here."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest_readiness.settings  # noqa: F401  (first: settings imports this package's options)

if TYPE_CHECKING:
    from pytest_readiness.settings import Settings
    from pytest_readiness.sources.azure.model import ResourceSet
    from pytest_readiness.sources.repo.files import Repo


def load_declared(settings: Settings, tracked: Repo | None = None) -> ResourceSet:
    """The repository's declared Azure resources (raises `Unverified` when it declares none); `tracked`
    is the session's file list, so git is not asked twice."""
    from pytest_readiness.sources.azure.iac.declared import load

    return load(settings.project, settings.iac, settings.iac_tfvars, tracked)
