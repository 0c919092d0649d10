"""A readiness.io/waive-<check> annotation on a live workload waives that workload's cluster results."""

from __future__ import annotations

import pytest

from tests.cluster.conftest import (  # noqa: F401 - fixtures used by name: the loopback API emulator
    CONTEXT,
    RunCluster,
    cluster_args,
    kube_api,
    kubeconfig,
    modules_loaded,
    run_cluster,
)
from tests.emulators import kube_objects as k
from tests.emulators.kube_api import KubeApiEmulator

LIVE_CHECK = """
from pytest_readiness import Evidence, check


@check("ORG-LIVE-SIZE", title="Live workloads run five pods", category="reliability", priority="critical")
def test_vcheck_live_size(cluster_workload, evidence: Evidence) -> None:
    pods = cluster_workload.pods()
    evidence.add(f"{len(pods)} pods", cluster_workload.location)
    assert len(pods) >= 5, f"{cluster_workload}: {len(pods)} pods"
"""
TARGET = f"ORG-LIVE-SIZE[cluster:{CONTEXT}:Deployment/{k.APP}]"


@pytest.mark.parametrize(("ignore", "status"), [(False, "waived"), (True, "failed")])
def test_an_annotation_on_the_live_workload_waives_unless_ignored(
        kube_api: KubeApiEmulator, run_cluster: RunCluster,  # noqa: F811 - the imported fixtures
        monkeypatch: pytest.MonkeyPatch, ignore: bool, status: str) -> None:
    monkeypatch.setenv("READINESS_TODAY", "2026-11-25")
    stack = k.agent_stack()
    for obj in stack:
        if obj["kind"] in ("Deployment", "StatefulSet", "DaemonSet"):
            obj["metadata"].setdefault("annotations", {})["readiness.io/waive-org-live-size"] = "sized by the HPA"
    kube_api.add_many(stack)
    run = run_cluster({"conftest.py": LIVE_CHECK}, "-k", "vcheck",
                      *(["--readiness-ignore-annotations"] if ignore else []))
    assert run.status(TARGET) == status, run.output[-3000:]
    assert set(run.statuses.values()) == {status}  # the redis StatefulSet and collector DaemonSet alike
    assert run.result.ret == (0 if status == "waived" else 1)
