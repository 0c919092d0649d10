"""A wrongly shaped Kubernetes object is an error on that object, at its file:line, and never a crash.

Each case breaks the example's Deployment one way; a second Deployment in another file must still be checked,
the run must end normally (exit 1, no collection error, no traceback) and the report must not say ready.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_readiness.sources.kube import manifests
from tests.hostile.conftest import DEPLOYMENT, GOOD, HostileRun

CONTAINERS = "      containers:\n        - name: agent\n"
PORTS = "          ports:\n            - name: http\n              containerPort: 8080\n              protocol: TCP\n"
ENV_START = "          env:\n            - name: APPLICATIONINSIGHTS_CONNECTION_STRING\n"
LIMITS = '            limits:\n              cpu: "2"\n              memory: "4Gi"\n'
HISTORY = "  revisionHistoryLimit: 5\n"
BOMB = "".join(f"    {name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n"
               for prev, name in zip("abcdefgh", "bcdefghi", strict=True))

# name: (text replaced, replacement, the line marker (first line holding it), message)
CASES = {
    "template-a-string": ("  template:\n    metadata:", "  template: x\n  unused:\n    metadata:", "template: x",
                          "spec.template must be a mapping, got a string"),
    "container-null": (CONTAINERS, "      containers:\n        - null\n        - name: agent\n", "- null",
                       "spec.template.spec.containers[0] must be a mapping, got null"),
    "container-a-string": (CONTAINERS, '      containers: ["agent"]\n      unused:\n        - name: agent\n',
                           'containers: ["agent"]', "spec.template.spec.containers[0] must be a mapping, got a string"),
    "ports-a-string": (PORTS, '          ports: "8080"\n', 'ports: "8080"',
                       "spec.template.spec.containers[0].ports must be a list, got a string"),
    "limits-a-word": (LIMITS, "            limits: lots\n", "limits: lots",
                      "spec.template.spec.containers[0].resources.limits must be a mapping, got a string"),
    "env-a-mapping": (ENV_START, "          env: {A: b}\n          unused:\n            - name: X\n", "env: {A: b}",
                      "spec.template.spec.containers[0].env must be a list, got a mapping"),
    "env-wrong-items": (ENV_START, "          env: [null, 1, x]\n          unused:\n            - name: X\n",
                        "env: [null, 1, x]", "spec.template.spec.containers[0].env[0] must be a mapping, got null"),
    "cpu-nan": ('cpu: "500m"', "cpu: .nan", "cpu: .nan",
                "spec.template.spec.containers[0].resources.requests.cpu must be a quantity like 500m or 1Gi, got nan"),
    "replicas-5000-digits": ("replicas: 3", "replicas: " + "9" * 5000, "replicas: 999",
                             "YAML not read: an integer of 5000 digits"),
    "list-500-deep": (HISTORY, HISTORY + "  deep: " + "[" * 500 + "]" * 500 + "\n",
                      "deep: [[[", "YAML not read: nested more than 100 levels deep"),
    "alias-bomb": (HISTORY, HISTORY + "  lol:\n    a: &a [lol, lol, lol]\n" + BOMB,
                   "&a [lol", "YAML not read: aliases expand to more than"),
}


def _broken(case: str) -> tuple[str, int, str]:
    """The example's Deployment broken as `case` says, renamed after it; with the line of the break and the message."""
    old, new, marker, message = CASES[case]
    text = (GOOD / DEPLOYMENT).read_text(encoding="utf-8")
    assert old in text
    text = text.replace(old, new, 1).replace("name: msft-agent\n", f"name: msft-agent-{case}\n", 1)
    line = next(number for number, line in enumerate(text.splitlines(), start=1) if marker in line)
    return text, line, message


@pytest.mark.parametrize("case", list(CASES))
def test_the_loader_refuses_a_wrong_shape_at_its_line(case: str, tmp_path: Path) -> None:
    text, line, message = _broken(case)
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s/broken.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "k8s/good.yaml").write_text((GOOD / DEPLOYMENT).read_text(encoding="utf-8"), encoding="utf-8")

    loaded = manifests.load(tmp_path, "k8s")

    assert [o.ref for o in loaded.objects] == ["Deployment/msft-agent"]
    assert len(loaded.problems) == 1
    assert str(loaded.problems[0]).startswith(f"k8s/broken.yaml:{line}: {message}"), str(loaded.problems[0])
    for workload in loaded.workloads():  # what the checks see has the shapes they read
        assert all(isinstance(c.list_field("ports"), list) for c in workload.containers)


@pytest.mark.slow
def test_every_wrong_shape_is_an_error_at_its_line_and_the_rest_is_checked(
        hostile_project: Path, hostile_run: Callable[..., HostileRun]) -> None:
    """One run over every broken copy at once (each in its own file), next to the untouched Deployment."""
    expected = {}
    for case in CASES:
        text, line, message = _broken(case)
        (hostile_project / f"deployment/kubernetes/{case}.yaml").write_text(text, encoding="utf-8")
        expected[case] = f"deployment/kubernetes/{case}.yaml:{line}: {message}"

    run = hostile_run()

    assert run.result.ret == 1, run.output[-3000:]
    assert "Traceback" not in run.output and "INTERNALERROR" not in run.output, run.output[-3000:]
    assert run.ready is False
    errors = run.error_text()
    assert [case for case, text in expected.items() if text not in errors] == [], errors[:3000]
    assert run.status("SEC-NO-PRIVILEGED[Deployment/msft-agent/agent]") == "passed"
    assert run.status("REL-READINESS[Deployment/msft-agent/agent]") == "passed"
    assert run.status("REL-REPLICAS[Deployment/msft-agent]") == "passed"
    assert run.report is not None
    assert max(len(r["message"]) for r in run.report["results"]) < 2000  # quoted parser messages are cut short


def test_the_untouched_example_is_ready(hostile_run: Callable[..., HostileRun]) -> None:
    """The baseline the cases above break: without it, 'not ready' would prove nothing. Its scope is what the
    repository shows: the live targets are not given, so the whole checklist would be NOT VERIFIED."""
    run = hostile_run("-m", "static or manual")
    assert run.result.ret == 0, run.output[-3000:]
    assert run.ready is True
