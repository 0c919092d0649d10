"""Azure resources as fixtures: one read of the subscription per session, one test per resource.

Registered only under --readiness. Nothing Azure is imported and nothing is contacted unless
--readiness-azure-subscription is given. A check takes `azure_resource` (one resource; narrow the types
with `@for_types("Microsoft.Cache/redis", ...)`), `azure_set` (the resource set that resource came from,
or one test per set when the check takes no resource) or `azure_resources` (every set, session-wide).

Other sources of `ResourceSet`s (the repo's ARM templates, Bicep, Terraform) plug in with
`register_resource_source(loader)`: a loader returns a ResourceSet, or None when its input is absent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from pytest_readiness.api import SourceError, Unverified, plain_mark, raise_afresh
from pytest_readiness.decisions.waivers import name_object
from pytest_readiness.session import cache_of, settings_of
from pytest_readiness.settings import Settings
from pytest_readiness.sources.azure.model import AzureResource, ResourceSet

if TYPE_CHECKING:
    from pytest_readiness.sources.azure.arm import ArmTarget, ReadStats

TYPES_MARKER = "azure_types"
STATS_KEY: pytest.StashKey[ReadStats] = pytest.StashKey()
ResourceLoader = Callable[[pytest.Config], ResourceSet | None]
_LOADERS: list[ResourceLoader] = []


def register_resource_source(loader: ResourceLoader) -> ResourceLoader:
    """Add a source of Azure resources (e.g. the repo's IaC); the same checks run on its resources."""
    if loader not in _LOADERS:
        _LOADERS.append(loader)
    return loader


def for_types(*resource_types: str) -> pytest.MarkDecorator:
    """Run a check taking `azure_resource` once per resource of these types only."""
    return plain_mark(TYPES_MARKER, *resource_types)


def arm_target(settings: Settings) -> ArmTarget | None:
    if not settings.azure_subscription:
        return None
    from pytest_readiness.sources.azure.arm import ArmTarget

    ca_bundle = str(settings.resolve(settings.ca_bundle)) if settings.ca_bundle else ""
    return ArmTarget(
        subscription=settings.azure_subscription,
        resource_groups=tuple(settings.azure_resource_group),
        credential=settings.azure_credential,
        endpoint=settings.azure_endpoint,
        cloud=settings.azure_cloud,
        ca_bundle=ca_bundle,
        timeout=settings.timeout,
    )


def no_subscription_reason() -> str:
    return ("no Azure subscription to read: give --readiness-azure-subscription=<id> (ini readiness_azure_subscription)"
            " with a credential that has Reader on it (see docs/azure.md)")


def load_live(config: pytest.Config) -> ResourceSet:
    """The subscription's resources, read once per session; Unverified without one or without a credential,
    SourceError when ARM cannot be reached."""
    target = arm_target(settings_of(config))
    if target is None:
        raise Unverified(no_subscription_reason())

    def read() -> ResourceSet:
        from pytest_readiness.sources.azure.arm import read_subscription

        resources, stats = read_subscription(target)
        config.stash[STATS_KEY] = stats
        return resources

    return cache_of(config).get("azure", read)


def resource_sets(config: pytest.Config) -> list[ResourceSet | Unverified | SourceError]:
    """Every Azure resource set of this run; one Unverified when there is none at all."""
    sets: list[ResourceSet | Unverified | SourceError] = []
    live_absent: Unverified | None = None
    try:
        sets.append(load_live(config))
    except Unverified as absent:
        if arm_target(settings_of(config)) is None:
            live_absent = absent
        else:
            sets.append(absent)
    except SourceError as error:
        sets.append(error)
    for loader in _LOADERS:
        try:
            found = loader(config)
        except (Unverified, SourceError) as problem:
            sets.append(problem)
            continue
        if found is not None:
            sets.append(found)
    if not sets and live_absent is not None:
        sets.append(live_absent)
    return sets


@dataclass(frozen=True)
class AzureParam:
    resources: ResourceSet | None = None
    resource: AzureResource | None = None
    problem: Unverified | SourceError | None = None

    def __repr__(self) -> str:  # shown in failure reports: keep it short
        return f"AzureParam({self.resource.ref if self.resource else self.problem!r})"


def _prefix(resources: ResourceSet) -> str:
    return "" if resources.name.startswith("azure:") else f"{resources.name}:"


def _failed_set_id(problem: Unverified | SourceError, config: pytest.Config) -> str:
    target = arm_target(settings_of(config))
    if isinstance(problem, SourceError):
        return problem.where
    return target.name if target is not None else "no-azure"


def _resource_params(config: pytest.Config, types: tuple[str, ...]) -> Iterator[tuple[AzureParam, str]]:
    for source in resource_sets(config):
        if not isinstance(source, ResourceSet):
            yield AzureParam(problem=source), _failed_set_id(source, config)
            continue
        prefix = _prefix(source)
        for problem in source.problems:
            yield AzureParam(source, problem=SourceError(str(problem.location), problem.message)), \
                f"{prefix}{problem.location}"
        if not types and not source.resources and not source.unreadable:
            yield AzureParam(source, problem=Unverified(f"no Azure resource in {source.name}")), f"{prefix}no-resources"
        wanted = types or tuple(sorted({r.type for r in source.resources}))
        for rtype in wanted:
            if rtype in source.unreadable:
                yield AzureParam(source, problem=Unverified(source.unreadable[rtype])), f"{prefix}{rtype}"
                continue
            found = source.of_type(rtype)
            if not found and types:
                where = "the subscription" if source.name.startswith("azure:") else source.name
                reason = (f"no {rtype} in {source.name}: if the agent uses one, read the subscription or resource "
                          f"group that holds it (--readiness-azure-subscription / --readiness-azure-resource-group)"
                          if where == "the subscription" else f"no {rtype} declared in {source.name}")
                yield AzureParam(source, problem=Unverified(reason)), f"{prefix}no-{rtype}"
            for resource in found:
                yield AzureParam(source, resource), f"{prefix}{resource.ref}"


def _set_params(config: pytest.Config) -> Iterator[tuple[AzureParam, str]]:
    for source in resource_sets(config):
        if isinstance(source, ResourceSet):
            yield AzureParam(source), source.name
        else:
            yield AzureParam(problem=source), _failed_set_id(source, config)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "azure_resource" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker(TYPES_MARKER)
        types = tuple(str(t) for t in marker.args) if marker else ()
        params = list(_resource_params(metafunc.config, types))
    elif "azure_set" in metafunc.fixturenames:
        params = list(_set_params(metafunc.config))
    else:
        return
    metafunc.parametrize("azure_param", [p for p, _ in params], ids=[i for _, i in params], indirect=True)


@pytest.fixture
def azure_param(request: pytest.FixtureRequest) -> AzureParam:
    param: AzureParam = request.param
    name_object(request.node.nodeid, *((param.resource.id,) if param.resource else ()))
    raise_afresh(param.problem)
    return param


@pytest.fixture
def azure_resource(azure_param: AzureParam) -> AzureResource:
    """One Azure resource (id `Microsoft.Cache/redis/agent-cache`), live or declared."""
    assert azure_param.resource is not None
    return azure_param.resource


@pytest.fixture
def azure_set(azure_param: AzureParam) -> ResourceSet:
    """The resource set of the current resource (for relations: private endpoints, subnets, role assignments)."""
    assert azure_param.resources is not None
    return azure_param.resources


@pytest.fixture(scope="session")
def azure_resources(pytestconfig: pytest.Config) -> list[ResourceSet]:
    """Every readable Azure resource set of the run (the live subscription, the repo's IaC)."""
    sets = resource_sets(pytestconfig)
    readable = [s for s in sets if isinstance(s, ResourceSet)]
    if readable:
        return readable
    first = sets[0]
    if isinstance(first, SourceError):
        raise SourceError(first.where, first.problem)
    assert isinstance(first, Unverified)
    raise Unverified(first.reason)


WORKER_KEY = "readiness_azure_requests"
WORKER_STATS_KEY: pytest.StashKey[list[dict[str, Any]]] = pytest.StashKey()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """An xdist worker hands its read's figures to the controller, which prints the line."""
    stats = session.config.stash.get(STATS_KEY, None)
    workeroutput = getattr(session.config, "workeroutput", None)
    if stats is not None and isinstance(workeroutput, dict):
        workeroutput[WORKER_KEY] = {"requests": dict(stats.requests), "seconds": stats.seconds}


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    figures = getattr(node, "workeroutput", {}).get(WORKER_KEY)
    if figures:
        node.config.stash.setdefault(WORKER_STATS_KEY, []).append(figures)


def _line(requests: Mapping[str, int], seconds: float, how: str = "") -> str:
    per_type = ", ".join(f"{name.split('/', 1)[-1]} {count}" for name, count in requests.items())
    return (f"azure: {sum(requests.values())} GET requests to Azure Resource Manager{how} in {seconds:.1f} s "
            f"({per_type})")


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    stats = config.stash.get(STATS_KEY, None)
    if stats is not None:
        terminalreporter.write_line(_line(stats.requests, stats.seconds))
        return
    workers = config.stash.get(WORKER_STATS_KEY, [])
    if not workers:
        return
    first = workers[0]["requests"]
    how = "" if len(workers) == 1 else (f" by each of {len(workers)} xdist workers (each reads the subscription "
                                        f"once; {sum(sum(w['requests'].values()) for w in workers)} in all)")
    if any(w["requests"] != first for w in workers):
        how = f" by {len(workers)} xdist workers in all (each reads the subscription once)"
        first = {}
        for worker in workers:
            for name, count in worker["requests"].items():
                first[name] = first.get(name, 0) + count
    terminalreporter.write_line(_line(first, max(float(w["seconds"]) for w in workers), how))


WORKLOAD_IDENTITY_LABEL = "azure.workload.identity/use"


@pytest.fixture(scope="session")
def agent_subjects(pytestconfig: pytest.Config) -> set[str] | None:
    """`system:serviceaccount:<ns>:<sa>` of each pod the manifests mark for Azure workload identity, or None
    when the manifests are absent or mark none (then any service account's federated credential counts)."""
    from pytest_readiness.sources.kube.fixtures import load_manifests

    try:
        objects = load_manifests(pytestconfig)
    except (Unverified, SourceError):
        return None
    namespace = settings_of(pytestconfig).namespace or "default"
    subjects = {
        f"system:serviceaccount:{w.obj.namespace or namespace}:{w.pod_spec.get('serviceAccountName') or 'default'}"
        for w in objects.workloads() if str(w.pod_labels.get(WORKLOAD_IDENTITY_LABEL, "")).lower() == "true"
    }
    return subjects or None
