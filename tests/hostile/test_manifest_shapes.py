"""A wrongly shaped Kubernetes object is an error on that object, at its file:line, and never a crash.

Each case breaks the example's Deployment one way; a second Deployment in another file must still be checked,
the run must end normally (exit 1, no collection error, no traceback) and the report must not say ready.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.hostile.conftest import DEPLOYMENT, HostileRun, replace_in

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


def _worker(project: Path) -> None:
    """A second, valid Deployment in its own file: it must be checked whatever happens to the first."""
    text = (project / DEPLOYMENT).read_text(encoding="utf-8")
    text = text.replace("name: msft-agent\n", "name: msft-agent-worker\n", 1)
    (project / "deployment/kubernetes/worker.yaml").write_text(text, encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_a_wrongly_shaped_deployment_is_an_error_at_its_line_and_the_rest_is_checked(
        case: str, hostile_project: Path, hostile_run: Callable[..., HostileRun]) -> None:
    old, new, marker, message = CASES[case]
    _worker(hostile_project)
    replace_in(hostile_project / DEPLOYMENT, old, new)
    lines = (hostile_project / DEPLOYMENT).read_text(encoding="utf-8").splitlines()
    line = next(number for number, text in enumerate(lines, start=1) if marker in text)

    run = hostile_run()

    assert run.result.ret == 1, run.output[-3000:]
    assert "Traceback" not in run.output and "INTERNALERROR" not in run.output, run.output[-3000:]
    assert run.ready is False
    assert f"{DEPLOYMENT}:{line}: {message}" in run.error_text(), run.error_text()[:2000]
    assert run.status("SEC-NO-PRIVILEGED[Deployment/msft-agent-worker/agent]") == "passed"
    assert run.status("REL-READINESS[Deployment/msft-agent-worker/agent]") == "passed"
    assert run.status("REL-REPLICAS[Deployment/msft-agent-worker]") == "passed"
    longest = max(len(r["message"]) for r in run.report["results"]) if run.report else 0
    assert longest < 2000  # quoted parser messages are cut short


def test_the_untouched_example_is_ready(hostile_run: Callable[..., HostileRun]) -> None:
    """The baseline the cases above break: without it, 'not ready' would prove nothing."""
    run = hostile_run()
    assert run.result.ret == 0, run.output[-3000:]
    assert run.ready is True
