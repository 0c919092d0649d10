"""The declared Azure resources as a fixture a user's own `@check` can take (`azure_declared`), and as a
resource source of the Azure checks (registered with `sources.azure.fixtures.register_resource_source`
where that exists), so every Azure check also runs on the repo's IaC."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from pytest_readiness.api import SourceError, Unverified
from pytest_readiness.decisions.waivers import name_object
from pytest_readiness.session import cache_of, settings_of
from pytest_readiness.sources.azure.model import AzureResource, ResourceSet

NO_IAC = ("the repo declares no Azure resources to compare with the subscription: point --readiness-iac "
          "(ini readiness_iac) at the ARM templates, Bicep or Terraform that deploy them")


def declared_resources(config: pytest.Config) -> ResourceSet:
    """Loaded once per session; raises `Unverified` when the repo declares no Azure resources."""
    from pytest_readiness.sources.azure.iac import load_declared
    from pytest_readiness.sources.repo.fixtures import load_repo

    settings = settings_of(config)
    return cache_of(config).get("azure-iac", lambda: load_declared(settings, load_repo(config)))


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


@dataclass(frozen=True)
class DeclaredLive:
    """A declared resource and its live counterpart, for the drift check (`azure_drift`)."""

    declared: AzureResource | None = None
    live: AzureResource | None = None
    live_set: ResourceSet | None = None
    problem: Unverified | SourceError | None = None

    def __repr__(self) -> str:
        return f"DeclaredLive({self.declared.ref if self.declared else self.problem!r})"


def _live_types() -> set[str]:
    from pytest_readiness.sources.azure.arm import CANONICAL_TYPES  # no Azure import: arm imports it lazily

    return set(CANONICAL_TYPES)


def _pair(resource: AzureResource, live: ResourceSet) -> DeclaredLive:
    from pytest_readiness.sources.azure.iac.drift import counterparts, name_known

    def unverified(reason: str) -> DeclaredLive:
        problem = Unverified(f"{resource.ref} ({resource.origin}): {reason}")
        return DeclaredLive(resource, live_set=live, problem=problem)

    if resource.type.lower() not in _live_types():
        return unverified(f"{resource.type} is not read from Azure Resource Manager by the live source: not compared")
    denied = next((v for k, v in live.unreadable.items() if k.lower() == resource.type.lower()), None)
    if denied is not None:
        return unverified(f"{denied}: its live counterpart could not be listed")
    if not name_known(resource):
        return unverified("its name is not known before deployment, so its live counterpart cannot be found")
    found = counterparts(resource, live)
    if not found:
        return unverified(f"no {resource.type} named {resource.name} in {live.name}: not deployed yet, or in a "
                          "resource group not read (--readiness-azure-resource-group)")
    if len(found) > 1:
        return unverified(f"{len(found)} live resources match ({', '.join(f.id for f in found)}): the declared id "
                          f"{resource.id} does not say which")
    return DeclaredLive(resource, found[0], live)


def _drift_params(config: pytest.Config) -> Iterator[tuple[DeclaredLive, str]]:
    from pytest_readiness.sources.azure.fixtures import arm_target, load_live, no_subscription_reason

    target = arm_target(settings_of(config))
    live: ResourceSet | Unverified | SourceError
    try:
        live = load_live(config)
    except (Unverified, SourceError) as problem:
        live = problem
    if isinstance(live, Unverified) and target is None:
        live = Unverified(f"{no_subscription_reason()}, to compare the declared resources with the deployed ones")
    try:
        declared = declared_resources(config)
    except Unverified as absent:
        if isinstance(live, SourceError):
            yield DeclaredLive(problem=live), live.where
            return
        also = f"; and {live.reason}" if isinstance(live, Unverified) else ""
        yield DeclaredLive(problem=Unverified(f"{NO_IAC} ({absent.reason}){also}")), "no-iac"
        return
    if not isinstance(live, ResourceSet):
        yield DeclaredLive(problem=live), live.where if isinstance(live, SourceError) else (
            target.name if target else "no-azure")
        return
    for resource in declared.resources:
        yield _pair(resource, live), f"{declared.name}:{resource.ref}"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "azure_drift" not in metafunc.fixturenames:
        return
    params = list(_drift_params(metafunc.config))
    metafunc.parametrize("azure_drift_param", [p for p, _ in params], ids=[i for _, i in params], indirect=True)


@pytest.fixture
def azure_drift_param(request: pytest.FixtureRequest) -> DeclaredLive:
    param: DeclaredLive = request.param
    name_object(request.node.nodeid, *(r.id for r in (param.declared, param.live) if r is not None))
    if isinstance(param.problem, Unverified):
        raise Unverified(param.problem.reason)
    if isinstance(param.problem, SourceError):
        raise SourceError(param.problem.where, param.problem.problem)
    return param


@pytest.fixture
def azure_drift(azure_drift_param: DeclaredLive) -> DeclaredLive:
    """A declared Azure resource with its live counterpart (both present: else the test is unverified)."""
    return azure_drift_param


def _register_with_the_azure_checks() -> None:
    try:
        from pytest_readiness.sources.azure.fixtures import register_resource_source
    except ImportError:  # the live Azure source is not part of this build
        return
    register_resource_source(declared_or_none)


_register_with_the_azure_checks()
