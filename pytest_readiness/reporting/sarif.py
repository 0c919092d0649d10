"""--readiness-sarif: failed, errored and waived checks with a file:line, as SARIF 2.1.0.

Rules are the checks (help = remediation); each located finding is one result at its file and line,
relative to the project (uriBaseId PROJECTROOT). Waived results carry an accepted suppression;
with a baseline, results carry baselineState. Problems in readiness.toml are tool notifications.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

from pytest_readiness.catalog import Check
from pytest_readiness.decisions.verdict import RunReport
from pytest_readiness.reporting.json_report import tool_version
from pytest_readiness.results import Change, CheckResult, EvidenceItem, Location, Problem, Status

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
BASE_ID = "PROJECTROOT"
# Where docs/ is published: the `Documentation` URL in pyproject.toml's [project.urls].
DOCS_FALLBACK = "https://github.com/pytest-readiness/pytest-readiness/blob/main/docs"


# A path named in a message or remediation: `deployment/kubernetes/deployment.yaml:44`, `docs/`.
PATH_IN_TEXT = re.compile(r"(?<![\w/.:-])((?:[\w.-]+/)*[\w-]+(?:\.[A-Za-z0-9]+)+|(?:[\w.-]+/)+)(?::(\d+))?")


def relative_uri(location: Location | None, project: Path) -> str | None:
    """The path relative to the project (a directory ends in `/`), or None when it is not in the project."""
    if location is None:
        return None
    path = Path(location.path)
    if ":" in location.path.split("/")[0] or location.path.startswith("<"):
        return None  # env:NAME, cluster:ctx/..., <stdin>
    if path.is_absolute():
        try:
            path = path.resolve().relative_to(project)
        except ValueError:
            return None
    posix = PurePosixPath(path.as_posix())
    if ".." in posix.parts or str(posix) == ".":
        return None
    on_disk = project / path
    if location.line:
        return str(posix)
    if on_disk.is_dir():
        return f"{posix}/"
    return str(posix) if on_disk.is_file() else None


def _paths_in(text: str, project: Path, nearest: bool) -> list[Location]:
    """Paths in `text` that are in the project; with `nearest`, a path not there yet gives its nearest
    existing folder (where the missing thing belongs)."""
    found = []
    for match in PATH_IN_TEXT.finditer(text):
        path = match.group(1).rstrip("/") or match.group(1)
        line = int(match.group(2)) if match.group(2) else None
        candidate = Path(path)
        while nearest and not (project / candidate).exists() and len(candidate.parts) > 1:
            candidate, line = candidate.parent, None
        location = Location(candidate.as_posix(), line)
        if (project / candidate).exists() and relative_uri(location, project):
            found.append(location)
    return found


def _located(result: CheckResult, project: Path) -> list[EvidenceItem]:
    """Where a failure shows: its findings, else its first located evidence, else the file a message
    names, else the folder its remediation says the missing thing belongs in."""
    found = [f for f in result.findings if relative_uri(f.location, project)]
    if found:
        return found
    evidence = [e for e in result.evidence if relative_uri(e.location, project)][:1]
    if evidence:
        return evidence
    headline = result.message.splitlines()[0] if result.message else result.check.title
    for text, nearest in ((result.message, False), (result.check.remediation, True)):
        places = _paths_in(text, project, nearest)
        if places:
            return [EvidenceItem(places[0], headline)]
    return []


@cache
def docs_url() -> str:
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        urls = metadata("pytest-readiness").get_all("Project-URL") or []
    except PackageNotFoundError:
        urls = []
    for entry in urls:
        label, _, url = entry.partition(",")
        if label.strip().lower() == "documentation" and url.strip():
            return str(url).strip().rstrip("/")
    return DOCS_FALLBACK


def _slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def help_uri(check: Check) -> str:
    """The check's section in docs/checklist.md (generated for every check; it links the detailed page)."""
    return f"{docs_url()}/checklist.md#{_slug(f'{check.id}: {check.title}')}"


def _rule(check: Check) -> dict[str, Any]:
    properties: dict[str, Any] = {"category": check.category, "priority": check.priority,
                                  "tags": [check.category, check.priority, check.verify]}
    if check.category == "security":
        properties["security-severity"] = SECURITY_SEVERITY[check.priority]
    return {
        "id": check.id,
        "name": "".join(word.title() for word in check.id.split("-")),
        "shortDescription": {"text": check.title},
        "fullDescription": {"text": check.summary or check.title},
        "help": {"text": check.remediation or check.summary or check.title},
        "helpUri": help_uri(check),
        "defaultConfiguration": {"level": LEVEL[check.priority]},
        "properties": properties,
    }


def _result(result: CheckResult, item: EvidenceItem, rule_index: int, project: Path) -> dict[str, Any]:
    uri = relative_uri(item.location, project)
    assert item.location is not None and uri is not None
    physical: dict[str, Any] = {"artifactLocation": {"uri": uri, "uriBaseId": BASE_ID}}
    if not uri.endswith("/"):  # a file: its line, or its first line for what is missing from it
        physical["region"] = {"startLine": item.location.line or 1}
    fingerprint = hashlib.sha256(f"{result.key}|{uri}|{item.detail}".encode()).hexdigest()[:32]
    sarif: dict[str, Any] = {
        "ruleId": result.check.id,
        "ruleIndex": rule_index,
        "level": LEVEL[result.check.priority],
        "message": {"text": f"{result.check.title}: {item.detail}"},
        "locations": [{"physicalLocation": physical}],
        "partialFingerprints": {"readinessFinding/v1": fingerprint},
        "properties": {"target": result.target, "status": result.status.value, "key": result.key},
    }
    if result.waiver:
        sarif["suppressions"] = [{"kind": "external", "status": "accepted",
                                  "justification": str(result.waiver).removeprefix("waived: ")}]
    if result.change is not None:
        sarif["baselineState"] = "new" if result.change is Change.NEW else "unchanged"
    return sarif


def _notification(problem: Problem, project: Path) -> dict[str, Any]:
    """A problem in readiness.toml (or a waiver annotation): the run's configuration is at fault."""
    notification: dict[str, Any] = {"level": "error", "message": {"text": problem.message}}
    uri = relative_uri(Location(problem.location.path, problem.location.line or 1), project)
    if uri:
        physical: dict[str, Any] = {"artifactLocation": {"uri": uri, "uriBaseId": BASE_ID}}
        if problem.location.line:
            physical["region"] = {"startLine": problem.location.line}
        notification["locations"] = [{"physicalLocation": physical}]
    return notification


def to_sarif(report: RunReport, project: Path) -> dict[str, Any]:
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    results = []
    for result in report.results:
        if not (result.status.counts_as_failure or result.status is Status.WAIVED):
            continue
        for item in _located(result, project):
            if result.check.id not in index:
                index[result.check.id] = len(rules)
                rules.append(_rule(result.check))
            results.append(_result(result, item, index[result.check.id], project))
    notifications = [_notification(problem, project) for problem in report.problems]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "pytest-readiness", "version": tool_version(),
                                "informationUri": "https://pypi.org/project/pytest-readiness/", "rules": rules}},
            "originalUriBaseIds": {BASE_ID: {"uri": project.resolve().as_uri() + "/"}},
            "invocations": [{"executionSuccessful": True, "toolConfigurationNotifications": notifications}],
            "results": results,
        }],
    }


def write_sarif(report: RunReport, path: Path, project: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(to_sarif(report, project), indent=2) + "\n", encoding="utf-8")
