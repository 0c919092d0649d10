"""Kustomize directories and Helm charts rendered by real tools, offline, with findings at the source file.

Kustomize runs for real (`kubectl kustomize`); Helm runs on its own Go engine (a `helm` binary when one
is on PATH, else `tests/helm_shim.py` over the helm-python-sdk package). Small recording scripts named
`kustomize`/`helm` prove which command line and environment a tool gets, and that nothing runs at all
when a kustomization names a remote base. Each test sets PATH to exactly the tools it means to offer.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from pytest_readiness.api import Unverified
from pytest_readiness.results import Location
from pytest_readiness.sources.kube import manifests, rendering
from pytest_readiness.sources.kube.model import ObjectSet
from pytest_readiness.sources.kube.rendering import HelmOptions
from tests.conftest import write_tree

SHIM = Path(__file__).with_name("helm_shim.py")

DEPLOYMENT = """
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: agent
      labels: {app: agent}
    spec:
      replicas: 1
      selector: {matchLabels: {app: agent}}
      template:
        metadata: {labels: {app: agent}}
        spec:
          containers:
            - name: agent
              image: agent:1.0
              securityContext: {runAsUser: 0}
"""
SERVICE = """
    # the agent's HTTP port
    apiVersion: v1
    kind: Service
    metadata:
      name: agent
    spec:
      selector: {app: agent}
      ports: [{port: 80, targetPort: 8000}]
"""
BASE = {
    "base/kustomization.yaml": """
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        resources:
          - deployment.yaml
          - service.yaml
        configMapGenerator:
          - name: agent-config
            literals: [LOG_LEVEL=info]
    """,
    "base/deployment.yaml": DEPLOYMENT,
    "base/service.yaml": SERVICE,
}
PROD = {
    "overlays/prod/kustomization.yaml": """
        resources:
          - ../../base
        namePrefix: prod-
        namespace: msft-agent
        patches:
          - path: replicas.yaml
    """,
    "overlays/prod/replicas.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: agent
        spec:
          replicas: 3
    """,
}

CHART = {
    "chart/Chart.yaml": "apiVersion: v2\nname: agent\nversion: 0.1.0\n",
    "chart/values.yaml": "replicas: 1\nimage: agent:1.0\n",
    "chart/templates/_helpers.tpl": '{{- define "agent.name" -}}{{ .Release.Name }}-agent{{- end -}}\n',
    "chart/templates/NOTES.txt": "Installed {{ .Release.Name }}.\n",
    "chart/templates/deployment.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {{ include "agent.name" . }}
        spec:
          replicas: {{ .Values.replicas }}
          selector: {matchLabels: {app: agent}}
          template:
            metadata: {labels: {app: agent}}
            spec:
              containers:
                - name: agent
                  image: {{ .Values.image | quote }}
    """,
    "chart/templates/services.yaml": """
        {{- range $port := list 80 9090 }}
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: agent-{{ $port }}
        spec:
          ports: [{port: {{ $port }}}]
        {{- end }}
    """,
    "chart/templates/tests/connection.yaml": """
        apiVersion: v1
        kind: Pod
        metadata:
          name: connection-test
          annotations:
            helm.sh/hook: test
        spec:
          containers: [{name: wget, image: busybox}]
    """,
    "chart/templates/tests/legacy.yaml": """
        apiVersion: v1
        kind: Pod
        metadata:
          name: legacy-test
          annotations: {helm.sh/hook: "test-success, post-install"}
        spec:
          containers: [{name: wget, image: busybox}]
    """,
    "chart/charts/cache/Chart.yaml": "apiVersion: v2\nname: cache\nversion: 0.1.0\n",
    "chart/charts/cache/templates/statefulset.yaml": """
        apiVersion: apps/v1
        kind: StatefulSet
        metadata:
          name: cache
        spec:
          serviceName: cache
          selector: {matchLabels: {app: cache}}
          template:
            metadata: {labels: {app: cache}}
            spec:
              containers: [{name: redis, image: redis:7}]
    """,
}
RENDERED_BY_FAKE = """---
# Source: agent/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: fixed-agent
spec:
  template:
    spec:
      containers: [{name: agent, image: agent:1.0}]
"""

FAKE_TOOL = """#!{python}
import json, os, sys
with open({log!r}, "a", encoding="utf-8") as log:
    log.write(json.dumps({{"argv": sys.argv[1:], "env": dict(os.environ)}}) + "\\n")
sys.stdout.write({output!r})
sys.stderr.write({error!r})
sys.exit({code})
"""


def _line_of(files: Mapping[str, str], path: str, needle: str) -> int:
    lines = textwrap.dedent(files[path]).lstrip("\n").splitlines()
    return next(i for i, line in enumerate(lines, 1) if needle in line)


def _load(project: Path, relative: str, **options: object) -> ObjectSet:
    return manifests.load(project, relative, **options)  # type: ignore[arg-type]


def _by_ref(objects: ObjectSet) -> dict[str, Location]:
    found: dict[str, Location] = {}
    for obj in objects.objects:
        assert obj.ref not in found, f"{obj.ref} loaded twice: {found[obj.ref]} and {obj.location}"
        found[obj.ref] = obj.location
    return found


# --- the tools a test offers --------------------------------------------------------------------

@pytest.fixture
def offer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """Set PATH to a fresh directory holding exactly the given tools (name -> executable path)."""

    def offer_tools(**tools: Path) -> Path:
        bin_dir = tmp_path / f"bin{len(list(tmp_path.glob('bin*')))}"
        bin_dir.mkdir()
        for name, target in tools.items():
            (bin_dir / name).symlink_to(target)
        monkeypatch.setenv("PATH", str(bin_dir))
        return bin_dir

    return offer_tools


@pytest.fixture
def kubectl() -> Path:
    found = shutil.which("kubectl")
    if found is None:
        pytest.skip("kubectl (with its built-in kustomize) is not installed")
    return Path(found)


@pytest.fixture
def real_helm(tmp_path: Path) -> Path:
    """A `helm` that really renders: the helm binary, or Helm's Go engine through helm-python-sdk."""
    found = shutil.which("helm")
    if found is not None:
        return Path(found)
    pytest.importorskip("helm_python", reason="needs a helm binary or the helm-python-sdk package")
    launcher = tmp_path / "helm-shim"
    launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{SHIM}" "$@"\n', encoding="utf-8")
    launcher.chmod(0o755)
    return launcher


@pytest.fixture
def fake_tool(tmp_path: Path) -> Callable[..., tuple[Path, Path]]:
    """A script that records its argv and environment in a log, prints `output` and exits with `code`."""

    def make(name: str, output: str = "", error: str = "", code: int = 0) -> tuple[Path, Path]:
        script, log = tmp_path / f"fake-{name}", tmp_path / f"fake-{name}.log"
        script.write_text(FAKE_TOOL.format(python=sys.executable, log=str(log), output=output, error=error,
                                           code=code), encoding="utf-8")
        script.chmod(0o755)
        return script, log

    return make


def _calls(log: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []


# --- kustomize ----------------------------------------------------------------------------------

def test_overlay_is_rendered_once_and_objects_point_at_the_base(tmp_path: Path, offer, kubectl) -> None:
    offer(kubectl=kubectl)
    write_tree(tmp_path / "k8s", {**BASE, **PROD})
    objects = _load(tmp_path, "k8s")
    assert objects.problems == []
    located = _by_ref(objects)
    assert set(located) == {"Deployment/prod-agent", "Service/prod-agent", next(
        r for r in located if r.startswith("ConfigMap/prod-agent-config-"))}  # the base is not loaded alone
    assert str(located["Deployment/prod-agent"]) == "k8s/base/deployment.yaml:1"
    assert str(located["Service/prod-agent"]) == "k8s/base/service.yaml:2"
    config_map = next(loc for ref, loc in located.items() if ref.startswith("ConfigMap/"))
    assert str(config_map) == f"k8s/base/kustomization.yaml:{_line_of(BASE, 'base/kustomization.yaml', '- name:')}"
    deployment = next(o for o in objects.objects if o.kind == "Deployment")
    assert deployment.spec["replicas"] == 3 and deployment.namespace == "msft-agent"


def test_each_overlay_is_rendered_and_the_base_never_alone(tmp_path: Path, offer, kubectl) -> None:
    offer(kubectl=kubectl)
    dev = {"overlays/dev/kustomization.yaml": "resources: [../../base]\nnamePrefix: dev-\nnameSuffix: -v2\n"}
    write_tree(tmp_path, {**BASE, **PROD, **dev})
    located = _by_ref(_load(tmp_path, "."))
    workloads = {ref: str(loc) for ref, loc in located.items() if ref.startswith("Deployment/")}
    assert workloads == {"Deployment/dev-agent-v2": "base/deployment.yaml:1",
                         "Deployment/prod-agent": "base/deployment.yaml:1"}


def test_kustomize_files_are_not_also_read_as_plain_manifests(tmp_path: Path, offer, kubectl) -> None:
    offer(kubectl=kubectl)
    write_tree(tmp_path, {**BASE, **PROD,
                          "base/unused/job.yaml": "apiVersion: batch/v1\nkind: Job\nmetadata: {name: stray}\n",
                          "plain/pdb.yaml": "apiVersion: policy/v1\nkind: PodDisruptionBudget\n"
                                            "metadata: {name: agent}\nspec: {maxUnavailable: 1}\n"})
    located = _by_ref(_load(tmp_path, "."))
    assert "Job/stray" not in located and "Deployment/agent" not in located
    assert str(located["PodDisruptionBudget/agent"]) == "plain/pdb.yaml:1"
    assert manifests.plain_manifest_files(tmp_path) == [tmp_path / "plain/pdb.yaml"]
    assert tmp_path / "base/deployment.yaml" in set(manifests.manifest_files(tmp_path))  # still scanned as text


def test_a_kustomization_file_given_as_the_target_renders_its_directory(tmp_path: Path, offer, kubectl) -> None:
    offer(kubectl=kubectl)
    write_tree(tmp_path, {**BASE, **PROD})
    located = _by_ref(_load(tmp_path, "overlays/prod/kustomization.yaml"))
    assert str(located["Deployment/prod-agent"]) == "base/deployment.yaml:1"


@pytest.mark.parametrize("remote", [
    "https://github.com/example/agent//deploy/base?ref=v1.2.0",
    "github.com/example/agent/deploy/base?ref=main",
    "git@github.com:example/agent.git",
    "git::https://example.com/agent.git//base",
    "example.com/org/agent/base",
])
def test_remote_bases_are_refused_and_no_tool_runs(tmp_path: Path, offer, fake_tool, remote: str) -> None:
    kustomize, log = fake_tool("kustomize", output=RENDERED_BY_FAKE)
    offer(kustomize=kustomize)
    write_tree(tmp_path, {**BASE, "overlays/prod/kustomization.yaml": f"resources:\n  - ../../base\n  - {remote}\n"})
    objects = _load(tmp_path, ".")
    assert objects.objects == []
    [problem] = objects.problems
    assert str(problem.location) == "overlays/prod/kustomization.yaml:3"
    assert f"remote kustomize base {remote!r} is not fetched" in problem.message
    assert _calls(log) == []


def test_a_remote_base_deep_in_the_tree_is_refused_at_its_line(tmp_path: Path, offer, fake_tool) -> None:
    kustomize, log = fake_tool("kustomize", output=RENDERED_BY_FAKE)
    offer(kustomize=kustomize)
    base = dict(BASE)
    base["base/kustomization.yaml"] = "resources:\n  - deployment.yaml\ncomponents:\n  - https://example.com/c.git\n"
    write_tree(tmp_path, {**base, **PROD})
    [problem] = _load(tmp_path, ".").problems
    assert str(problem.location) == "base/kustomization.yaml:4" and "not fetched" in problem.message
    assert _calls(log) == []


def test_helm_charts_inside_a_kustomization_are_refused(tmp_path: Path, offer, fake_tool) -> None:
    kustomize, log = fake_tool("kustomize", output=RENDERED_BY_FAKE)
    offer(kustomize=kustomize)
    write_tree(tmp_path, {"kustomization.yaml": "helmCharts:\n  - name: redis\n    repo: https://charts.example\n"})
    [problem] = _load(tmp_path, ".").problems
    assert str(problem.location) == "kustomization.yaml:1" and "--enable-helm" in problem.message
    assert _calls(log) == []


def test_a_missing_resource_is_reported_at_its_line(tmp_path: Path, offer, kubectl) -> None:
    offer(kubectl=kubectl)
    write_tree(tmp_path, {**BASE, "overlays/prod/kustomization.yaml": "resources:\n  - ../../base\n  - gone.yaml\n"})
    [problem] = _load(tmp_path, ".").problems
    assert str(problem.location) == "overlays/prod/kustomization.yaml:3"
    assert problem.message == "'gone.yaml' does not exist"


def test_malformed_kustomization_is_a_problem_with_its_line_and_plain_files_still_load(
        tmp_path: Path, offer, kubectl) -> None:
    offer(kubectl=kubectl)
    write_tree(tmp_path, {"app/kustomization.yaml": "resources:\n  - a.yaml\n namePrefix: [x\n",
                          "plain/service.yaml": SERVICE})
    objects = _load(tmp_path, ".")
    [problem] = objects.problems
    assert problem.location.path == "app/kustomization.yaml" and problem.location.line == 3
    assert "invalid YAML" in problem.message
    assert [o.ref for o in objects.objects] == ["Service/agent"]


def test_malformed_resource_in_a_base_is_a_problem_with_its_file_and_line(tmp_path: Path, offer, kubectl) -> None:
    offer(kubectl=kubectl)
    broken = "apiVersion: v1\nkind: Service\nmetadata:\n  name: [x\n"
    write_tree(tmp_path, {**BASE, **PROD, "base/service.yaml": broken})
    [problem] = _load(tmp_path, ".").problems
    assert problem.location == Location("base/service.yaml", 5) and "invalid YAML" in problem.message


def test_a_failing_build_reports_the_kustomize_error_text(tmp_path: Path, offer, kubectl) -> None:
    offer(kubectl=kubectl)
    prod = dict(PROD)
    prod["overlays/prod/replicas.yaml"] = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: nothere}\n"
    write_tree(tmp_path, {**BASE, **prod})
    [problem] = _load(tmp_path, ".").problems
    assert str(problem.location) == "overlays/prod/kustomization.yaml"
    assert problem.message.startswith("kubectl kustomize failed: ") and "nothere" in problem.message
    assert str(tmp_path) not in problem.message


def test_without_kustomize_or_kubectl_the_manifests_are_unverified(tmp_path: Path, offer) -> None:
    offer()
    write_tree(tmp_path, {**BASE, **PROD})
    with pytest.raises(Unverified) as absent:
        _load(tmp_path, ".")
    assert absent.value.reason == (
        "Kustomization at overlays/prod needs `kustomize` or `kubectl` on PATH to render; or give rendered "
        "YAML with --readiness-manifests rendered.yaml (or - for stdin)")


def test_a_kustomize_binary_is_preferred_and_runs_offline(tmp_path: Path, offer, kubectl, fake_tool) -> None:
    job = "---\napiVersion: batch/v1\nkind: Job\nmetadata: {name: migrate}\n"
    kustomize, log = fake_tool("kustomize", output=RENDERED_BY_FAKE + job)
    offer(kustomize=kustomize, kubectl=kubectl)
    write_tree(tmp_path, {**BASE, **PROD})
    located = _by_ref(_load(tmp_path, "."))
    assert str(located["Deployment/fixed-agent"]) == "base/deployment.yaml:1"  # a name transform we did not model
    assert str(located["Job/migrate"]) == "kustomize:overlays/prod"  # no source defines it
    [call] = _calls(log)
    assert call["argv"] == ["build", str(tmp_path / "overlays/prod")]
    env = call["env"]
    assert isinstance(env, dict)
    assert env["HTTPS_PROXY"] == env["https_proxy"] == env["HTTP_PROXY"] == "http://127.0.0.1:9"
    assert (env["GIT_ALLOW_PROTOCOL"], env["KUBECONFIG"]) == ("file", os.devnull)
    assert "NO_PROXY" not in env and "no_proxy" not in env


def test_a_tool_that_hangs_is_stopped_with_a_problem(tmp_path: Path) -> None:
    sleeper = tmp_path / "sleeper"
    sleeper.write_text(f"#!{sys.executable}\nimport time\ntime.sleep(30)\n", encoding="utf-8")
    sleeper.chmod(0o755)
    output, problem = rendering.run_tool([str(sleeper)], "kustomize build", Location("k/kustomization.yaml"),
                                         tmp_path, timeout=0.5)
    assert output == "" and problem is not None
    assert str(problem) == "k/kustomization.yaml: kustomize build did not finish within 0.5 s"


# --- helm ---------------------------------------------------------------------------------------

def test_chart_is_rendered_with_values_and_release_and_located_at_templates(tmp_path: Path, offer, real_helm) -> None:
    offer(helm=real_helm)
    write_tree(tmp_path, {**CHART, "values-prod.yaml": "replicas: 3\n"})
    options = HelmOptions((tmp_path / "values-prod.yaml",), "prod")
    objects = _load(tmp_path, "chart", helm=options)
    assert objects.problems == []
    located = {ref: str(loc) for ref, loc in _by_ref(objects).items()}
    kind_line = _line_of(CHART, "chart/templates/services.yaml", "kind: Service")
    assert located == {
        "Deployment/prod-agent": "chart/templates/deployment.yaml:2",
        "Service/agent-80": f"chart/templates/services.yaml:{kind_line}",
        "Service/agent-9090": f"chart/templates/services.yaml:{kind_line}",
        "StatefulSet/cache": "chart/charts/cache/templates/statefulset.yaml:2",
    }  # the helm test Pods are left out
    deployment = next(o for o in objects.objects if o.kind == "Deployment")
    assert deployment.spec["replicas"] == 3


def test_chart_templates_are_never_read_as_plain_yaml(tmp_path: Path, offer, real_helm) -> None:
    offer(helm=real_helm)
    write_tree(tmp_path, {**{f"k8s/{k}": v for k, v in CHART.items()}, "k8s/plain/service.yaml": SERVICE})
    objects = _load(tmp_path, "k8s")
    assert objects.problems == []
    assert sorted(o.ref for o in objects.objects) == [
        "Deployment/release-name-agent", "Service/agent", "Service/agent-80", "Service/agent-9090",
        "StatefulSet/cache"]
    assert manifests.plain_manifest_files(tmp_path / "k8s") == [tmp_path / "k8s/plain/service.yaml"]


def test_helm_gets_release_chart_and_values_files_and_runs_offline(tmp_path: Path, offer, fake_tool) -> None:
    helm, log = fake_tool("helm", output=RENDERED_BY_FAKE)
    offer(helm=helm)
    write_tree(tmp_path, {**CHART, "v/base.yaml": "replicas: 2\n", "v/prod.yaml": "replicas: 3\n"})
    options = HelmOptions((tmp_path / "v/base.yaml", tmp_path / "v/prod.yaml"), "agent-prod")
    located = _by_ref(_load(tmp_path, "chart/Chart.yaml", helm=options))
    assert str(located["Deployment/fixed-agent"]) == "chart/templates/deployment.yaml:2"
    [call] = _calls(log)
    assert call["argv"] == ["template", "agent-prod", str(tmp_path / "chart"),
                            "-f", str(tmp_path / "v/base.yaml"), "-f", str(tmp_path / "v/prod.yaml")]
    env = call["env"]
    assert isinstance(env, dict) and env["HTTPS_PROXY"] == "http://127.0.0.1:9" and env["KUBECONFIG"] == os.devnull


def test_a_missing_values_file_is_a_problem(tmp_path: Path, offer, fake_tool) -> None:
    helm, log = fake_tool("helm", output=RENDERED_BY_FAKE)
    offer(helm=helm)
    write_tree(tmp_path, CHART)
    objects = _load(tmp_path, "chart", helm=HelmOptions((tmp_path / "values-prod.yaml",)))
    assert [str(p) for p in objects.problems] == ["values-prod.yaml: Helm values file for chart does not exist"]
    assert _calls(log) == []


def test_a_failing_template_reports_helms_error_text(tmp_path: Path, offer, real_helm) -> None:
    offer(helm=real_helm)
    write_tree(tmp_path, {**CHART, "chart/templates/broken.yaml": "kind: {{ .Values.missing.deeper }}\n"})
    [problem] = _load(tmp_path, "chart").problems
    assert str(problem.location) == "chart/Chart.yaml"
    assert problem.message.startswith("helm template failed: ") and "broken.yaml" in problem.message


def test_without_helm_the_manifests_are_unverified(tmp_path: Path, offer, kubectl) -> None:
    offer(kubectl=kubectl)
    write_tree(tmp_path, {**{f"k8s/{k}": v for k, v in CHART.items()}, "k8s/plain/service.yaml": SERVICE})
    with pytest.raises(Unverified) as absent:
        _load(tmp_path, "k8s")
    assert absent.value.reason == (
        "Helm chart at k8s/chart needs `helm` on PATH to render; or give rendered YAML with "
        "--readiness-manifests rendered.yaml (or - for stdin)")


@pytest.mark.parametrize("target", ["chart/templates", "chart/templates/deployment.yaml", "chart/values.yaml"])
def test_pointing_inside_a_chart_asks_for_the_chart(tmp_path: Path, offer, target: str) -> None:
    offer()
    write_tree(tmp_path, CHART)
    with pytest.raises(Unverified) as absent:
        _load(tmp_path, target)
    assert absent.value.reason.startswith(f"{target} is part of the Helm chart chart: point --readiness-manifests "
                                          "at the chart directory")


# --- end to end: pytest --readiness on a kustomize overlay and a chart --------------------------

def _in_repo(files: Mapping[str, str]) -> dict[str, str]:
    return {f"deployment/kubernetes/{path}": text for path, text in files.items()}


def test_readiness_checks_the_rendered_overlay_and_points_at_the_base(run_readiness, offer, kubectl) -> None:
    offer(kubectl=kubectl)
    run = run_readiness(_in_repo({**BASE, **PROD}), "-k", "multiple_replicas or non_root")
    assert run.status("REL-REPLICAS[Deployment/prod-agent]") == "passed"  # the overlay's patch counts
    assert run.status("SEC-NON-ROOT[Deployment/prod-agent/agent]") == "failed"
    message = run.messages["SEC-NON-ROOT[Deployment/prod-agent/agent]"]
    assert "deployment/kubernetes/base/deployment.yaml:" in message and "Deployment/prod-agent/agent" in message
    assert not any("[Deployment/agent" in key for key in run.statuses)  # the base is not checked on its own


def test_readiness_failure_on_an_overlay_without_the_patch_names_the_base_file(run_readiness, offer, kubectl) -> None:
    offer(kubectl=kubectl)
    prod = {"overlays/prod/kustomization.yaml": "resources: [../../base]\nnamePrefix: prod-\n"}
    run = run_readiness(_in_repo({**BASE, **prod}), "-k", "multiple_replicas")
    assert run.status("REL-REPLICAS[Deployment/prod-agent]") == "failed"
    assert "deployment/kubernetes/base/deployment.yaml:1" in run.messages["REL-REPLICAS[Deployment/prod-agent]"]


def test_readiness_without_helm_leaves_manifest_checks_unverified(run_readiness, offer, kubectl) -> None:
    offer(kubectl=kubectl)
    run = run_readiness(_in_repo(CHART), "-k", "non_root")
    assert run.status("SEC-NON-ROOT[no-manifests]") == "unverified"
    assert "Helm chart at deployment/kubernetes/chart needs `helm` on PATH" in run.messages[
        "SEC-NON-ROOT[no-manifests]"]


def test_readiness_passes_helm_options_from_the_command_line(run_readiness, offer, fake_tool) -> None:
    helm, log = fake_tool("helm", output=RENDERED_BY_FAKE)
    offer(helm=helm)
    files = {**_in_repo(CHART), "deployment/values-prod.yaml": "replicas: 3\n"}
    run = run_readiness(files, "-k", "non_root", "--readiness-helm-release", "agent-prod",
                        "--readiness-helm-values", "deployment/values-prod.yaml")
    assert run.status("SEC-NON-ROOT[Deployment/fixed-agent/agent]") == "unverified"  # no Dockerfile shows a USER
    [call] = _calls(log)
    argv = call["argv"]
    assert isinstance(argv, list)
    assert argv[:2] == ["template", "agent-prod"] and argv[3:] == ["-f", str(Path(argv[2]).parents[1] /
                                                                          "values-prod.yaml")]
