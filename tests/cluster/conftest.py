"""A live cluster for `pytest --readiness` runs: the loopback API emulator, a kubeconfig that reaches it,
and builders for the agent's live workloads, healthy or broken in one way each."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_readiness.sources.kube.cluster import ClusterTarget, load_snapshot
from tests.conftest import ReadinessRun
from tests.emulators import kube_objects as k
from tests.emulators.kube_api import KubeApiEmulator

Obj = dict[str, Any]
CONTEXT = "test-ctx"
NS = k.NAMESPACE
NODES = [k.node(f"aks-agentpool-31207608-vmss00000{i}", zone) for i, zone in enumerate(k.ZONES)]
SERVER_FIELDS = ("uid", "resourceVersion", "creationTimestamp", "generation", "annotations", "managedFields")


def ago(**delta: float) -> str:
    """An API timestamp this long before now (restarts are judged against the real clock)."""
    return (datetime.now(UTC) - timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class LiveWorkload:
    """A Deployment with its ReplicaSet and pods as the cluster holds them."""

    deployment: Obj
    replica_set: Obj
    pods: list[Obj]

    @property
    def objects(self) -> list[Obj]:
        return [self.deployment, self.replica_set, *self.pods]

    def pod(self, suffix: str) -> Obj:
        return next(p for p in self.pods if p["metadata"]["name"].endswith(suffix))


def live_deployment(name: str = k.APP, *, zones: tuple[int, ...] = (0, 1, 2), image: str = k.AGENT_IMAGE,
                    ready: int | None = None, **pod_spec: Any) -> LiveWorkload:
    """A healthy Deployment with one ready pod per entry of `zones` (an index into NODES); `pod_spec` changes
    its pod template (a None value removes the field)."""
    agent = k.deployment(name, replicas=len(zones), ready_replicas=ready, containers=[k.container(image=image)])
    template = agent["spec"]["template"]["spec"]
    template.update(pod_spec)
    for field in [key for key, value in template.items() if value is None]:
        del template[field]
    current = k.replica_set(agent)
    pods = [k.pod(current, f"p{i}{zone}", node_name=NODES[zone]["metadata"]["name"]) for i, zone in enumerate(zones)]
    return LiveWorkload(agent, current, pods)


def restarted(pod: Obj, restarts: int, *, finished: str, started: str | None = None,
              crash_looping: bool = False, reason: str = "Error") -> Obj:
    """`pod` with its first container restarted `restarts` times, the last finishing at `finished`."""
    status = pod["status"]["containerStatuses"][0]
    status["restartCount"] = restarts
    status["lastState"] = {"terminated": {"exitCode": 1, "reason": reason, "startedAt": finished,
                                          "finishedAt": finished, "containerID": "containerd://" + "0" * 64}}
    if crash_looping:
        status["state"] = {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting"}}
        status["ready"] = status["started"] = False
        for condition in pod["status"]["conditions"]:
            if condition["type"] in ("Ready", "ContainersReady"):
                condition.update(status="False", reason="ContainersNotReady")
    if started:
        pod["status"]["startTime"] = started
    return pod


def healthy_companions(workload: LiveWorkload, *, pdb: bool = True, hpa: bool = True,
                       policy: bool = True) -> list[Obj]:
    """The PDB, HPA and NetworkPolicy a healthy agent Deployment has in the cluster."""
    name = workload.deployment["metadata"]["name"]
    labels = workload.deployment["spec"]["template"]["metadata"]["labels"]
    objects = []
    if pdb:
        objects.append(k.pod_disruption_budget(name, selector_labels=labels))
    if hpa:
        objects.append(k.horizontal_pod_autoscaler(name, target=name))
    if policy:
        objects.append(k.network_policy(f"{name}-allow-ingress", pod_labels=labels,
                                        allow_from_namespace="app-routing-system"))
    return objects


def as_manifest(obj: Mapping[str, Any], **spec_changes: Any) -> Obj:
    """What the repo holds for a live object: no status, no server-set metadata."""
    manifest = copy.deepcopy(dict(obj))
    manifest.pop("status", None)
    for field in SERVER_FIELDS:
        manifest["metadata"].pop(field, None)
    manifest["spec"].update(spec_changes)
    return manifest


def manifest_files(*objects: Mapping[str, Any]) -> dict[str, str]:
    return {f"deployment/kubernetes/{o['kind'].lower()}-{o['metadata']['name']}.yaml":
            yaml.safe_dump(o, sort_keys=False) for o in objects}


@pytest.fixture(scope="session", autouse=True)
def modules_loaded(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Load the kubernetes client's lazily imported API and model modules once, in this process: pytester
    drops modules first imported inside a run, and re-importing them costs seconds per run."""
    with KubeApiEmulator() as api:
        api.add_many(k.agent_stack())
        kubeconfig = api.write_kubeconfig(tmp_path_factory.mktemp("warm") / "kubeconfig")
        load_snapshot(ClusterTarget(str(kubeconfig), None, None)).close()


@pytest.fixture
def kube_api() -> Iterator[KubeApiEmulator]:
    with KubeApiEmulator() as emulator:
        yield emulator


@pytest.fixture
def kubeconfig(kube_api: KubeApiEmulator, tmp_path: Path) -> Path:
    return kube_api.write_kubeconfig(tmp_path / "kubeconfig", context=CONTEXT)


@pytest.fixture
def cluster_args(kubeconfig: Path) -> tuple[str, ...]:
    # `--flag=value`: pytest finds the rootdir before it knows plugin flags, and would take a bare value for a path
    return (f"--readiness-kubeconfig={kubeconfig}", f"--readiness-kube-context={CONTEXT}",
            f"--readiness-namespace={NS}")


RunCluster = Callable[..., ReadinessRun]


@pytest.fixture
def run_cluster(run_readiness: Callable[..., ReadinessRun], cluster_args: tuple[str, ...]) -> RunCluster:
    """`run_readiness` against the emulator: `run_cluster(files, "-m", "cluster")`."""

    def run(files: Mapping[str, str] | None = None, *args: str) -> ReadinessRun:
        return run_readiness(dict(files or {}), *cluster_args, *args)

    return run
