"""pytest-html: check id, category, priority, status and evidence columns, and the readiness summary.

Registered only when pytest-html is installed (its hooks exist only then). Remediation and waiver
text are in each row's log (the report's longrepr).
"""

from __future__ import annotations

from html import escape
from typing import Any

import pytest

from pytest_readiness.decisions.verdict import RunReport
from pytest_readiness.reporting.terminal import baseline_lines, policy_text, waiver_lines
from pytest_readiness.results import Status

COLUMNS = (("checkid", "Check", True), ("category", "Category", True), ("priority", "Priority", True),
           ("readiness", "Status", True), ("evidence", "Evidence", False))
EVIDENCE_SHOWN = 3
# pytest-html's own stylesheet lets long tokens (URLs, resource ids) widen the table past the window
# and hide the Evidence column: wrap them, fix the column widths, and colour what decides the run.
STYLE = """<style>
#results-table { table-layout: fixed; }
#results-table td { overflow-wrap: anywhere; }
#results-table th[data-column-type="result"] { width: 7%; }
#results-table th[data-column-type="testId"] { width: 24%; }
#results-table th[data-column-type="checkid"] { width: 11%; }
#results-table th[data-column-type="category"], #results-table th[data-column-type="priority"],
#results-table th[data-column-type="readiness"] { width: 7%; }
#results-table th.col-evidence { width: 26%; }
#results-table th[data-column-type="duration"] { width: 6%; }
#results-table th:last-child { width: 5%; }
table.readiness td, table.readiness th { padding: 2px 8px; text-align: left; }
.logwrapper .log, pre.readiness { overflow-wrap: anywhere; white-space: pre-wrap; }
p.readiness-verdict { font-size: 15px; padding: 6px 8px; border-left: 6px solid; }
.readiness-ready { color: #1a7f37; border-color: #1a7f37; }
.readiness-not-ready { color: #c62828; border-color: #c62828; }
.readiness-not-verified { color: #9a6700; border-color: #d4a72c; }
td.readiness-status-failed, td.readiness-status-error, td.readiness-category-FAIL { color: #c62828; font-weight: bold; }
td.readiness-status-passed, td.readiness-category-PASS { color: #1a7f37; }
td.readiness-status-unverified, td.readiness-category-INCOMPLETE { color: #9a6700; }
</style>"""
VERDICT_CLASS = {"ready": "readiness-ready", "not ready": "readiness-not-ready",
                 "not verified": "readiness-not-verified"}


def _cell(value: object) -> str:
    text = str(value)
    css = f' class="readiness-category-{text}"' if text in ("PASS", "FAIL", "INCOMPLETE") else ""
    return f"<td{css}>{escape(text)}</td>"


def _table(head: list[str], rows: list[list[object]]) -> str:
    header = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(_cell(c) for c in row) + "</tr>" for row in rows)
    return f'<table class="readiness"><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>'


def _pre(title: str, lines: list[str]) -> str:
    return f'<h3>{escape(title)}</h3><pre class="readiness">{escape(chr(10).join(lines))}</pre>' if lines else ""


def summary_html(report: RunReport) -> list[str]:
    verdict = report.verdict.headline + (": " + "; ".join(report.verdict.reasons) if report.verdict.reasons else "")
    quick = _table(
        ["Category", "Status", "Score", *(s.value.replace("_", " ") for s in Status), "Priority"],
        [[c.name.title(), c.status, "-" if c.score is None else f"{c.score:.0f}%",
          *(c.counts[s.value] for s in Status), c.priority] for c in report.categories]
        + [["Total", "", "", *(report.totals[s.value] for s in Status), ""]],
    )
    signoff = _table(
        ["Check", "Reviewer", "Date", "State", "Valid through", "Source"],
        [[r.label, r.reviewer or "-", r.date or "-", r.state, r.valid_through or "-", r.source]
         for r in report.signoffs],
    )
    totals = ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in report.totals.items() if n)
    scope = (f"{report.verdict.selected} checks run, {len(report.verdict.not_run)} not run; "
             f"{len(report.results)} results (a check runs once per object): {totals}. pytest-html's test count "
             "below leaves out skipped rows (unverified, not applicable).")
    parts = [
        STYLE,
        "<h2>Production readiness</h2>",
        f'<p class="readiness-verdict {VERDICT_CLASS[report.verdict.state]}"><strong>{escape(verdict)}</strong>'
        f" ({escape(policy_text(report))})</p>",
        f"<p>{escape(scope)}</p>",
        "<h3>Quick Assessment</h3>", quick,
        f"<h3>Sign-off ({escape(report.readiness_file)})</h3>", signoff,
        _pre("Unverified: the biggest causes", [str(c) for c in report.verdict.causes[:5]]),
        _pre("Waivers", waiver_lines(report)),
        _pre("Baseline", baseline_lines(report)),
        _pre("Problems in readiness inputs", [str(p) for p in report.problems]),
    ]
    return [part for part in parts if part]


class HtmlHooks:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        cells[2:2] = [
            f'<th class="sortable" data-column-type="{name}">{title}</th>' if sortable
            else f'<th class="col-{name}">{title}</th>'
            for name, title, sortable in COLUMNS
        ]

    def pytest_html_results_table_html(self, report: pytest.TestReport, data: list[str]) -> None:
        """A check's log: status, message, evidence, waiver, remediation; never a raw Python tuple."""
        from pytest_readiness.reporting.recorder import EVIDENCE_SECTION, LOG_ATTRIBUTE

        log = getattr(report, LOG_ATTRIBUTE, None)
        if log is None:
            return
        sections = [f"{' ' + escape(title) + ' ':-^80}\n{escape(content)}" for title, content in report.sections
                    if title != EVIDENCE_SECTION]
        data[:] = [escape(log) + "\n", *sections]

    def pytest_html_results_table_row(self, report: pytest.TestReport, cells: list[str]) -> None:
        props: dict[str, Any] = {}
        evidence: list[str] = []
        for name, value in report.user_properties:
            if name == "evidence":
                evidence.append(str(value))
            else:
                props[name] = value
        shown = [escape(e) for e in evidence[:EVIDENCE_SHOWN]]
        if len(evidence) > EVIDENCE_SHOWN:
            shown.append(f"(+{len(evidence) - EVIDENCE_SHOWN} more)")
        if "waiver" in props:
            shown.append(escape(str(props["waiver"])))
        values = {
            "checkid": escape(str(props.get("readiness_id", ""))),
            "category": escape(str(props.get("category", ""))),
            "priority": escape(str(props.get("priority", ""))),
            "readiness": escape(str(props.get("status", ""))),
            "evidence": "<br>".join(shown),
        }
        status_class = f" readiness-status-{values['readiness']}" if values["readiness"] else ""
        cells[2:2] = [f'<td class="col-{name}{status_class if name == "readiness" else ""}">{values[name]}</td>'
                      for name, _, _ in COLUMNS]
        if props and report.when != "call":  # a check decided in setup (no input): its name, not `::setup`
            cells[1] = f'<td class="col-testId">{escape(report.nodeid)}</td>'

    def pytest_html_results_summary(self, prefix: list[str], summary: list[str], postfix: list[str],
                                    session: pytest.Session) -> None:
        from pytest_readiness.session import REPORT_KEY

        report = self.config.stash.get(REPORT_KEY, None)
        if report is not None:
            prefix.extend(summary_html(report))
