"""The declared Azure resources as a fixture a user's own `@check` can take (`azure_declared`)."""

from __future__ import annotations

import pytest

from pytest_readiness.fixtures import cache_of, settings_of
from pytest_readiness.sources.azure.model import ResourceSet


def declared_resources(config: pytest.Config) -> ResourceSet:
    """Loaded once per session; raises `Unverified` when the repo declares no Azure resources."""
    from pytest_readiness.sources.azure.iac import load_declared

    settings = settings_of(config)
    return cache_of(config).get("azure-iac", lambda: load_declared(settings))


@pytest.fixture(scope="session")
def azure_declared(pytestconfig: pytest.Config) -> ResourceSet:
    """The Azure resources the repository's ARM templates, Bicep and Terraform declare (ARM REST shape)."""
    return declared_resources(pytestconfig)
