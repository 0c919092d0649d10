"""Under pytest-xdist the results travel on the reports: `-n 2` and a serial run report the same."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
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


def both(example: Callable[..., Path], name: str, *args: str) -> tuple[UserRun, UserRun]:
    serial = run_pytest(example(name, f"{name}-serial"), "--readiness", *REPORTS, *args)
    parallel = run_pytest(example(name, f"{name}-xdist"), "--readiness", "-n", "2", *REPORTS, *args)
    return serial, parallel


@pytest.mark.parametrize(("name", "args"), [
    ("agent-good", ()),
    ("agent-good", ("-m", "static or manual")),
    ("agent-gaps", ()),
    ("agent-gaps", ("--readiness-fail-on=critical",)),
])
def test_serial_and_xdist_agree_on_every_report(example: Callable[..., Path], name: str,
                                                args: tuple[str, ...]) -> None:
    serial, parallel = both(example, name, *args)
    assert "bringing up nodes" in parallel.output or "created: 2/2 workers" in parallel.output, parallel.output
    assert parallel.returncode == serial.returncode, parallel.output[-3000:]
    s_json, p_json = comparable_json(serial), comparable_json(parallel)
    assert s_json["results"], serial.output[-3000:]
    assert p_json == s_json
    assert comparable_sarif(parallel) == comparable_sarif(serial)
    assert global_properties(parallel.junit()) == global_properties(serial.junit())
    assert case_properties(parallel.junit()) == case_properties(serial.junit())
    assert verdict_section(parallel) == verdict_section(serial)
    assert "quick assessment" in parallel.output


def test_xdist_failures_reach_the_controller(example: Callable[..., Path]) -> None:
    run = run_pytest(example("agent-gaps"), "--readiness", "-n", "2", *REPORTS)
    data = run.json()
    assert run.returncode == 1
    assert data["verdict"]["ready"] is False and data["totals"]["failed"] > 10
    assert len(data["results"]) > 100
    sarif = json.loads((run.cwd / "report.sarif").read_text())
    assert sarif["runs"][0]["results"], "no SARIF results under xdist"
    assert ("readiness_verdict", "not ready") in global_properties(run.junit())
    waived = [r for r in data["results"] if r["status"] == "waived"]
    assert [w["key"] for w in waived] == ["REL-REPLICAS[Deployment/msft-agent]"]
    assert [w["state"] for w in data["waivers"]] == ["applied"]
    assert "1 waived" in run.output
