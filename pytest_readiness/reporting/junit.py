"""JUnit: per-testcase properties are added by the runtime; the run's verdict goes on the test suite."""

from __future__ import annotations

import pytest

from pytest_readiness.decisions.verdict import RunReport


def add_global_properties(config: pytest.Config, report: RunReport) -> None:
    """`<testsuite><properties>`: verdict, policy, counts, scores, stale waivers and problems."""
    try:
        from _pytest.junitxml import xml_key
    except ImportError:  # pragma: no cover - pytest moved its JUnit writer
        return
    xml = config.stash.get(xml_key, None)
    if xml is None:
        return
    add = xml.add_global_property
    add("readiness_verdict", report.verdict.state)
    add("readiness_selected_checks", report.verdict.selected)
    add("readiness_not_run_checks", len(report.verdict.not_run))
    add("readiness_exit_status", report.exit_status)
    add("readiness_fail_on", report.policy.fail_on)
    add("readiness_strict", str(report.policy.strict).lower())
    add("readiness_allow_unverified", str(report.policy.allow_unverified).lower())
    add("readiness_today", report.today.isoformat())
    for status, number in report.totals.items():
        add(f"readiness_{status}", number)
    for category in report.categories:
        if category.score is not None:
            add(f"readiness_score_{category.name}", category.score)
    for reason in report.verdict.reasons:
        add("readiness_reason", reason)
    for waiver in report.waivers:
        if waiver.state in ("stale", "expired", "invalid"):
            add(f"readiness_{waiver.state}_waiver", f"{waiver.check_id}[{waiver.object}] ({waiver.source})")
    for problem in report.problems:
        add("readiness_problem", str(problem))
