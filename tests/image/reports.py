"""Trivy reports for the tests: the real ones in tests/data/trivy/, and variants derived from them."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

TRIVY = Path(__file__).resolve().parent.parent / "data" / "trivy"


def real(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((TRIVY / f"{name}.json.golden").read_text())
    return data


def for_image(image_id: str, severities: list[str], created: str = "2026-11-20T09:00:00.123456789Z",
              fixed: bool = True, repo_digests: list[str] | None = None) -> dict[str, Any]:
    """alpine-39's report, re-pointed at `image_id`, with one vulnerability per severity given."""
    report = copy.deepcopy(real("alpine-39"))
    report["CreatedAt"] = created
    report["Metadata"]["ImageID"] = image_id
    report["Metadata"]["DiffIDs"] = []
    report["Metadata"]["RepoDigests"] = repo_digests or []
    template = report["Results"][0]["Vulnerabilities"][0]
    vulns = []
    for i, severity in enumerate(severities):
        v = copy.deepcopy(template)
        v.update(VulnerabilityID=f"CVE-2026-{1000 + i}", Severity=severity, PkgName=f"pkg{i}",
                 InstalledVersion="1.0.0", FixedVersion="1.0.1" if fixed else "")
        if not fixed:
            v.pop("FixedVersion")
            v["Status"] = "affected"
        vulns.append(v)
    report["Results"] = [{**report["Results"][0], "Vulnerabilities": vulns}]
    return report


def write(path: Path, report: dict[str, Any]) -> Path:
    path.write_text(json.dumps(report))
    return path
