"""What a user sees in the reports: -rP evidence, pytest-html rows, SARIF locations and help links."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest

from pytest_readiness.catalog import load_catalog
from pytest_readiness.reporting.sarif import help_uri
from tests.conftest import EXAMPLES, REPO_ROOT

SELECTED = ("-m", "static or manual")


@pytest.fixture(scope="module")
def gaps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """agent-gaps, in-process once for the module: JSON, SARIF and HTML reports."""
    out = tmp_path_factory.mktemp("gaps")
    pytester_args = ["--readiness", "-p", "no:cacheprovider", "-q", f"--readiness-project={EXAMPLES / 'agent-gaps'}",
                     f"--readiness-json={out / 'r.json'}", f"--readiness-sarif={out / 'r.sarif'}",
                     f"--html={out / 'r.html'}", "--rootdir", str(EXAMPLES / "agent-gaps"), *SELECTED]
    import subprocess
    import sys

    subprocess.run([sys.executable, "-m", "pytest", *pytester_args], cwd=EXAMPLES / "agent-gaps",
                   env={"READINESS_TODAY": "2026-11-25", "PATH": "/usr/bin:/bin"}, capture_output=True, timeout=300)
    return out


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def html_tests(path: Path) -> list[dict[str, Any]]:
    blob = re.search(r'data-jsonblob="([^"]*)"', path.read_text())
    assert blob
    return [t for tests in json.loads(html.unescape(blob.group(1)))["tests"].values() for t in tests]


def test_every_failure_with_a_place_is_in_sarif(gaps: Path) -> None:
    report, sarif = load(gaps / "r.json"), load(gaps / "r.sarif")["runs"][0]
    failures = {r["key"] for r in report["results"] if r["status"] in ("failed", "error")}
    assert len(failures) > 20
    in_sarif = {r["properties"]["key"] for r in sarif["results"]}
    assert failures <= in_sarif, sorted(failures - in_sarif)


def test_an_absent_thing_points_where_it_belongs(gaps: Path) -> None:
    sarif = load(gaps / "r.sarif")["runs"][0]
    where = {r["properties"]["key"]: r["locations"][0]["physicalLocation"] for r in sarif["results"]}
    assert where["OPS-DOCS-API"] == {"artifactLocation": {"uri": "docs/", "uriBaseId": "PROJECTROOT"}}
    assert where["OPS-CI-SECURITY-SCAN"]["artifactLocation"]["uri"] == ".github/workflows/ci.yml"
    assert where["OPS-CI-SECURITY-SCAN"]["region"] == {"startLine": 1}
    assert where["OBS-DASHBOARDS"]["artifactLocation"]["uri"].endswith("/")
    for physical in where.values():
        uri = physical["artifactLocation"]["uri"]
        assert (EXAMPLES / "agent-gaps" / uri).exists(), uri


def test_every_rule_links_its_docs_section(gaps: Path) -> None:
    rules = load(gaps / "r.sarif")["runs"][0]["tool"]["driver"]["rules"]
    assert rules and all(rule["helpUri"].startswith("https://") and "/docs/checklist.md#" in rule["helpUri"]
                         for rule in rules)


def test_every_check_has_the_section_its_help_uri_names() -> None:
    """GitHub's anchor of every `### ID: title` heading in docs/checklist.md, against each check's helpUri."""
    headings = re.findall(r"^### (.+)$", (REPO_ROOT / "docs" / "checklist.md").read_text(), re.M)
    anchors = {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}
    catalog = load_catalog()
    assert len(catalog) > 100
    for check in catalog.values():
        assert help_uri(check).split("#")[1] in anchors, check.id


def test_the_reference_links_each_detailed_section_that_exists() -> None:
    text = (REPO_ROOT / "docs" / "checklist.md").read_text()
    for page, anchor in re.findall(r"More: \[[^\]]+\]\(([^)#]+)#([^)]+)\)", text):
        detailed = (REPO_ROOT / "docs" / page).read_text()
        assert anchor in {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-")
                          for h in re.findall(r"^#+ (.+)$", detailed, re.M)}, (page, anchor)
    assert "More: [checks/cluster.md](checks/cluster.md#rel-cluster-zones-multi-zone-deployment)" in text


def test_html_rows_show_reasons_and_evidence_not_tuples_or_phases(gaps: Path) -> None:
    tests = html_tests(gaps / "r.html")
    assert tests
    for test in tests:
        row = "".join(test["resultsTableRow"])
        test_id = re.search(r'<td class="col-testId">([^<]*)</td>', row)
        status = re.search(r'<td class="col-readiness[^"]*">([^<]*)</td>', row)
        assert test_id and status, row
        assert not test_id.group(1).endswith(("::setup", "::teardown")), test_id.group(1)
        log = test["log"]
        assert not log.lstrip().startswith("("), log[:200]
        assert "No log output captured" not in log
        if status.group(1) == "passed":
            assert "evidence:" in log, log
        if status.group(1) in ("unverified", "not_applicable"):
            assert f"): {status.group(1)}" in log and "\n" in log.strip(), log
    page = (gaps / "r.html").read_text()
    assert "readiness-not-ready" in page and "checks run" in page


def test_rP_shows_each_passed_checks_evidence(run_readiness) -> None:
    files = {"config/agent.toml": "[agent.security.rate_limit]\nenabled = true\nrequests_per_minute = 60\n"
                                  "tokens_per_minute = 100000\nper_user = true\n"}
    run = run_readiness(files, "-rP", "--readiness-check=SEC-RATE-LIMIT")
    assert run.status("SEC-RATE-LIMIT") == "passed"
    passes = run.output.split("PASSES", 1)[1]
    assert "test_rate_limiting_enabled" in passes and "readiness evidence" in passes
    assert "config/agent.toml:" in passes
