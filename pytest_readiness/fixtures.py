"""Fixtures that hand checks their facts, and per-object parametrization.

Registered only under --readiness. Sources load lazily, once per session (see `SourceCache`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from pytest_readiness.api import Evidence
from pytest_readiness.kube import Container, ObjectSet, ParseProblem, Workload
from pytest_readiness.outcomes import SourceError, Unverified
from pytest_readiness.settings import Settings
from pytest_readiness.sources import SourceCache

SETTINGS_KEY = pytest.StashKey[Settings]()
CACHE_KEY = pytest.StashKey[SourceCache]()
EVIDENCE_KEY = pytest.StashKey[Evidence]()


def settings_of(config: pytest.Config) -> Settings:
    return config.stash[SETTINGS_KEY]


def cache_of(config: pytest.Config) -> SourceCache:
    return config.stash[CACHE_KEY]


def load_agent_config(config: pytest.Config) -> Any:
    from pytest_readiness.sources import agent_config

    s = settings_of(config)
    return cache_of(config).get(
        "agent_config", lambda: agent_config.load(s.project, s.config, env_overrides=s.env_overrides)
    )


def load_manifests(config: pytest.Config) -> ObjectSet:
    from pytest_readiness.sources import manifests

    s = settings_of(config)
    return cache_of(config).get("manifests", lambda: manifests.load_for_run(config, s))


def object_sets(config: pytest.Config) -> list[ObjectSet | Unverified]:
    """Every source of Kubernetes objects in this run: the repo's manifests, and the live cluster if one
    is named (its top-level workloads only; an unreadable cluster is one error param)."""
    from pytest_readiness.cluster_fixtures import cluster_object_sets

    sets: list[ObjectSet | Unverified]
    try:
        sets = [load_manifests(config)]
    except Unverified as absent:
        sets = [absent]
    return sets + list(cluster_object_sets(config))


@dataclass(frozen=True)
class KubeParam:
    """One parametrized case of a per-object check."""

    objects: ObjectSet | None
    workload: Workload | None = None
    container: Container | None = None
    problem: ParseProblem | Unverified | None = None


def _kube_params(config: pytest.Config, per_container: bool) -> Iterator[tuple[KubeParam, str]]:
    from pytest_readiness.cluster_fixtures import LiveObjects

    for source in object_sets(config):
        if isinstance(source, Unverified):
            yield KubeParam(None, problem=source), "no-manifests"
            continue
        prefix = "" if source.name == "manifests" else f"{source.name}:"
        for problem in source.problems:
            yield KubeParam(source, problem=problem), f"{prefix}{problem.location.path}"
        found = False
        if isinstance(source, LiveObjects):  # a kind the cluster would not list: say so, do not skip it silently
            for kind, reason in source.unlisted_workload_kinds().items():
                found = True
                yield KubeParam(source, problem=Unverified(reason)), f"{prefix}{kind}"
        for workload in source.workloads():
            found = True
            if per_container:
                for container in [*workload.init_containers, *workload.containers]:
                    yield KubeParam(source, workload, container), f"{prefix}{container.ref}"
            else:
                yield KubeParam(source, workload), f"{prefix}{workload.ref}"
        if not found and not source.problems:
            yield KubeParam(source, problem=Unverified(f"no workload in {source.name}")), f"{prefix}no-workloads"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    for name, per_container in (("container", True), ("workload", False)):
        if name in metafunc.fixturenames:
            params = list(_kube_params(metafunc.config, per_container))
            metafunc.parametrize("kube_param", [p for p, _ in params], ids=[i for _, i in params], indirect=True)
            return


def _checked(param: KubeParam) -> KubeParam:
    if isinstance(param.problem, Unverified):
        raise param.problem
    if isinstance(param.problem, ParseProblem):
        raise SourceError(str(param.problem.location), param.problem.message)
    return param


@pytest.fixture
def kube_param(request: pytest.FixtureRequest) -> KubeParam:
    return _checked(request.param)


@pytest.fixture
def workload(kube_param: KubeParam) -> Workload:
    assert kube_param.workload is not None
    return kube_param.workload


@pytest.fixture
def container(kube_param: KubeParam) -> Container:
    assert kube_param.container is not None
    return kube_param.container


@pytest.fixture
def kube_objects(kube_param: KubeParam) -> ObjectSet:
    """All objects of the source the current workload came from (for PDB/HPA/Service cross-checks)."""
    assert kube_param.objects is not None
    return kube_param.objects


@pytest.fixture(scope="session")
def readiness_settings(pytestconfig: pytest.Config) -> Settings:
    return settings_of(pytestconfig)


@pytest.fixture(scope="session")
def agent_config(pytestconfig: pytest.Config) -> Any:
    """The agent's parsed TOML config (`sources.agent_config.AgentConfig`)."""
    return load_agent_config(pytestconfig)


@pytest.fixture(scope="session")
def manifests(pytestconfig: pytest.Config) -> ObjectSet:
    """All Kubernetes objects in the repo's manifests; parse problems are in `.problems`."""
    objects = load_manifests(pytestconfig)
    if objects.problems:  # a verdict over the whole set would be incomplete
        first = objects.problems[0]
        more = f" (and {len(objects.problems) - 1} more)" if len(objects.problems) > 1 else ""
        raise SourceError(str(first.location), first.message + more)
    return objects


@pytest.fixture(scope="session")
def cluster_snapshot(pytestconfig: pytest.Config) -> Any:
    """The live cluster's objects (`sources.cluster.ClusterSnapshot`), listed once per session."""
    from pytest_readiness.cluster_fixtures import load_cluster

    try:
        return load_cluster(pytestconfig)
    except SourceError as error:  # a fresh one: the cached error carries the client's deep traceback
        raise SourceError(error.where, error.problem) from None


@pytest.fixture(scope="session")
def dockerfile(pytestconfig: pytest.Config) -> Any:
    """The parsed Dockerfile (`sources.dockerfile.Dockerfile`)."""
    from pytest_readiness.sources import dockerfile as source

    s = settings_of(pytestconfig)
    return cache_of(pytestconfig).get("dockerfile", lambda: source.load(s.project, s.dockerfile))


@pytest.fixture(scope="session")
def repo(pytestconfig: pytest.Config) -> Any:
    """The repository's files (`sources.repo.Repo`)."""
    from pytest_readiness.sources import repo as source

    s = settings_of(pytestconfig)
    return cache_of(pytestconfig).get("repo", lambda: source.load(s.project))


@pytest.fixture
def evidence(request: pytest.FixtureRequest) -> Evidence:
    """Record what the check saw: `evidence.add(detail, where)`, `evidence.finding(detail, where)`."""
    recorded: Evidence = request.node.stash.setdefault(EVIDENCE_KEY, Evidence())
    return recorded


@pytest.fixture(scope="session")
def dockerfile_or_none(request: pytest.FixtureRequest) -> Any:
    """The Dockerfile, or None when the repo has none (a malformed one is still an error)."""
    try:
        return request.getfixturevalue("dockerfile")
    except Unverified:
        return None
