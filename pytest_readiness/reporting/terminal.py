"""The terminal summary: Quick Assessment, worst failures, sign-off, waivers, baseline, verdict."""

from __future__ import annotations

from pytest_readiness.catalog import PRIORITIES
from pytest_readiness.decisions.verdict import NOT_READY, NOT_VERIFIED, READY, RunReport
from pytest_readiness.results import CheckResult, Status

COLUMNS = (Status.PASSED, Status.FAILED, Status.ERROR, Status.WAIVED, Status.UNVERIFIED, Status.NOT_APPLICABLE)
HEADINGS = ("passed", "failed", "error", "waived", "unverified", "n/a")
# A line and its colour (pytest's TerminalWriter markup name, "" for none): --color decides if it shows.
Line = tuple[str, str]
Section = tuple[str, list[Line]]
VERDICT_COLOUR = {READY: "green", NOT_READY: "red", NOT_VERIFIED: "yellow"}
STATUS_COLOUR = {"PASS": "green", "FAIL": "red", "INCOMPLETE": "yellow"}


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}%"


def quick_assessment(report: RunReport) -> list[Line]:
    header = f"{'Category':<14} {'Status':<11} {'Score':>6} " + " ".join(f"{h:>10}" for h in HEADINGS) + "  Priority"
    lines = [(header, ""), ("-" * len(header), "")]
    for c in report.categories:
        numbers = " ".join(f"{c.counts[s.value]:>10}" for s in COLUMNS)
        lines.append((f"{c.name.title():<14} {c.status:<11} {_score(c.score):>6} {numbers}  {c.priority}",
                      STATUS_COLOUR.get(c.status, "")))
    total = " ".join(f"{report.totals[s.value]:>10}" for s in COLUMNS)
    overall = "FAIL" if any(c.status == "FAIL" for c in report.categories) else (
        "INCOMPLETE" if report.totals[Status.UNVERIFIED.value] else "PASS")
    lines.append((f"{'Total':<14} {overall:<11} {'':>6} {total}", STATUS_COLOUR[overall]))
    lines.append(("score: passed share of applicable checks, weighted critical 4, high 3, medium 2, low 1 "
                  "(never the gate; see docs/reports.md)", ""))
    return lines


def plain(lines: list[str]) -> list[Line]:
    return [(line, "") for line in lines]


def one_line(result: CheckResult) -> str:
    if result.findings:
        more = f" (+{len(result.findings) - 1} more)" if len(result.findings) > 1 else ""
        return f"{result.findings[0]}{more}"
    return result.message.splitlines()[0] if result.message else ""


def worst_failures(report: RunReport, limit: int = 10) -> list[str]:
    failures = [r for r in report.results if r.status.counts_as_failure]
    failures.sort(key=lambda r: (PRIORITIES.index(r.check.priority), r.check.category, r.key))
    not_gating = set(report.verdict.not_gating)
    lines = []
    for r in failures[:limit]:
        tags = [r.change.value] if r.change else []
        tags += ["not gating"] if r.key in not_gating else []
        marks = f" [{', '.join(tags)}]" if tags else ""
        lines.append(f"{r.check.priority:<8} {r.key}{marks}: {r.check.title}: {one_line(r)}")
    if len(failures) > limit:
        lines.append(f"... and {len(failures) - limit} more")
    return lines


def _status_text(state: str, valid_through: object) -> str:
    if state == "approved":
        return f"[x] approved, valid through {valid_through}"
    if state == "expired":
        return f"[ ] expired after {valid_through}"
    return f"[ ] {state}"


def signoff_table(report: RunReport) -> list[str]:
    rows = [("Check", "Reviewer", "Date", "Status", "Source")] + [
        (row.label, row.reviewer or "-", str(row.date or "-"), _status_text(row.state, row.valid_through), row.source)
        for row in report.signoffs
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[4]
             for row in rows]
    lines.insert(1, "-" * len(lines[0]))
    return lines


def waiver_lines(report: RunReport) -> list[str]:
    lines = []
    for w in sorted(report.waivers, key=lambda w: (w.state, w.check_id, w.object)):
        scope = f"{w.check_id}[{w.object}]" if w.object else w.check_id
        who = f" approved by {w.approver}," if w.approver else ""
        until = f" expires {w.expires}," if w.expires else ""
        matched = f" covers {', '.join(w.matched)}" if w.matched else ""
        lines.append(f"{w.state.upper():<13} {scope}:{who}{until} {w.justification!r} ({w.source}){matched}")
    return lines


def baseline_lines(report: RunReport) -> list[str]:
    diff = report.baseline
    if diff is None:
        return []
    lines = [f"against {diff.path}: {len(diff.new)} new, {len(diff.known)} known, {len(diff.fixed)} fixed"]
    lines += [f"new    {key}" for key in diff.new]
    lines += [f"fixed  {key}" for key in diff.fixed]
    return lines


def policy_text(report: RunReport) -> str:
    policy = report.policy
    return f"fail-on={policy.fail_on}" + (", strict" if policy.strict else "") + (
        ", allow-unverified" if policy.allow_unverified and not policy.strict else "") + (
        ", fail-on-new" if policy.fail_on_new else "") + f", today={report.today} (UTC)"


def verdict_lines(report: RunReport) -> list[Line]:
    verdict = report.verdict
    head = f"{verdict.headline} ({policy_text(report)})"
    if verdict.reasons:
        head += ": " + "; ".join(verdict.reasons)
    lines = [(head, VERDICT_COLOUR[verdict.state])]
    below = verdict.not_gating
    if below:
        more = " ..." if len(below) > 5 else ""
        lines.append((f"{len(below)} failures below the policy do not fail the run: {', '.join(below[:5])}{more}",
                      ""))
    unverified = report.totals[Status.UNVERIFIED.value]
    if unverified:
        lines.append((f"{unverified} checks unverified (input absent or needs attestation); the biggest causes:",
                      "yellow"))
        lines += [(f"  {cause}", "yellow") for cause in verdict.causes[:3]]
        if len(verdict.causes) > 3:
            lines.append((f"  ... and {len(verdict.causes) - 3} more causes: see the skip reasons (-rs)", ""))
    if verdict.not_run:
        lines.append((f"{len(verdict.not_run)} checks not run (left out by -m, -k or --readiness-check): "
                      "out of this run's scope, not verified by it", ""))
    return lines


def summary_lines(report: RunReport) -> list[Section]:
    sections: list[Section] = [("production readiness: quick assessment", quick_assessment(report))]
    worst = worst_failures(report)
    if worst:
        sections.append(("worst failures by priority", [(line, "red") for line in worst]))
    sections.append((f"sign-off ({report.readiness_file})", plain(signoff_table(report))))
    if report.waivers:
        sections.append(("waivers", plain(waiver_lines(report))))
    if report.baseline:
        sections.append(("baseline", plain(baseline_lines(report))))
    if report.problems:
        sections.append(("problems in readiness inputs", [(str(p), "red") for p in report.problems]))
    sections.append(("readiness verdict", verdict_lines(report)))
    return sections
