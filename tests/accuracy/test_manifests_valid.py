"""OPS-MANIFESTS-VALID: a Helm chart's metadata and values are not manifests; an HPA or PDB that selects
nothing and a probe naming no container port are what `kubectl apply` or kube-score would catch."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.accuracy.shapes import DOCKERFILE_NON_ROOT, deployment, doc
from tests.conftest import REPO_ROOT, ReadinessRun

Runner = Callable[..., ReadinessRun]
K8S = "k8s"
HPA = doc("""
    apiVersion: autoscaling/v2
    kind: HorizontalPodAutoscaler
    metadata:
      name: shop
    spec:
      scaleTargetRef:
        apiVersion: apps/v1
        kind: Deployment
        name: {target}
      minReplicas: 2
      maxReplicas: 6
""")
PDB = doc("""
    apiVersion: policy/v1
    kind: PodDisruptionBudget
    metadata:
      name: shop
    spec:
      minAvailable: 1
      selector:
        matchLabels:
          app: {app}
""")
PROBED = deployment(extra="""
    readinessProbe:
      httpGet:
        path: /health/ready
        port: PROBE_PORT
""").replace("containerPort: 8080", "containerPort: 8080\n          name: web")


def tree(*objects: str) -> dict[str, str]:
    files = {"Dockerfile": DOCKERFILE_NON_ROOT, "pytest.ini": f"[pytest]\nreadiness_manifests = {K8S}\n"}
    files.update({f"{K8S}/object-{i}.yaml": text for i, text in enumerate(objects)})
    return files


def valid(run_readiness: Runner, files: dict[str, str]) -> ReadinessRun:
    return run_readiness(files, "-k", "manifests_validate")


CASES = {
    "hpa-targets-a-missing-deployment": (tree(deployment(), HPA.format(target="shop-api")), "failed",
                                         "scaleTargetRef Deployment/shop-api is not in the manifests"),
    "pdb-selects-nothing": (tree(deployment(), PDB.format(app="shop-api")), "failed", "selects no pod template"),
    "probe-names-no-port": (tree(PROBED.replace("PROBE_PORT", "http")), "failed",
                            "readinessProbe.httpGet.port 'http' names no port of the container (named ports: web)"),
    "all-wired": (tree(PROBED.replace("PROBE_PORT", "web"), HPA.format(target="shop"), PDB.format(app="shop")),
                  "passed", ""),
    "numeric-probe-port": (tree(PROBED.replace("PROBE_PORT", "8080")), "passed", ""),
}


@pytest.mark.parametrize("name", CASES)
def test_selectors_and_probe_ports(run_readiness: Runner, name: str) -> None:
    files, status, detail = CASES[name]
    run = valid(run_readiness, files)
    assert run.status("OPS-MANIFESTS-VALID") == status, run.messages.get("OPS-MANIFESTS-VALID")
    assert detail in run.messages["OPS-MANIFESTS-VALID"]


@pytest.fixture
def helm_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A `helm` that renders: the binary, or Helm's Go engine through helm-python-sdk (tests/helm_shim.py)."""
    if shutil.which("helm") is None:
        pytest.importorskip("helm_python", reason="needs a helm binary or the helm-python-sdk package")
        bin_dir = tmp_path / "helm-bin"
        bin_dir.mkdir()
        launcher = bin_dir / "helm"
        launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{REPO_ROOT / "tests" / "helm_shim.py"}" "$@"\n')
        launcher.chmod(0o755)
        monkeypatch.setenv("PATH", f"{bin_dir}:{Path(sys.executable).parent}:/usr/bin:/bin")


CHART = {
    "pytest.ini": "[pytest]\nreadiness_manifests = charts/shop\n",
    "Dockerfile": DOCKERFILE_NON_ROOT,
    "charts/shop/Chart.yaml": "apiVersion: v2\nname: shop\nversion: 0.3.0\nappVersion: 1.2.0\n",
    "charts/shop/values.yaml": "replicaCount: 2\nimage:\n  repository: contoso.azurecr.io/shop\n  tag: 1.2.0\n",
    "charts/shop/values-prod.yaml": "replicaCount: 3\n",
    "charts/shop/templates/deployment.yaml": deployment().replace("replicas: 2",
                                                                  "replicas: {{ .Values.replicaCount }}"),
}


def test_a_helm_chart_is_not_judged_as_plain_manifests(run_readiness: Runner, helm_on_path: None) -> None:
    run = valid(run_readiness, CHART)
    assert run.status("OPS-MANIFESTS-VALID") == "passed", run.messages.get("OPS-MANIFESTS-VALID")
    assert "has no kind" not in run.junit


def test_a_chart_beside_plain_manifests_only_the_plain_ones_are_read_as_objects(run_readiness: Runner,
                                                                              helm_on_path: None) -> None:
    files = {**{k.replace("charts/shop", "k8s/chart"): v for k, v in CHART.items() if k.startswith("charts/")},
             **tree(doc("kind: Deployment\nmetadata:\n  name: broken\n"))}
    run = valid(run_readiness, files)
    assert run.status("OPS-MANIFESTS-VALID") == "failed"
    message = run.messages["OPS-MANIFESTS-VALID"]
    assert "k8s/object-0.yaml:1: the object has no apiVersion" in message
    assert "Chart.yaml" not in message and "values" not in message
