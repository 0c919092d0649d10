"""A small deployment repo whose checks' outcomes a test chooses, and a runner that reads every report.

The repo's conftest.py defines organisation checks (the plugin's `@check`): ORG-CRITICAL, ORG-HIGH,
ORG-MEDIUM and ORG-LOW end as `switches.toml` says (pass, fail, error, unverified, n/a); ORG-REPLICAS
runs per workload and ORG-IMAGE-TAG per container on real manifests. Runs select them with `-k vcheck`
(and the manual items with `-k attested`), so these tests do not depend on the shipped static checks.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ReadinessRun

TODAY = "2026-11-25"
VCHECKS = ("-k", "vcheck")

ORG_CHECKS = '''
import tomllib

import pytest

from pytest_readiness import Evidence, SourceError, check, not_applicable, unverified
from pytest_readiness.sources.kube.model import Container, Workload


def _switch(settings, check_id, evidence):
    path = settings.project / "switches.toml"
    outcome = tomllib.loads(path.read_text()).get(check_id, "pass") if path.exists() else "pass"
    evidence.add(f"switch {check_id} = {outcome}", "switches.toml:1")
    if outcome == "fail":
        evidence.finding(f"{check_id} is switched to fail", "switches.toml:1")
        evidence.fail_if_findings(f"{check_id} failed")
    if outcome == "error":
        raise SourceError("switches.toml:1", f"{check_id} cannot read its input")
    if outcome == "unverified":
        unverified(f"{check_id} has no input: add it to switches.toml")
    if outcome == "n/a":
        not_applicable(f"{check_id} does not apply here")


@check("ORG-CRITICAL", title="A critical org check", category="security", priority="critical",
       remediation="Switch ORG-CRITICAL to pass.")
def test_vcheck_critical(readiness_settings, evidence: Evidence) -> None:
    _switch(readiness_settings, "ORG-CRITICAL", evidence)


@check("ORG-HIGH", title="A high org check", category="observability", priority="high")
def test_vcheck_high(readiness_settings, evidence: Evidence) -> None:
    _switch(readiness_settings, "ORG-HIGH", evidence)


@check("ORG-MEDIUM", title="A medium org check", category="operations", priority="medium")
def test_vcheck_medium(readiness_settings, evidence: Evidence) -> None:
    _switch(readiness_settings, "ORG-MEDIUM", evidence)


@check("ORG-LOW", title="A low org check", category="operations", priority="low")
def test_vcheck_low(readiness_settings, evidence: Evidence) -> None:
    _switch(readiness_settings, "ORG-LOW", evidence)


@check("ORG-REPLICAS", title="Two or more replicas", category="reliability", priority="critical",
       remediation="Set spec.replicas to 2 or more.")
def test_vcheck_replicas(workload: Workload, evidence: Evidence) -> None:
    evidence.add(f"{workload.ref}: replicas={workload.replicas}", workload.location)
    if (workload.replicas or 0) < 2:
        evidence.finding(f"{workload.ref} runs {workload.replicas} replica(s)", workload.location)
    evidence.fail_if_findings("too few replicas")


@check("ORG-IMAGE-TAG", title="Images pinned", category="security", priority="high")
def test_vcheck_image_tag(container: Container, evidence: Evidence) -> None:
    image = str(container.spec.get("image", ""))
    evidence.add(f"{container.ref} image {image}", container.location)
    assert not image.endswith(":latest"), f"{container}: image {image} is not pinned"
'''


def deployment(name: str, replicas: int, image: str = "acr.example/app:1.0",
               annotations: Mapping[str, str] | None = None) -> str:
    labels = {"app": name}
    return yaml.safe_dump({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "annotations": dict(annotations or {})},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "app", "image": image}]}},
        },
    }, sort_keys=False)


def manifests(*documents: str) -> dict[str, str]:
    return {"deployment/kubernetes/app.yaml": "---\n".join(documents)}


def switches(**outcomes: str) -> dict[str, str]:
    """`switches(ORG_HIGH="fail")` -> switches.toml making ORG-HIGH fail."""
    body = "".join(f'"{key.replace("_", "-")}" = "{value}"\n' for key, value in outcomes.items())
    return {"switches.toml": body}


BASE: dict[str, str] = {
    "conftest.py": ORG_CHECKS,
    **manifests(deployment("api", 3), deployment("worker", 2)),
}


@dataclass
class VerdictRun:
    run: ReadinessRun
    path: Path

    @property
    def ret(self) -> int:
        return int(self.run.result.ret)

    @property
    def output(self) -> str:
        return self.run.output

    def status(self, key: str) -> str:
        return self.run.status(key)

    def message(self, key: str) -> str:
        return self.run.messages[key]

    @property
    def report(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.path / "report.json").read_text())
        return data

    def result(self, key: str) -> dict[str, Any]:
        found = [r for r in self.report["results"] if r["key"] == key]
        assert found, f"{key} not in JSON results: {[r['key'] for r in self.report['results']]}"
        return found[0]

    def waivers(self, state: str) -> list[dict[str, Any]]:
        return [w for w in self.report["waivers"] if w["state"] == state]


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("READINESS_TODAY", TODAY)


@pytest.fixture
def verdict(run_readiness: Callable[..., ReadinessRun], pytester: pytest.Pytester) -> Callable[..., VerdictRun]:
    """Run `pytest --readiness` on BASE + `files`, writing the JSON report too."""

    def run(files: Mapping[str, str], *args: str, base: Mapping[str, str] = BASE,
            fresh_process: bool = False) -> VerdictRun:
        result = run_readiness({**base, **files}, "--readiness-json", "report.json", *args,
                               fresh_process=fresh_process)
        return VerdictRun(result, pytester.path)

    return run
