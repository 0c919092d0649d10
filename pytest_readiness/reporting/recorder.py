"""The hooks that run only under --readiness: settings, fixtures, outcomes into the result model,
waivers, the exit policy and the reports.

Where a check runs (an xdist worker, or the only process), `pytest_runtest_makereport` builds its
result and puts it on the test report (`reporting.wire`); where pytest reports (the controller, or
the same process), `pytest_runtest_logreport` collects it, and the session's end waives, compares,
decides and writes every report from what was collected, in one order whatever the scheduling.
"""

from __future__ import annotations

import dataclasses
import fnmatch
from collections.abc import Generator
from pathlib import Path

import pytest

from pytest_readiness import session
from pytest_readiness.api import Evidence, NotApplicable, SourceError, Unverified, lookup
from pytest_readiness.catalog import CATEGORIES, Check
from pytest_readiness.decisions.baseline import Baseline
from pytest_readiness.decisions.baseline import load as load_baseline
from pytest_readiness.decisions.verdict import NOT_READY, Policy, RunReport, assemble
from pytest_readiness.decisions.waivers import WaiverBook, object_key
from pytest_readiness.reporting import wire
from pytest_readiness.results import CheckResult, EvidenceItem, Location, ResultStore, Status
from pytest_readiness.secrets import mask_in_text
from pytest_readiness.session import REPORT_KEY, RESULT_KEY, STORE_KEY, SourceCache, session_today
from pytest_readiness.settings import Settings
from pytest_readiness.sources.kube.model import KubeObject
from pytest_readiness.sources.manual.attestation import readiness_file_of

EVIDENCE_SECTION = "readiness evidence"
LOG_ATTRIBUTE = "readiness_log"
_FAILURE_EXCEPTIONS = (AssertionError, pytest.fail.Exception, SourceError)


CHECK_KEY = pytest.StashKey["Check | None"]()


def check_of(item: pytest.Item) -> Check | None:
    """The check an item runs (None for another test), looked up once and kept on the item: the hooks
    ask for it several times per item."""
    if CHECK_KEY not in item.stash:
        marker = item.get_closest_marker("readiness")
        item.stash[CHECK_KEY] = lookup(str(marker.args[0])) if marker and marker.args else None
    return item.stash[CHECK_KEY]


def target_of(item: pytest.Item, check: Check) -> str:
    callspec = getattr(item, "callspec", None)
    target = callspec.id if callspec is not None else ""
    return "" if target == check.id else target  # manual items are parametrized by their own id


def workload_of(item: pytest.Item) -> KubeObject | None:
    """The object a per-object check ran on, for annotation waivers: any source's parameter that names one
    through a `waiver_object` property (the manifests' and the live cluster's workloads do)."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    for value in params.values():
        obj = getattr(value, "waiver_object", None)
        if isinstance(obj, KubeObject):
            return obj
    return None


def id_patterns(values: tuple[str, ...]) -> list[str]:
    """`SEC-NON-ROOT,SEC-LIVE-*` (flags may repeat, ini lines may hold several) -> upper-case patterns."""
    return [part.strip().upper() for value in values for part in value.split(",") if part.strip()]


def matches(check_id: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(check_id.upper(), pattern) for pattern in patterns)


def result_order(result: CheckResult) -> tuple[int, str, str, str]:
    category = CATEGORIES.index(result.check.category) if result.check.category in CATEGORIES else len(CATEGORIES)
    return category, result.check.id, result.target, result.nodeid


def _status(report: pytest.TestReport, call: pytest.CallInfo[None]) -> Status | None:
    if report.passed:
        return Status.PASSED if report.when == "call" else None
    exc = call.excinfo.value if call.excinfo is not None else None
    if report.skipped:
        return Status.NOT_APPLICABLE if isinstance(exc, NotApplicable) else Status.UNVERIFIED
    if isinstance(exc, SourceError) or report.when != "call":
        return Status.ERROR
    if isinstance(exc, AssertionError | pytest.fail.Exception):
        return Status.FAILED
    return Status.ERROR


def _message(call: pytest.CallInfo[None]) -> str:
    if call.excinfo is None:
        return ""
    exc = call.excinfo.value
    if isinstance(exc, Unverified | NotApplicable):
        return exc.reason
    text = str(exc)
    if isinstance(exc, AssertionError):
        text = text.split("\nassert ")[0]  # drop pytest's introspection, keep the author's message
    return text or type(exc).__name__


def _masked(items: list[EvidenceItem]) -> list[EvidenceItem]:
    return [EvidenceItem(i.location, mask_in_text(i.detail)) for i in items]


def _source_error_finding(exc: BaseException | None) -> list[EvidenceItem]:
    """A malformed input's file:line, so SARIF can point at the parse error."""
    if not isinstance(exc, SourceError):
        return []
    path, _, line = exc.where.rpartition(":")
    if not (path and line.isdigit()):
        return []
    return [EvidenceItem(Location(path, int(line)), mask_in_text(exc.problem))]


def _longrepr(check: Check, result: CheckResult) -> str:
    lines = [f"[{check.id}] {check.title} ({check.category}, {check.priority}): {result.status.value}"]
    lines.append(result.message)
    for item in result.evidence:
        lines.append(f"  evidence: {item}")
    if result.waiver:
        lines.append(str(result.waiver))
    if result.change:
        lines.append(f"baseline: {result.change.value}")
    if check.remediation and result.status in (Status.FAILED, Status.ERROR, Status.WAIVED):
        lines.append("remediation:")
        lines.extend(f"  {line}" for line in check.remediation.splitlines())
    return mask_in_text("\n".join(lines))


def _incomplete(exitstatus: int, collection_errors: list[str]) -> str:
    """Why the run did not complete (collection errors, an internal error, an interruption), or ""."""
    if collection_errors:
        shown = ", ".join(collection_errors[:3]) + (" ..." if len(collection_errors) > 3 else "")
        return f"the run did not complete: {len(collection_errors)} collection errors ({shown})"
    if exitstatus not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.NO_TESTS_COLLECTED):
        return f"the run did not complete (pytest exit status {exitstatus})"
    return ""


class ReadinessRuntime:
    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        config.stash[session.SETTINGS_KEY] = settings
        config.stash[session.CACHE_KEY] = SourceCache()
        config.stash[STORE_KEY] = ResultStore()
        try:
            self.today = session_today(config)
        except ValueError as exc:
            raise pytest.UsageError(str(exc)) from None
        self.settings = settings
        self.policy = Policy(settings.fail_on, settings.strict, settings.fail_on_new, settings.ignore_annotations,
                             settings.allow_unverified)
        self.baseline: Baseline | None = None
        if settings.baseline:
            try:
                self.baseline = load_baseline(self.output_path(settings.baseline))
            except ValueError as exc:
                raise pytest.UsageError(f"--readiness-baseline: {exc}") from None
        elif settings.fail_on_new:
            raise pytest.UsageError("--readiness-fail-on-new needs --readiness-baseline (a previous JSON report)")
        self._book: WaiverBook | None = None
        self._local_book: WaiverBook | None = None
        self.other_failures = 0
        self.received: list[tuple[CheckResult, KubeObject | None]] = []
        self.collection_errors: list[str] = []
        if config.pluginmanager.hasplugin("html"):
            from pytest_readiness.reporting.html import HtmlHooks

            config.pluginmanager.register(HtmlHooks(config), "readiness-html")

    def output_path(self, value: str) -> Path:
        """Report and baseline paths are relative to the directory pytest was started in."""
        return self.config.invocation_params.dir / value

    def _new_book(self) -> WaiverBook:
        file = readiness_file_of(self.config)
        return WaiverBook(file.waivers, self.today, not self.settings.ignore_annotations)

    @property
    def book(self) -> WaiverBook:
        """The run's waivers, applied where the results are collected: what the reports list as applied."""
        if self._book is None:
            self._book = self._new_book()
        return self._book

    @property
    def local_book(self) -> WaiverBook:
        """The same waivers, applied where a check ran, so its pytest report shows WAIVED."""
        if self._local_book is None:
            self._local_book = self._new_book()
        return self._local_book

    def pytest_itemcollected(self, item: pytest.Item) -> None:
        """`-k SEC-NON-ROOT` and `-k Deployment/msft-agent` select what they name."""
        check = check_of(item)
        if check is not None:
            item.extra_keyword_matches.update(filter(None, (check.id, target_of(item, check))))

    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        """--readiness-check / --readiness-skip-check: the others are deselected (not run, out of scope)."""
        wanted, unwanted = id_patterns(self.settings.check), id_patterns(self.settings.skip_check)
        if not wanted and not unwanted:
            return
        kept: list[pytest.Item] = []
        dropped: list[pytest.Item] = []
        for item in items:
            check = check_of(item)
            chosen = check is None or (
                (not wanted or matches(check.id, wanted)) and not matches(check.id, unwanted))
            (kept if chosen else dropped).append(item)
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = kept

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors.append(report.nodeid or "collection")

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        """In the process that ran the check: the result travels on the report, which tells the same story."""
        report = yield
        if call.when == "teardown" or RESULT_KEY in item.stash:
            return report
        check = check_of(item)
        if check is None:
            return report
        status = _status(report, call)
        if status is None:
            return report
        exc = call.excinfo.value if call.excinfo else None
        evidence = item.stash.get(session.EVIDENCE_KEY, Evidence())
        raw = CheckResult(
            check=check,
            nodeid=item.nodeid,
            target=target_of(item, check),
            status=status,
            message=mask_in_text(_message(call)),
            evidence=_masked(evidence.items),
            findings=_masked(evidence.findings) or _source_error_finding(exc),
        )
        workload = workload_of(item)
        setattr(report, wire.ATTRIBUTE, wire.dump(raw, workload))
        result = self._decide(dataclasses.replace(raw), workload, self.local_book)
        item.stash[RESULT_KEY] = result
        properties = [
            ("readiness_id", check.id),
            ("category", check.category),
            ("priority", check.priority),
            ("status", result.status.value),
            *(("evidence", str(e)) for e in result.evidence),
            *((("waiver", str(result.waiver)),) if result.waiver else ()),
            *((("baseline", result.change.value),) if result.change else ()),
        ]
        item.user_properties.extend(properties)
        report.user_properties.extend(properties)
        self._shape_report(report, item, check, result, exc)
        return report

    def _decide(self, result: CheckResult, workload: KubeObject | None, book: WaiverBook) -> CheckResult:
        book.apply(result, workload)
        if self.baseline is not None:
            result.change = self.baseline.change_of(result)
        return result

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """In the process that reports (the xdist controller, or the only one): collect the results."""
        payload = getattr(report, wire.ATTRIBUTE, None)
        if payload is not None:
            self.received.append(wire.load(payload))
        elif report.failed and not hasattr(report, "wasxfail"):
            self.other_failures += 1

    def _shape_report(self, report: pytest.TestReport, item: pytest.Item, check: Check, result: CheckResult,
                      exc: BaseException | None) -> None:
        """The pytest report tells the same story as the result, and shows no secret."""
        log = _longrepr(check, result)
        if result.status is Status.WAIVED:
            report.outcome = "skipped"
            report.wasxfail = str(result.waiver)  # type: ignore[attr-defined]
            report.readiness_waived = True  # type: ignore[attr-defined]
            report.longrepr = log
        elif report.skipped and isinstance(report.longrepr, tuple):
            where = item.location
            report.longrepr = (where[0], (where[1] or 0) + 1, f"{result.status.value}: {result.message}")
        elif result.status.counts_as_failure and isinstance(exc, _FAILURE_EXCEPTIONS):
            report.longrepr = log
        elif report.failed:  # an unexpected exception: keep pytest's traceback unless it must change
            original = str(report.longrepr)
            text = original if result.message in original else f"{original}\n{result.message}"
            if mask_in_text(text) != original:
                report.longrepr = mask_in_text(text)
        report.sections = [(title, mask_in_text(content)) for title, content in report.sections]
        if result.status is Status.PASSED and result.evidence:  # -rP / -rA show it in "PASSES"
            report.sections.append((EVIDENCE_SECTION, "\n".join(str(e) for e in result.evidence)))
        setattr(report, LOG_ATTRIBUTE, log)  # the HTML row's log

    @pytest.hookimpl(tryfirst=True)
    def pytest_report_teststatus(self, report: pytest.TestReport) -> tuple[str, str, str] | None:
        if getattr(report, "readiness_waived", False):
            return "waived", "w", "WAIVED"
        return None

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        from pytest_readiness.reporting import junit

        if hasattr(self.config, "workerinput"):
            return  # an xdist worker: its results travelled to the controller on the reports
        results, workloads, workload_by_node = self._collected()
        report = assemble(
            results, readiness_file_of(self.config), self.book, self.policy,
            self.today, self.baseline, workloads, workload_by_node,
        )
        incomplete = _incomplete(int(session.exitstatus), self.collection_errors)
        if incomplete:  # no report may say ready when the run did not complete
            report.verdict = dataclasses.replace(report.verdict, passed=False, state=NOT_READY,
                                                 reasons=[incomplete, *report.verdict.reasons])
        report.exit_status = self._exit_status(int(session.exitstatus), report)
        self.config.stash[REPORT_KEY] = report
        if self.settings.json:
            from pytest_readiness.reporting.json_report import write_json

            write_json(report, self.output_path(self.settings.json), self.settings.project)
        if self.settings.sarif:
            from pytest_readiness.reporting.sarif import write_sarif

            write_sarif(report, self.output_path(self.settings.sarif), self.settings.project)
        junit.add_global_properties(self.config, report)
        session.exitstatus = report.exit_status

    def _collected(self) -> tuple[list[CheckResult], dict[tuple[str, str], KubeObject], dict[str, tuple[str, str]]]:
        """The received results in one order whatever the scheduling, waived and compared once, here."""
        received = sorted(self.received, key=lambda pair: result_order(pair[0]))
        store = self.config.stash[STORE_KEY]
        workloads: dict[tuple[str, str], KubeObject] = {}
        workload_by_node: dict[str, tuple[str, str]] = {}
        for raw, workload in received:
            store.add(self._decide(raw, workload, self.book))
            if workload is not None:
                workloads.setdefault(object_key(workload), workload)
                workload_by_node[raw.nodeid] = object_key(workload)
        return store.results, workloads, workload_by_node

    def _exit_status(self, status: int, report: RunReport) -> int:
        if status not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) or not report.results:
            return status
        if self.other_failures:
            return pytest.ExitCode.TESTS_FAILED
        return report.verdict.exit_status

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        from pytest_readiness.reporting.terminal import summary_lines

        report = self.config.stash.get(REPORT_KEY, None)
        if report is None or not report.results:
            return
        for title, lines in summary_lines(report):
            terminalreporter.section(title, sep="=" if title.startswith("production readiness") else "-")
            for line, colour in lines:
                terminalreporter.write_line(line, **({colour: True} if colour else {}))
