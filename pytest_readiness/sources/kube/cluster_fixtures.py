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

from pytest_readiness.api import SourceError, Unverified, raise_afresh
from pytest_readiness.results import Location
from pytest_readiness.session import cache_of, settings_of
from pytest_readiness.settings import Settings
from pytest_readiness.sources.kube.model import KubeObject, ObjectSet, ParseProblem, Workload, selector_matches

if TYPE_CHECKING:
    from pytest_readiness.sources.kube.cluster import ClusterSnapshot, ClusterTarget

PAGE_SIZE = 500
UNAVAILABLE = "kube-api"  # the "file" of the one error param an unreadable cluster becomes
TOP_LEVEL_KINDS = ("Deployment", "StatefulSet", "DaemonSet")


def cluster_target(settings: Settings) -> ClusterTarget | None:
    """The cluster to read, or None when the run names none."""
    if not (settings.kube_context or settings.in_cluster):
        return None
    from pytest_readiness.sources.kube.cluster import ClusterTarget

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
    from pytest_readiness.sources.kube.cluster import ClusterUnavailable, load_snapshot

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
        super().__init__(name=snapshot.name, objects=snapshot.objects, problems=list(snapshot.problems))
        self.snapshot = snapshot
        self.index = SnapshotIndex.of(snapshot)
        self._workloads: list[Workload] | None = None

    def of_kind(self, *kinds: str) -> list[KubeObject]:
        """The objects of these kinds; unverified if one could not be listed (a 403 proves no absence)."""
        denied = [f"{self.snapshot.denied[kind]} ({kind} objects are needed here)"
                  for kind in kinds if kind in self.snapshot.denied]
        if denied:
            raise Unverified("; ".join(denied))
        if len(kinds) == 1:
            return list(self.index.by_kind.get(kinds[0], []))
        return super().of_kind(*kinds)

    def covers(self, kind: str) -> bool:
        return self.snapshot.covers(kind)

    def unlisted_workload_kinds(self) -> dict[str, str]:
        """The top-level workload kinds the cluster would not list, with the reason: their workloads are
        missing from `workloads()`, so each becomes an unverified test of its own instead."""
        return {kind: self.snapshot.denied[kind] for kind in TOP_LEVEL_KINDS if kind in self.snapshot.denied}

    def workloads(self) -> list[Workload]:
        if self._workloads is None:
            self._workloads = [w for w in super().workloads() if is_top_level(w)]
        return list(self._workloads)

    def __repr__(self) -> str:  # shown in failure reports of every check that takes it as an argument
        return f"LiveObjects({self.name}, {len(self.objects)} objects)"


def _by_kind(objects: list[KubeObject]) -> dict[str, list[KubeObject]]:
    found: dict[str, list[KubeObject]] = {}
    for obj in objects:
        found.setdefault(obj.kind, []).append(obj)
    return found


def live_objects(config: pytest.Config) -> LiveObjects:
    """The session's snapshot with its index; raises as `load_cluster` does."""
    snapshot = load_cluster(config)
    return cache_of(config).get("cluster_objects", lambda: LiveObjects(snapshot))


def cluster_object_sets(config: pytest.Config) -> list[ObjectSet]:
    """The cluster for `fixtures.object_sets`: none without a target, one error param if unreadable."""
    settings = settings_of(config)
    if cluster_target(settings) is None:
        return []
    try:
        return [live_objects(config)]
    except SourceError as error:
        return [ObjectSet(cluster_name(settings), [], [ParseProblem(Location(UNAVAILABLE), error.problem)])]


@dataclass(frozen=True, repr=False)
class SnapshotIndex:
    """A snapshot's objects by kind, and its pods and events by owner: built once, so that per-workload
    lookups stay cheap with thousands of objects."""

    by_kind: Mapping[str, list[KubeObject]]
    pods_by_controller: Mapping[str, list[KubeObject]]
    replica_sets_by_controller: Mapping[str, list[KubeObject]]
    events_by_pod: Mapping[str, list[KubeObject]]

    @classmethod
    def of(cls, snapshot: ClusterSnapshot) -> SnapshotIndex:
        pods: dict[str, list[KubeObject]] = {}
        replica_sets: dict[str, list[KubeObject]] = {}
        events: dict[str, list[KubeObject]] = {}
        for obj in snapshot.objects:
            if obj.kind in ("Pod", "ReplicaSet"):
                owner = controller_uid(obj)
                if owner is not None:
                    (pods if obj.kind == "Pod" else replica_sets).setdefault(owner, []).append(obj)
            elif obj.kind == "Event":
                involved = obj.body.get("involvedObject") or {}
                if involved.get("kind") == "Pod":
                    events.setdefault(str(involved.get("name")), []).append(obj)
        return cls(_by_kind(snapshot.objects), pods, replica_sets, events)


def pods_of(snapshot: ClusterSnapshot, workload: Workload, index: SnapshotIndex | None = None) -> list[KubeObject]:
    """The live pods a workload controls (through its ReplicaSets for a Deployment)."""
    if workload.obj.kind == "Pod":
        return [workload.obj]
    snapshot.require("Pod")  # ClusterUnavailable when pods could not be listed
    index = index or SnapshotIndex.of(snapshot)
    if workload.obj.kind == "Deployment" and "ReplicaSet" in snapshot.denied:
        selector = workload.obj.spec.get("selector")
        return [p for p in index.by_kind.get("Pod", []) if p.namespace == workload.obj.namespace
                and selector_matches(selector, p.labels)]
    owners = [str(workload.obj.metadata.get("uid"))]
    if workload.obj.kind == "Deployment":
        owners += [str(rs.metadata.get("uid")) for rs in index.replica_sets_by_controller.get(owners[0], [])]
    return [pod for owner in owners for pod in index.pods_by_controller.get(owner, [])]


# --- one test per live workload for the cluster-only checks ----------------------------------------

@dataclass(frozen=True)
class LiveWorkload:
    """A top-level workload of the live cluster, with the snapshot it came from."""

    snapshot: ClusterSnapshot
    workload: Workload
    index: SnapshotIndex

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
        pods = pods_of(self.snapshot, self.workload, self.index)
        return [p for p in pods if not p.metadata.get("deletionTimestamp")]

    def events_of(self, pod: KubeObject) -> list[KubeObject]:
        return self.index.events_by_pod.get(pod.name, [])

    def of_kind(self, kind: str) -> list[KubeObject]:
        return list(self.index.by_kind.get(kind, []))

    def __str__(self) -> str:
        return str(self.location)

    def __repr__(self) -> str:  # the snapshot holds every object of the namespace: keep tracebacks short
        return f"LiveWorkload({self.location})"


@dataclass(frozen=True)
class ClusterParam:
    live: LiveWorkload | None = None
    problem: Unverified | SourceError | None = None

    @property
    def waiver_object(self) -> KubeObject | None:
        """The live workload whose `readiness.io/waive-<id>` annotations may waive this case's result."""
        return self.live.workload.obj if self.live is not None else None


def _cluster_params(config: pytest.Config) -> list[tuple[ClusterParam, str]]:
    settings = settings_of(config)
    try:
        live = live_objects(config)
    except Unverified as absent:
        return [(ClusterParam(problem=absent), "no-cluster")]
    except SourceError as error:
        return [(ClusterParam(problem=error), f"{cluster_name(settings)}:{UNAVAILABLE}")]
    snapshot, prefix = live.snapshot, f"{live.name}:"
    params = [(ClusterParam(problem=Unverified(reason)), f"{prefix}{kind}")
              for kind, reason in live.unlisted_workload_kinds().items()]
    params += [(ClusterParam(LiveWorkload(snapshot, w, live.index)), f"{prefix}{w.ref}") for w in live.workloads()]
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
    raise_afresh(param.problem)
    return param


@pytest.fixture
def cluster_workload(cluster_param: ClusterParam) -> LiveWorkload:
    """One top-level workload of the live cluster (id `cluster:<context>:Deployment/msft-agent`)."""
    assert cluster_param.live is not None
    return cluster_param.live
