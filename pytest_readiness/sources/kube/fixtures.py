"""Fixtures of the Kubernetes source: the repo's manifests, the live cluster's objects, and one test per
workload or container of either.

Registered only under --readiness. Sources load lazily, once per session (see `session.SourceCache`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from pytest_readiness.api import SourceError, Unverified
from pytest_readiness.results import Location
from pytest_readiness.session import cache_of, settings_of
from pytest_readiness.sources.kube.model import Container, KubeObject, ObjectSet, ParseProblem, Workload
from pytest_readiness.sources.reading import quote

if TYPE_CHECKING:
    from pytest_readiness.sources.kube.cluster import ClusterSnapshot


def load_manifests(config: pytest.Config) -> ObjectSet:
    from pytest_readiness.sources.kube import manifests

    s = settings_of(config)
    return cache_of(config).get("manifests", lambda: manifests.load_for_run(config, s))


def object_sets(config: pytest.Config) -> list[ObjectSet | Unverified]:
    """Every source of Kubernetes objects in this run: the repo's manifests, and the live cluster if one
    is named (its top-level workloads only; an unreadable cluster is one error param)."""
    from pytest_readiness.sources.kube.cluster_fixtures import cluster_object_sets

    sets: list[ObjectSet | Unverified]
    try:
        sets = [load_manifests(config)]
    except Unverified as absent:
        sets = [absent]
    except Exception as exc:  # never a collection error: one error param naming the manifests
        where = exc.where if isinstance(exc, SourceError) else settings_of(config).manifests
        problem = exc.problem if isinstance(exc, SourceError) else f"cannot read: {type(exc).__name__}: {exc}"
        sets = [ObjectSet("manifests", [], [ParseProblem(Location(where), quote(problem))])]
    return sets + list(cluster_object_sets(config))


@dataclass(frozen=True)
class KubeParam:
    """One parametrized case of a per-object check."""

    objects: ObjectSet | None
    workload: Workload | None = None
    container: Container | None = None
    problem: ParseProblem | Unverified | None = None

    @property
    def waiver_object(self) -> KubeObject | None:
        """The object whose `readiness.io/waive-<id>` annotations may waive this case's result."""
        return self.workload.obj if self.workload is not None else None


def _kube_params(config: pytest.Config, per_container: bool) -> Iterator[tuple[KubeParam, str]]:
    from pytest_readiness.sources.kube.cluster_fixtures import LiveObjects

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
            try:
                containers = [*workload.init_containers, *workload.containers] if per_container else []
            except Exception as exc:  # a shape the loader let through: an error on this workload, not the run
                problem = ParseProblem(workload.location, f"cannot read {workload.ref}: {type(exc).__name__}: {exc}")
                yield KubeParam(source, problem=problem), f"{prefix}{workload.ref}"
                continue
            if per_container:
                for container in containers:
                    yield KubeParam(source, workload, container), f"{prefix}{container.ref}"
            else:
                yield KubeParam(source, workload), f"{prefix}{workload.ref}"
        if not found and not source.problems:
            yield KubeParam(source, problem=Unverified(f"no workload in {source.name}")), f"{prefix}no-workloads"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    for name, per_container in (("container", True), ("container_or_none", True), ("workload", False)):
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
    """The current case as generated: the fixtures below raise its problem, if it has one."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def workload(kube_param: KubeParam) -> Workload:
    found = _checked(kube_param).workload
    assert found is not None
    return found


@pytest.fixture
def container(kube_param: KubeParam) -> Container:
    found = _checked(kube_param).container
    assert found is not None
    return found


@pytest.fixture
def container_or_none(kube_param: KubeParam, pytestconfig: pytest.Config) -> Container | None:
    """The container, or None when the repo has no manifests at all (not when they cannot be rendered):
    for a check the image can decide alone."""
    s = settings_of(pytestconfig)
    absent = s.manifests != "-" and not s.resolve(s.manifests).exists()
    if kube_param.objects is None and isinstance(kube_param.problem, Unverified) and absent:
        return None
    return _checked(kube_param).container


@pytest.fixture
def kube_objects(kube_param: KubeParam) -> ObjectSet:
    """All objects of the source the current workload came from (for PDB/HPA/Service cross-checks)."""
    found = _checked(kube_param).objects
    assert found is not None
    return found


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
def cluster_snapshot(pytestconfig: pytest.Config) -> ClusterSnapshot:
    """The live cluster's objects (`sources.cluster.ClusterSnapshot`), listed once per session."""
    from pytest_readiness.sources.kube.cluster_fixtures import load_cluster

    try:
        return load_cluster(pytestconfig)
    except SourceError as error:  # a fresh one: the cached error carries the client's deep traceback
        raise SourceError(error.where, error.problem) from None


