"""Under pytest-xdist the results travel on the reports: `-n 2` and a serial run report the same."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tests.citizen.conftest import UserRun, run_pytest

pytestmark = pytest.mark.slow

REPORTS = ("--readiness-json=report.json", "--readiness-sarif=report.sarif", "--junitxml=junit.xml")


def global_properties(root: ET.Element) -> list[tuple[str, str]]:
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    assert suite is not None
    props = suite.find("properties")
    return sorted((p.get("name", ""), p.get("value", "")) for p in (props if props is not None else []))


def case_properties(root: ET.Element) -> dict[str, list[tuple[str, str]]]:
    cases = {}
    for case in root.iter("testcase"):
        name = f"{case.get('classname')}::{case.get('name')}"
        cases[name] = [(p.get("name", ""), p.get("value", "")) for p in case.iter("property")]
    return cases


def comparable_json(run: UserRun) -> dict[str, Any]:
    data = run.json()
    data.pop("project")  # each run has its own copy
    return data


def comparable_sarif(run: UserRun) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((run.cwd / "report.sarif").read_text())
    data["runs"][0].pop("originalUriBaseIds")
    return data


def verdict_section(run: UserRun) -> list[str]:
    lines = run.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if "readiness verdict" in line)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("=")), len(lines))
    section = lines[start + 1:end]
    assert section, run.stdout[-2000:]
    return section


CASES = {
    "agent-good": ("agent-good", ()),  # NOT VERIFIED: live checks without targets
    "agent-good-static": ("agent-good", ("-m", "static or manual")),  # READY for its scope
    "agent-gaps": ("agent-gaps", ("--readiness-fail-on=critical",)),  # NOT READY, below-policy failures
}


def pair(tmp_path: Path, case: str) -> tuple[UserRun, UserRun]:
    """The case run once serially and once under `-n 2`, each in its own copy of the example."""
    from tests.conftest import EXAMPLES

    name, args = CASES[case]
    runs = []
    for mode in ("serial", "xdist"):
        project = tmp_path / mode / name
        shutil.copytree(EXAMPLES / name, project, ignore=shutil.ignore_patterns("__pycache__"))
        runs.append(run_pytest(project, "--readiness", *(("-n", "2") if mode == "xdist" else ()), *REPORTS, *args))
    return runs[0], runs[1]


@pytest.mark.parametrize(("case", "status"), [("agent-good", 101), ("agent-good-static", 0), ("agent-gaps", 1)])
def test_serial_and_xdist_agree_on_every_report(tmp_path: Path, case: str, status: int) -> None:
    serial, parallel = pair(tmp_path, case)
    assert "bringing up nodes" in parallel.output or "created: 2/2 workers" in parallel.output, parallel.output
    assert parallel.returncode == serial.returncode == status, parallel.output[-3000:]
    s_json, p_json = comparable_json(serial), comparable_json(parallel)
    assert s_json["results"], serial.output[-3000:]
    assert p_json == s_json
    assert comparable_sarif(parallel) == comparable_sarif(serial)
    assert global_properties(parallel.junit()) == global_properties(serial.junit())
    assert case_properties(parallel.junit()) == case_properties(serial.junit())
    assert verdict_section(parallel) == verdict_section(serial)
    assert "quick assessment" in parallel.output
    if case == "agent-gaps":
        failures_reached_the_controller(parallel)


def failures_reached_the_controller(run: UserRun) -> None:
    data = run.json()
    assert data["verdict"]["ready"] is False and data["totals"]["failed"] > 10
    assert data["verdict"]["not_gating"], "--readiness-fail-on reached the controller"
    assert len(data["results"]) > 100
    sarif = json.loads((run.cwd / "report.sarif").read_text())
    assert sarif["runs"][0]["results"], "no SARIF results under xdist"
    assert ("readiness_verdict", "not ready") in global_properties(run.junit())
    waived = [r for r in data["results"] if r["status"] == "waived"]
    assert [w["key"] for w in waived] == ["REL-REPLICAS[Deployment/msft-agent]"]
    assert [w["state"] for w in data["waivers"]] == ["applied"]
    assert "1 waived" in run.output
