"""The live cluster as a source: one snapshot per session, and one test per live workload.

Registered only under --readiness. Nothing is contacted unless --readiness-kube-context or
--readiness-in-cluster is given: a kubeconfig on disk (or $KUBECONFIG, or --readiness-kubeconfig
alone) never turns a static run into one that talks to a cluster.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from pytest_readiness.fixtures import cache_of, settings_of
from pytest_readiness.kube import KubeObject, Location, ObjectSet, ParseProblem, Workload, selector_matches
from pytest_readiness.outcomes import SourceError, Unverified
from pytest_readiness.settings import Settings

if TYPE_CHECKING:
    from pytest_readiness.sources.cluster import ClusterSnapshot, ClusterTarget

PAGE_SIZE = 500
UNAVAILABLE = "kube-api"  # the "file" of the one error param an unreadable cluster becomes
TOP_LEVEL_KINDS = ("Deployment", "StatefulSet", "DaemonSet")


def cluster_target(settings: Settings) -> ClusterTarget | None:
    """The cluster to read, or None when the run names none."""
    if not (settings.kube_context or settings.in_cluster):
        return None
    from pytest_readiness.sources.cluster import ClusterTarget

    return ClusterTarget(
        kubeconfig=str(settings.kubeconfig) if settings.kubeconfig else None,
        context=settings.kube_context or None,
        namespace=settings.namespace or None,
        in_cluster=settings.in_cluster,
    )


def no_cluster_reason(settings: Settings) -> str:
    alone = " (--readiness-kubeconfig alone does not enable them)" if settings.kubeconfig else ""
    return ("no cluster to check: give --readiness-kube-context (ini readiness_kube_context), or "
            f"--readiness-in-cluster when running as a Job inside the cluster{alone}")


def cluster_name(settings: Settings) -> str:
    return f"cluster:{settings.kube_context or 'in-cluster'}"


def load_cluster(config: pytest.Config) -> ClusterSnapshot:
    """The session's snapshot; Unverified without a cluster target, SourceError if it cannot be read."""
    settings = settings_of(config)
    target = cluster_target(settings)
    if target is None:
        raise Unverified(no_cluster_reason(settings))
    return cache_of(config).get("cluster", lambda: _load(config, target, settings.timeout))


def _load(config: pytest.Config, target: ClusterTarget, timeout: float) -> ClusterSnapshot:
    from pytest_readiness.sources.cluster import ClusterUnavailable, load_snapshot

    try:
        snapshot = load_snapshot(target, page_size=PAGE_SIZE, timeout=timeout)
    except SourceError:
        raise
    except Exception as exc:  # whatever the client raises, the run reports it and goes on
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise ClusterUnavailable(f"reading the cluster failed: {type(exc).__name__}: {first}") from exc
    config.add_cleanup(snapshot.close)
    return snapshot


# --- which live objects are workloads -------------------------------------------------------------

def controller_uid(obj: KubeObject) -> str | None:
    for owner in obj.metadata.get("ownerReferences") or []:
        if isinstance(owner, Mapping) and owner.get("controller"):
            return str(owner.get("uid"))
    return None


def is_top_level(workload: Workload) -> bool:
    """Deployments, StatefulSets and DaemonSets, and ReplicaSets/Pods that no controller owns."""
    return workload.obj.kind in TOP_LEVEL_KINDS or controller_uid(workload.obj) is None


class LiveObjects(ObjectSet):
    """A cluster snapshot as the per-object checks see it: every object, but only top-level workloads
    (a Deployment is checked, not its ReplicaSets and Pods)."""

    def __init__(self, snapshot: ClusterSnapshot) -> None:
        super().__init__(name=snapshot.name, objects=snapshot.objects, problems=[])
        self.snapshot = snapshot

    def workloads(self) -> list[Workload]:
        return [w for w in super().workloads() if is_top_level(w)]


def cluster_object_sets(config: pytest.Config) -> list[ObjectSet]:
    """The cluster for `fixtures.object_sets`: none without a target, one error param if unreadable."""
    settings = settings_of(config)
    if cluster_target(settings) is None:
        return []
    try:
        return [LiveObjects(load_cluster(config))]
    except SourceError as error:
        return [ObjectSet(cluster_name(settings), [], [ParseProblem(Location(UNAVAILABLE), error.problem)])]


def pods_of(snapshot: ClusterSnapshot, workload: Workload) -> list[KubeObject]:
    """The live pods a workload controls (through its ReplicaSets for a Deployment)."""
    if workload.obj.kind == "Pod":
        return [workload.obj]
    pods = snapshot.require("Pod")
    if workload.obj.kind == "Deployment" and "ReplicaSet" in snapshot.denied:
        selector = workload.obj.spec.get("selector")
        return [p for p in pods if p.namespace == workload.obj.namespace and selector_matches(selector, p.labels)]
    owners = {str(workload.obj.metadata.get("uid"))}
    if workload.obj.kind == "Deployment":
        owners |= {str(rs.metadata.get("uid")) for rs in snapshot.of_kind("ReplicaSet")
                   if controller_uid(rs) in owners}
    return [p for p in pods if controller_uid(p) in owners]


# --- one test per live workload for the cluster-only checks ----------------------------------------

@dataclass(frozen=True)
class LiveWorkload:
    """A top-level workload of the live cluster, with the snapshot it came from."""

    snapshot: ClusterSnapshot
    workload: Workload

    @property
    def obj(self) -> KubeObject:
        return self.workload.obj

    @property
    def ref(self) -> str:
        return self.workload.ref

    @property
    def location(self) -> Location:
        return self.workload.location

    def pods(self) -> list[KubeObject]:
        """Its pods, without those already being deleted."""
        return [p for p in pods_of(self.snapshot, self.workload) if not p.metadata.get("deletionTimestamp")]

    def __str__(self) -> str:
        return str(self.location)


@dataclass(frozen=True)
class ClusterParam:
    live: LiveWorkload | None = None
    problem: Exception | None = None


def _cluster_params(config: pytest.Config) -> list[tuple[ClusterParam, str]]:
    settings = settings_of(config)
    try:
        snapshot = load_cluster(config)
    except Unverified as absent:
        return [(ClusterParam(problem=absent), "no-cluster")]
    except SourceError as error:
        return [(ClusterParam(problem=error), f"{cluster_name(settings)}:{UNAVAILABLE}")]
    prefix = f"{snapshot.name}:"
    params = [(ClusterParam(problem=Unverified(snapshot.denied[kind])), f"{prefix}{kind}")
              for kind in (*TOP_LEVEL_KINDS, "ReplicaSet", "Pod") if kind in snapshot.denied]
    params += [(ClusterParam(LiveWorkload(snapshot, w)), f"{prefix}{w.ref}")
               for w in snapshot.workloads() if is_top_level(w)]
    if not params:
        reason = f"no workload in namespace {snapshot.namespace} of {snapshot.description}: check --readiness-namespace"
        params.append((ClusterParam(problem=Unverified(reason)), f"{prefix}no-workloads"))
    return params


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "cluster_workload" in metafunc.fixturenames:
        params = _cluster_params(metafunc.config)
        metafunc.parametrize("cluster_param", [p for p, _ in params], ids=[i for _, i in params], indirect=True)


@pytest.fixture
def cluster_param(request: pytest.FixtureRequest) -> ClusterParam:
    param: ClusterParam = request.param
    if param.problem is not None:
        raise param.problem
    return param


@pytest.fixture
def cluster_workload(cluster_param: ClusterParam) -> LiveWorkload:
    """One top-level workload of the live cluster (id `cluster:<context>:Deployment/msft-agent`)."""
    assert cluster_param.live is not None
    return cluster_param.live
