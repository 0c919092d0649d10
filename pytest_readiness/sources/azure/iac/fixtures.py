"""The declared Azure resources as a fixture a user's own `@check` can take (`azure_declared`), and as a
resource source of the Azure checks (registered with `sources.azure.fixtures.register_resource_source`
where that exists), so every Azure check also runs on the repo's IaC."""

from __future__ import annotations

import pytest

from pytest_readiness.api import Unverified
from pytest_readiness.session import cache_of, settings_of
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


def declared_or_none(config: pytest.Config) -> ResourceSet | None:
    """For the Azure checks: None when the repo declares no Azure resources (then it is no source)."""
    try:
        return declared_resources(config)
    except Unverified:
        return None


def _register_with_the_azure_checks() -> None:
    try:
        from pytest_readiness.sources.azure.fixtures import register_resource_source
    except ImportError:  # the live Azure source is not part of this build
        return
    register_resource_source(declared_or_none)


_register_with_the_azure_checks()
