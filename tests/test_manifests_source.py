"""The manifests source on real files: what counts as a Kubernetes object, where each one is, and what
happens with broken, empty, rendered and piped-in input."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from pytest_readiness.api import Unverified
from pytest_readiness.results import Location
from pytest_readiness.sources.kube import manifests
from tests.conftest import _parse_junit, write_tree


def _at(objects: list, ref: str) -> str:  # type: ignore[type-arg]
    return str(next(o.location for o in objects if o.ref == ref))


def _pod_spec(name: str) -> str:
    return f"spec:\n  containers:\n    - name: {name}\n      image: {name}:1\n"


def _indented(text: str, spaces: int) -> str:
    return textwrap.indent(text, " " * spaces)


MULTI_DOC = """\
# Services of the agent: one object per document
apiVersion: v1
kind: Service
metadata:
  name: agent
---
---
# a document with no object in it
notes: not a Kubernetes object
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: agent
...
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: agent
"""

LISTS = """\
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: settings}
  - not: an object
  - apiVersion: v1
    kind: Secret
    metadata: {name: credentials}
---
apiVersion: apps/v1
kind: DeploymentList
items:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: worker}
"""

TEMPLATE = "template:\n  metadata: {labels: {app: x}}\n" + _indented(_pod_spec("main"), 2)
WORKLOADS = "\n---\n".join([
    *(f"apiVersion: apps/v1\nkind: {kind}\nmetadata: {{name: {kind.lower()}}}\nspec:\n" + _indented(TEMPLATE, 2)
      for kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")),
    "apiVersion: batch/v1\nkind: Job\nmetadata: {name: migrate}\nspec:\n" + _indented(TEMPLATE, 2),
    "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: nightly}\nspec:\n  schedule: '0 3 * * *'\n"
    "  jobTemplate:\n    spec:\n" + _indented(TEMPLATE, 6),
    "apiVersion: v1\nkind: Pod\nmetadata: {name: debug}\n" + _pod_spec("main"),
    "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: canary}\nspec:\n" + _indented(TEMPLATE, 2),
    "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: gadget}\nspec:\n  template: {size: 3}\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {template: x}\n",
    "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: agent}\n"
    "spec: {scaleTargetRef: {kind: Deployment, name: deployment}}\n",
])

NON_ROOT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: agent
spec:
  replicas: 2
  template:
    spec:
      securityContext: {runAsNonRoot: true, runAsUser: 1000}
      containers:
        - name: agent
          image: agent:1.0
"""
ROOT = NON_ROOT.replace("runAsNonRoot: true, runAsUser: 1000", "runAsUser: 0")
BROKEN = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: before
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: broken
  labels: {app: [x
spec: {}
"""


# --- what is an object, and where -----------------------------------------------------------------

def test_every_document_of_a_multi_document_file_at_its_line(tmp_path: Path) -> None:
    write_tree(tmp_path, {"k8s/all.yaml": MULTI_DOC})
    objects = manifests.load(tmp_path, "k8s").objects
    assert [(o.ref, str(o.location)) for o in objects] == [
        ("Service/agent", "k8s/all.yaml:2"),
        ("Deployment/agent", "k8s/all.yaml:11"),
        ("PodDisruptionBudget/agent", "k8s/all.yaml:17"),
    ]


def test_list_kinds_give_each_item_at_its_own_line(tmp_path: Path) -> None:
    write_tree(tmp_path, {"k8s/lists.yml": LISTS})
    objects = manifests.load(tmp_path, "k8s").objects
    assert [(o.ref, str(o.location)) for o in objects] == [
        ("ConfigMap/settings", "k8s/lists.yml:4"),
        ("Secret/credentials", "k8s/lists.yml:8"),
        ("Deployment/worker", "k8s/lists.yml:15"),
    ]


def test_every_kind_with_a_pod_template_is_a_workload(tmp_path: Path) -> None:
    write_tree(tmp_path, {"k8s/workloads.yaml": WORKLOADS})
    found = manifests.load(tmp_path, "k8s")
    workloads = found.workloads()
    assert [w.ref for w in workloads] == [
        "Deployment/deployment", "StatefulSet/statefulset", "DaemonSet/daemonset", "ReplicaSet/replicaset",
        "Job/migrate", "CronJob/nightly", "Pod/debug", "Rollout/canary"]
    assert all([c.name for c in w.containers] == ["main"] for w in workloads)
    assert [w.is_serving for w in workloads if w.obj.kind in ("Job", "CronJob")] == [False, False]
    assert len(found.objects) == 11  # the Widget, the ConfigMap and the HPA are objects, not workloads


def test_each_object_is_located_in_its_own_file(tmp_path: Path) -> None:
    write_tree(tmp_path, {"k8s/a/deployment.yaml": NON_ROOT, "k8s/b/service.yml": MULTI_DOC.split("---")[0]})
    objects = manifests.load(tmp_path, "k8s").objects
    assert _at(objects, "Deployment/agent") == "k8s/a/deployment.yaml:1"
    assert _at(objects, "Service/agent") == "k8s/b/service.yml:2"


def test_comments_and_yaml_inside_markdown_are_not_config(tmp_path: Path) -> None:
    fenced = "# Deploying\n\n```yaml\n" + NON_ROOT + "```\n"
    commented = textwrap.indent(NON_ROOT, "# ")
    write_tree(tmp_path, {"k8s/README.md": fenced, "k8s/notes.txt": NON_ROOT, "k8s/old.yaml": commented,
                          "k8s/service.yaml": "# kind: Deployment\n" + MULTI_DOC.split("---")[0]})
    objects = manifests.load(tmp_path, "k8s").objects
    assert [o.ref for o in objects] == ["Service/agent"]


def test_hidden_directories_are_skipped_but_a_hidden_parent_of_the_project_is_not(tmp_path: Path) -> None:
    project = tmp_path / ".checkouts" / "agent"
    write_tree(project, {"k8s/deployment.yaml": NON_ROOT, "k8s/.git/junk.yaml": ROOT.replace("agent", "junk")})
    objects = manifests.load(project, "k8s").objects
    assert [o.ref for o in objects] == ["Deployment/agent"]


# --- broken, absent and empty input -------------------------------------------------------------

def test_malformed_yaml_is_a_problem_at_its_line_and_other_files_still_load(tmp_path: Path) -> None:
    write_tree(tmp_path, {"k8s/a-broken.yaml": BROKEN, "k8s/b-good.yaml": NON_ROOT})
    found = manifests.load(tmp_path, "k8s")
    [problem] = found.problems
    assert problem.location == Location("k8s/a-broken.yaml", 11)
    assert problem.message.startswith("invalid YAML: ")
    assert [o.ref for o in found.objects] == ["ConfigMap/before", "Deployment/agent"]


def test_an_empty_directory_is_unverified(tmp_path: Path) -> None:
    (tmp_path / "k8s").mkdir()
    with pytest.raises(Unverified, match="no Kubernetes objects found in k8s"):
        manifests.load(tmp_path, "k8s")


def test_yaml_without_kubernetes_objects_is_unverified(tmp_path: Path) -> None:
    write_tree(tmp_path, {"k8s/values.yaml": "replicas: 2\n", "k8s/empty.yml": ""})
    with pytest.raises(Unverified, match="no Kubernetes objects found in k8s"):
        manifests.load(tmp_path, "k8s")


def test_a_missing_path_is_unverified_and_says_what_to_give(tmp_path: Path) -> None:
    with pytest.raises(Unverified) as absent:
        manifests.load(tmp_path, "deployment/kubernetes")
    assert absent.value.reason.startswith("no Kubernetes manifests at deployment/kubernetes: set "
                                          "--readiness-manifests")


# --- rendered YAML: a file, or stdin ------------------------------------------------------------

def test_a_rendered_file_is_read_with_lines(tmp_path: Path) -> None:
    write_tree(tmp_path, {"out/rendered.yaml": MULTI_DOC})
    objects = manifests.load(tmp_path, "out/rendered.yaml").objects
    assert _at(objects, "Deployment/agent") == "out/rendered.yaml:11"


def test_a_rendered_file_outside_the_project_keeps_its_absolute_path(tmp_path: Path) -> None:
    write_tree(tmp_path, {"elsewhere/rendered.yaml": NON_ROOT, "project/README.md": "x"})
    objects = manifests.load(tmp_path / "project", str(tmp_path / "elsewhere/rendered.yaml")).objects
    assert _at(objects, "Deployment/agent") == f"{tmp_path / 'elsewhere/rendered.yaml'}:1"


def test_stdin_is_read_with_lines(tmp_path: Path) -> None:
    found = manifests.load(tmp_path, "-", read_stdin=lambda: MULTI_DOC)
    assert _at(found.objects, "Deployment/agent") == "<stdin>:11"
    broken = manifests.load(tmp_path, "-", read_stdin=lambda: BROKEN)
    assert [str(p.location) for p in broken.problems] == ["<stdin>:11"]


def test_manifest_files_lists_every_yaml_file_and_plain_ones_only_what_is_read_as_is(tmp_path: Path) -> None:
    write_tree(tmp_path, {"k8s/plain.yaml": NON_ROOT, "k8s/app/kustomization.yaml": "resources: [svc.yaml]\n",
                          "k8s/app/svc.yaml": MULTI_DOC, "k8s/chart/Chart.yaml": "name: c\n",
                          "k8s/chart/templates/d.yaml": "kind: {{ .Values.kind }}\n", "k8s/README.md": "x"})
    every = {p.relative_to(tmp_path).as_posix() for p in manifests.manifest_files(tmp_path / "k8s")}
    assert every == {"k8s/plain.yaml", "k8s/app/kustomization.yaml", "k8s/app/svc.yaml", "k8s/chart/Chart.yaml",
                     "k8s/chart/templates/d.yaml"}
    assert manifests.plain_manifest_files(tmp_path / "k8s") == [tmp_path / "k8s/plain.yaml"]
    assert manifests.plain_manifest_files(tmp_path / "k8s/plain.yaml") == [tmp_path / "k8s/plain.yaml"]
    assert manifests.plain_manifest_files(tmp_path / "k8s/chart/templates/d.yaml") == []


# --- end to end ---------------------------------------------------------------------------------

def test_readiness_reports_a_broken_file_as_an_error_and_checks_the_rest(run_readiness) -> None:
    run = run_readiness({"deployment/kubernetes/a-broken.yaml": BROKEN,
                         "deployment/kubernetes/b-good.yaml": NON_ROOT}, "-k", "non_root")
    assert run.status("SEC-NON-ROOT[deployment/kubernetes/a-broken.yaml]") == "error"
    assert "deployment/kubernetes/a-broken.yaml:11" in run.messages["SEC-NON-ROOT[deployment/kubernetes/a-broken.yaml]"]
    assert run.status("SEC-NON-ROOT[Deployment/agent/agent]") == "passed"


def test_readiness_checks_a_rendered_file(run_readiness) -> None:
    run = run_readiness({"rendered.yaml": "# helm template agent ./chart\n" + ROOT}, "-k", "non_root",
                        "--readiness-manifests", "rendered.yaml")
    assert run.status("SEC-NON-ROOT[Deployment/agent/agent]") == "failed"
    assert "rendered.yaml:" in run.messages["SEC-NON-ROOT[Deployment/agent/agent]"]


@pytest.mark.parametrize(("rendered", "status"), [(NON_ROOT, "passed"), (ROOT, "failed")], ids=["non-root", "root"])
def test_readiness_reads_rendered_yaml_piped_to_stdin(pytester: pytest.Pytester, rendered: str, status: str) -> None:
    """A real `... | pytest --readiness --readiness-manifests -`, with pytest's output capture on."""
    junit = pytester.path / "junit.xml"
    pytester.makeini("[pytest]\n")
    result = pytester.run(sys.executable, "-m", "pytest", "--readiness", "--readiness-manifests", "-", "-k",
                          "non_root", "-p", "no:cacheprovider", f"--junitxml={junit}",
                          stdin=rendered.encode(), timeout=120)
    statuses, messages = _parse_junit(junit)
    assert statuses.get("SEC-NON-ROOT[Deployment/agent/agent]") == status, result.stdout.str()[-2000:]
    if status == "failed":
        assert "<stdin>:" in messages["SEC-NON-ROOT[Deployment/agent/agent]"]


def test_containers_point_at_their_own_entry_line() -> None:
    from pytest_readiness.sources.kube.manifests import parse_text
    from pytest_readiness.sources.kube.model import workloads

    text = (
        "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: nightly}\nspec:\n  schedule: '0 1 * * *'\n"
        "  jobTemplate:\n    spec:\n      template:\n        spec:\n          initContainers:\n"
        "            - name: setup\n              image: a:1\n          containers:\n"
        "            - image: b:1\n              name: run\n"
    )
    objects, problems = parse_text(text, "cron.yaml")
    assert problems == []
    (cron,) = workloads(objects)
    assert [str(c.location) for c in cron.init_containers] == ["cron.yaml:11"]
    assert [str(c.location) for c in cron.containers] == ["cron.yaml:14"]


@pytest.mark.parametrize("broken", [
    "resources:\n  - deployment.yaml\n  bad: [\n",  # a syntax error
    "resources: [deployment.yaml\n",  # an unclosed flow sequence
])
def test_a_kustomization_that_does_not_parse_hides_no_other_manifest(tmp_path: Path, broken: str) -> None:
    folder = tmp_path / "deployment" / "kubernetes"
    folder.mkdir(parents=True)
    (folder / "kustomization.yaml").write_text(broken, encoding="utf-8")
    (folder / "deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: agent\nspec:\n  template:\n    spec:\n"
        "      containers:\n        - name: agent\n          image: contoso.azurecr.io/agent:1.0\n", encoding="utf-8")
    (folder / "service.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: agent\n", encoding="utf-8")
    objects = manifests.load(tmp_path, "deployment/kubernetes")
    assert sorted(o.ref for o in objects.objects) == ["Deployment/agent", "Service/agent"]
    assert [p.location.path for p in objects.problems] == ["deployment/kubernetes/kustomization.yaml"]
    assert "invalid YAML" in objects.problems[0].message
