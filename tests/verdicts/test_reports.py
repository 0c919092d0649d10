"""Every report renders the same results: terminal, JUnit, HTML, JSON (own schema), SARIF 2.1.0; no secrets."""

from __future__ import annotations

import base64
import html
import json
import re
import secrets
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pytest_readiness.reporting.json_report import SCHEMA_VERSION
from tests.conftest import REPO_ROOT
from tests.verdicts.conftest import VCHECKS, VerdictRun, deployment, manifests, switches

REPORT_SCHEMA = REPO_ROOT / "pytest_readiness" / "schemas" / "report.schema.json"
SARIF_SCHEMA = REPO_ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"
OUTPUTS = ("--html", "report.html", "--readiness-sarif", "report.sarif")
MIXED = {
    **switches(ORG_CRITICAL="fail", ORG_HIGH="error", ORG_MEDIUM="unverified", ORG_LOW="n/a"),
    **manifests(deployment("api", 3), deployment("worker", 1, image="acr.example/app:latest")),
    "readiness.toml": """
        [attest.OBS-ON-CALL]
        by = "Priya Raman"
        date = 2026-11-16
        evidence = "https://pagerduty.example/schedules/P7AGENT"

        [attest.OPS-ROLLBACK-TESTED]
        by = "Lena Novak"
        date = 2026-06-01
        evidence = "https://ci.example/runs/1"

        [[waiver]]
        check = "ORG-REPLICAS"
        object = "Deployment/worker"
        justification = "one worker until the queue is partitioned"
        approver = "Daniel Fischer"
        expires = 2026-12-31
    """,
}


def html_rows(path: Path) -> dict[str, str]:
    """CHECK-ID[target] -> the Status column of each row of pytest-html's report."""
    blob = re.search(r'data-jsonblob="([^"]*)"', path.read_text())
    assert blob, "no data blob in the HTML report"
    rows: dict[str, str] = {}
    for tests in json.loads(html.unescape(blob.group(1)))["tests"].values():
        for test in tests:
            cells = "".join(test["resultsTableRow"])
            check_id = re.search(r'<td class="col-checkid">([^<]*)</td>', cells)
            status = re.search(r'<td class="col-readiness[^"]*">([^<]*)</td>', cells)
            test_id = re.search(r'<td class="col-testId">([^<]*)</td>', cells)
            assert check_id and status and test_id, cells
            target = re.search(r"\[(.*)\]$", html.unescape(test_id.group(1)))
            key = check_id.group(1)
            if target and target.group(1) != key:
                key = f"{key}[{target.group(1)}]"
            rows[key] = status.group(1)
    return rows


def junit_suite(run: VerdictRun) -> tuple[dict[str, str], dict[str, str]]:
    suite = ET.fromstring(run.run.junit).find("testsuite")
    assert suite is not None
    props = {p.get("name", ""): p.get("value", "") for p in suite.findall("properties/property")}
    return dict(suite.attrib), props


def terminal_totals(output: str) -> dict[str, int]:
    line = next(line for line in output.splitlines() if line.startswith("Total "))
    numbers = [int(n) for n in line.split()[2:]]
    return dict(zip(("passed", "failed", "error", "waived", "unverified", "not_applicable"), numbers, strict=True))


@pytest.fixture
def mixed(verdict) -> VerdictRun:
    return verdict(MIXED, "-k", "vcheck or attested", *OUTPUTS)


def test_every_report_agrees_on_counts_and_each_checks_status(mixed: VerdictRun) -> None:
    report = mixed.report
    by_json = {r["key"]: r["status"] for r in report["results"]}
    assert set(by_json.values()) == {"passed", "failed", "error", "waived", "unverified", "not_applicable"}
    assert mixed.run.statuses == by_json  # JUnit testcase properties
    assert html_rows(mixed.path / "report.html") == by_json
    totals = dict(Counter(by_json.values()))
    assert {k: v for k, v in report["totals"].items() if v} == totals
    assert terminal_totals(mixed.output) == report["totals"]
    attrs, props = junit_suite(mixed)
    assert {status: int(props[f"readiness_{status}"]) for status in report["totals"]} == report["totals"]
    assert int(attrs["failures"]) + int(attrs["errors"]) == totals["failed"] + totals["error"]
    assert props["readiness_verdict"] == "not ready" and report["verdict"]["ready"] is False
    assert int(props["readiness_exit_status"]) == report["verdict"]["exit_status"] == mixed.ret == 1
    assert f"{totals['waived']} waived" in mixed.output
    sarif = json.loads((mixed.path / "report.sarif").read_text())["runs"][0]
    for result in sarif["results"]:
        key = result["properties"]["key"]
        assert result["properties"]["status"] == by_json[key]
        assert ("suppressions" in result) is (by_json[key] == "waived")
    located = {r["key"] for r in report["results"] if r["status"] in ("failed", "error", "waived")
               and any(f["line"] for f in r["findings"] + r["evidence"])}
    assert {r["properties"]["key"] for r in sarif["results"]} == located


def test_json_report_validates_against_the_published_schema(mixed: VerdictRun, pytester: pytest.Pytester) -> None:
    schema = json.loads(REPORT_SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    validator.validate(mixed.report)
    assert mixed.report["schema_version"] == SCHEMA_VERSION
    broken = dict(mixed.report, results=[{**mixed.report["results"][0], "status": "green"}])
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(broken)


def test_sarif_validates_against_sarif_2_1_0_and_points_at_file_and_line(mixed: VerdictRun) -> None:
    sarif = json.loads((mixed.path / "report.sarif").read_text())
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(sarif)
    run = sarif["runs"][0]
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert rules["ORG-CRITICAL"]["help"]["text"] == "Switch ORG-CRITICAL to pass."
    assert rules["ORG-CRITICAL"]["defaultConfiguration"]["level"] == "error"
    by_key = {r["properties"]["key"]: r for r in run["results"]}
    critical = by_key["ORG-CRITICAL"]
    assert critical["level"] == "error"
    assert critical["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "switches.toml", "uriBaseId": "PROJECTROOT"}, "region": {"startLine": 1}}
    assert by_key["ORG-IMAGE-TAG[Deployment/worker/app]"]["level"] == "error"  # high
    worker = by_key["ORG-REPLICAS[Deployment/worker]"]
    assert worker["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "deployment/kubernetes/app.yaml"
    assert worker["suppressions"][0]["status"] == "accepted"
    assert run["originalUriBaseIds"]["PROJECTROOT"]["uri"] == mixed.path.resolve().as_uri() + "/"
    assert rules[by_key["OPS-ROLLBACK-TESTED"]["ruleId"]]["defaultConfiguration"]["level"] == "warning"  # medium


def test_sarif_lists_readiness_toml_problems_as_notifications(verdict) -> None:
    run = verdict({"readiness.toml": "[attest.OBS-ON-CALL\n"}, *VCHECKS, *OUTPUTS)
    sarif = json.loads((run.path / "report.sarif").read_text())
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(sarif)
    [note] = sarif["runs"][0]["invocations"][0]["toolConfigurationNotifications"]
    assert note["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}
    assert "invalid TOML" in note["message"]["text"]


def test_html_has_readiness_columns_summary_and_remediation(mixed: VerdictRun) -> None:
    page = (mixed.path / "report.html").read_text()
    for header in ('data-column-type="checkid">Check', 'data-column-type="category">Category',
                   'data-column-type="priority">Priority', 'data-column-type="readiness">Status',
                   '<th class="col-evidence">Evidence</th>'):
        assert header in page
    assert "<h3>Quick Assessment</h3>" in page and "NOT READY" in page
    assert "Sign-off (readiness.toml)" in page and "Final Approval" in page
    assert "APPLIED       ORG-REPLICAS[Deployment/worker]: approved by Daniel Fischer, expires 2026-12-31" in (
        html.unescape(page))
    assert "Switch ORG-CRITICAL to pass." in html.unescape(html.unescape(page))  # remediation in the row's log


def test_baseline_from_the_json_report_round_trips(verdict, pytester: pytest.Pytester) -> None:
    first = verdict(MIXED, *VCHECKS)
    (pytester.path / "previous.json").write_text(json.dumps(first.report))
    again = verdict(MIXED, *VCHECKS, "--readiness-baseline", "previous.json", *OUTPUTS)
    assert again.report["baseline"]["new"] == []
    assert sorted(again.report["baseline"]["known"]) == ["ORG-CRITICAL", "ORG-HIGH",
                                                         "ORG-IMAGE-TAG[Deployment/worker/app]"]
    sarif = json.loads((again.path / "report.sarif").read_text())["runs"][0]
    assert {r["baselineState"] for r in sarif["results"] if "suppressions" not in r} == {"unchanged"}


def planted() -> dict[str, str]:
    """Secrets in well-known shapes, made up per run so none is ever committed."""
    alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

    def pick(n: int) -> str:
        return "".join(secrets.choice(alnum) for _ in range(n))

    return {
        "openai": f"sk-proj-{pick(20)}Aa1{pick(24)}",
        "github": f"ghp_{pick(36)}",
        "storage": base64.b64encode(secrets.token_bytes(64)).decode(),
        "client_secret": f"{pick(3)}8Q~{pick(34)}",
        "hex_key": secrets.token_hex(16),
        "url_password": f"Pw{pick(14)}9",
    }


SECRET_CHECK = '''
import yaml
from pytest_readiness import Evidence, check, unverified


@check("ORG-NO-LEAK", title="Leaks in evidence are masked", category="security", priority="high")
def test_vcheck_leaky(repo, evidence: Evidence) -> None:
    data = yaml.safe_load(repo.text("deployment/kubernetes/configmap.yaml"))["data"]
    for name, value in data.items():
        evidence.add(f"{{name}}={{value}}", "deployment/kubernetes/configmap.yaml:5")
        evidence.finding(f"{{name}} holds {{value}}", "deployment/kubernetes/configmap.yaml:5")
    print("captured:", data)
    evidence.fail_if_findings(f"secrets in the ConfigMap: {{data}}")


@check("ORG-NO-LEAK-SKIP", title="Leaks in skip reasons are masked", category="security", priority="low")
def test_vcheck_leaky_skip(evidence: Evidence) -> None:
    unverified("token {github} was given")


@check("ORG-NO-LEAK-PASS", title="Leaks in a pass's evidence are masked", category="security", priority="low")
def test_vcheck_leaky_pass(evidence: Evidence) -> None:
    evidence.add("{github}")  # bare, with nothing around them that names a secret
    evidence.add("{openai}", "deployment/kubernetes/configmap.yaml:6")
    evidence.add("seen {client_secret} in app.yaml")
'''


def test_no_report_shows_a_planted_secret(verdict, pytester: pytest.Pytester) -> None:
    s = planted()
    connection_string = (f"DefaultEndpointsProtocol=https;AccountName=contosodata;AccountKey={s['storage']};"
                         "EndpointSuffix=core.windows.net")
    files = {
        "conftest.py": (REPO_ROOT / "tests" / "verdicts" / "conftest.py").read_text().split("ORG_CHECKS = '''")[1]
        .split("'''")[0] + SECRET_CHECK.format(**s),
        "config/agent.toml": f"""
            [agent.llm]
            endpoint = "https://contoso.openai.azure.com/"
            api_key = "{s["hex_key"]}"

            [agent.security.rate_limit]
            enabled = true
            requests_per_minute = 60
            tokens_per_minute = "{s["openai"]}"
            per_user = true
        """,
        "deployment/kubernetes/configmap.yaml": f"""
            apiVersion: v1
            kind: ConfigMap
            metadata: {{name: agent-config}}
            data:
              AZURE_STORAGE_CONNECTION_STRING: "{connection_string}"
              OPENAI_KEY: "{s["openai"]}"
        """,
        "deployment/kubernetes/app.yaml": deployment("api", 3).replace(
            "image: acr.example/app:1.0",
            f"image: acr.example/app:1.0\n        env:\n        - name: AZURE_CLIENT_SECRET\n"
            f"          value: \"{s['client_secret']}\""),
        "readiness.toml": f"""
            [attest.OBS-ON-CALL]
            by = "Priya Raman"
            date = 2026-11-16
            evidence = "https://oncall:{s["url_password"]}@pagerduty.example/schedules/P7AGENT"

            [[waiver]]
            check = "ORG-NO-LEAK"
            justification = "rotate {s["github"]} next sprint"
            approver = "Amira Haddad"
            expires = 2026-12-31
        """,
    }
    run = verdict(files, *OUTPUTS, "-rA")
    assert run.status("ORG-NO-LEAK") == "waived" and run.status("ORG-NO-LEAK-SKIP") == "unverified"
    assert run.status("ORG-NO-LEAK-PASS") == "passed"  # its evidence is in -rA's PASSES and every report
    assert run.status("SEC-RATE-LIMIT") == "failed"
    outputs = {
        "terminal": run.output,
        "junit": run.run.junit,
        "html": html.unescape(html.unescape((run.path / "report.html").read_text())),
        "json": (run.path / "report.json").read_text(),
        "sarif": (run.path / "report.sarif").read_text(),
    }
    for name, secret in s.items():
        for report, text in outputs.items():
            assert secret not in text, f"the {name} secret appears in the {report} report"
            assert secret[-8:] not in text, f"the tail of the {name} secret appears in the {report} report"
    assert "AccountKey=" in outputs["json"]  # the evidence is there, masked


def test_reports_of_a_run_without_readiness_results(verdict) -> None:
    run = verdict({}, "-k", "nothing_matches_this", *OUTPUTS)
    assert run.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    data: dict[str, Any] = run.report
    assert data["results"] == [] and data["totals"]["passed"] == 0
    assert json.loads((run.path / "report.sarif").read_text())["runs"][0]["results"] == []
