"""The hooks that run only under --readiness: settings, fixtures, outcomes into the result model."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from pytest_readiness import fixtures
from pytest_readiness.api import Evidence, conftest_checks, lookup
from pytest_readiness.catalog import Check
from pytest_readiness.outcomes import NotApplicable, SourceError, Unverified
from pytest_readiness.results import CheckResult, ResultStore, Status
from pytest_readiness.secrets import mask_in_text
from pytest_readiness.settings import Settings
from pytest_readiness.sources import SourceCache

STORE_KEY = pytest.StashKey[ResultStore]()
ORGANISATION_MODULE = Path(__file__).parent / "checklist" / "test_organisation.py"
RESULT_KEY = pytest.StashKey[CheckResult]()


class OrganisationModule(pytest.Module):
    """The checklist module that carries the checks defined in the project's conftest.py files."""

    def _getobj(self) -> Any:
        module = super()._getobj()  # type: ignore[no-untyped-call]
        for name, function in conftest_checks(self.config).items():
            setattr(module, name, function)
        return module


def check_of(item: pytest.Item) -> Check | None:
    marker = item.get_closest_marker("readiness")
    return lookup(str(marker.args[0])) if marker and marker.args else None


def target_of(item: pytest.Item) -> str:
    callspec = getattr(item, "callspec", None)
    return callspec.id if callspec is not None else ""


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


def _longrepr(check: Check, result: CheckResult) -> str:
    lines = [f"[{check.id}] {check.title} ({check.category}, {check.priority}): {result.status.value}"]
    lines.append(result.message)
    for item in result.evidence:
        lines.append(f"  evidence: {item}")
    if check.remediation and result.status is Status.FAILED:
        lines.append("remediation:")
        lines.extend(f"  {line}" for line in check.remediation.splitlines())
    return mask_in_text("\n".join(lines))


class ReadinessRuntime:
    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        config.stash[fixtures.SETTINGS_KEY] = settings
        config.stash[fixtures.CACHE_KEY] = SourceCache()
        config.stash[STORE_KEY] = ResultStore()

    @pytest.hookimpl(tryfirst=True)
    def pytest_pycollect_makemodule(self, module_path: Path, parent: pytest.Collector) -> pytest.Module | None:
        if module_path == ORGANISATION_MODULE:
            return OrganisationModule.from_parent(parent, path=module_path)
        return None

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        check = check_of(item)
        if check is None or call.when == "teardown" or RESULT_KEY in item.stash:
            return report
        status = _status(report, call)
        if status is None:
            return report
        evidence = item.stash.get(fixtures.EVIDENCE_KEY, Evidence())
        result = CheckResult(
            check=check,
            nodeid=item.nodeid,
            target=target_of(item),
            status=status,
            message=mask_in_text(_message(call)),
            evidence=list(evidence.items),
            findings=list(evidence.findings),
        )
        item.stash[RESULT_KEY] = result
        self.config.stash[STORE_KEY].add(result)
        item.user_properties.extend(
            [
                ("readiness_id", check.id),
                ("category", check.category),
                ("priority", check.priority),
                ("status", status.value),
            ]
            + [("evidence", mask_in_text(str(e))) for e in result.evidence]
        )
        if report.skipped and isinstance(report.longrepr, tuple):
            _path, _line, _ = report.longrepr
            where = item.location
            report.longrepr = (where[0], (where[1] or 0) + 1, f"{status.value}: {result.message}")
        if status in (Status.FAILED, Status.ERROR) and isinstance(call.excinfo.value if call.excinfo else None,
                                                                  AssertionError | pytest.fail.Exception
                                                                  | SourceError):
            report.longrepr = _longrepr(check, result)
        return report

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        from pytest_readiness.reporting.terminal import quick_assessment, worst_failures

        store = self.config.stash[STORE_KEY]
        if not store.results:
            return
        terminalreporter.section("production readiness: quick assessment")
        for line in quick_assessment(store):
            terminalreporter.write_line(line)
        worst = worst_failures(store)
        if worst:
            terminalreporter.section("worst failures by priority", sep="-")
            for line in worst:
                terminalreporter.write_line(mask_in_text(line))
        unverified = sum(r.status is Status.UNVERIFIED for r in store.results)
        if unverified:
            terminalreporter.write_line(
                f"{unverified} checks unverified (input absent or needs attestation): see the skip reasons (-rs)"
            )
