"""--readiness-json: the run as JSON, schema in pytest_readiness/schemas/report.schema.json."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

from pytest_readiness.decisions.verdict import RunReport
from pytest_readiness.results import CheckResult, EvidenceItem

SCHEMA_VERSION = "1.1"


def tool_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pytest-readiness")
    except PackageNotFoundError:
        return "0+unknown"


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _item(item: EvidenceItem) -> dict[str, Any]:
    location = item.location
    return {"path": location.path if location else None, "line": location.line if location else None,
            "detail": item.detail}


def _result(r: CheckResult) -> dict[str, Any]:
    waiver = None
    if r.waiver:
        waiver = {"source": r.waiver.source, "justification": r.waiver.justification,
                  "approver": r.waiver.approver or None, "expires": _day(r.waiver.expires)}
    return {
        "key": r.key, "check_id": r.check.id, "target": r.target, "title": r.check.title,
        "category": r.check.category, "priority": r.check.priority, "verify": r.check.verify,
        "status": r.status.value, "message": r.message,
        "evidence": [_item(e) for e in r.evidence], "findings": [_item(f) for f in r.findings],
        "remediation": r.check.remediation, "waiver": waiver,
        "baseline": r.change.value if r.change else None, "nodeid": r.nodeid,
    }


def to_json(report: RunReport, project: Path) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "pytest-readiness", "version": tool_version()},
        "today": report.today.isoformat(),
        "project": str(project),
        "readiness_file": report.readiness_file,
        "policy": asdict(report.policy),
        "verdict": {"ready": report.verdict.passed, "state": report.verdict.state,
                    "exit_status": report.exit_status, "reasons": report.verdict.reasons,
                    "gating": report.verdict.gating, "not_gating": report.verdict.not_gating,
                    "selected_checks": report.verdict.selected, "not_run": report.verdict.not_run,
                    "unverified_causes": [asdict(c) for c in report.verdict.causes]},
        "totals": report.totals,
        "categories": [asdict(c) for c in report.categories],
        "results": [_result(r) for r in report.results],
        "signoff": [{**asdict(row), "date": _day(row.date), "valid_through": _day(row.valid_through)}
                    for row in report.signoffs],
        "waivers": [{**asdict(w), "expires": _day(w.expires), "approver": w.approver or None}
                    for w in report.waivers],
        "baseline": asdict(report.baseline) if report.baseline else None,
        "problems": [{"where": str(p.location), "message": p.message} for p in report.problems],
    }


def write_json(report: RunReport, path: Path, project: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(to_json(report, project), indent=2) + "\n", encoding="utf-8")
