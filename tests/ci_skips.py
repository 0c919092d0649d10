"""Under CI=true a test that skips because a tool or file it needs is missing fails instead.

A developer's machine that happens to have kubectl hides a CI that never installs it: the tests skip
quietly there and in CI alike. Here an imperative skip (`pytest.skip`, `pytest.importorskip`, from a test
or a fixture) is a failure when CI is set. A `skipif` marker stays a skip: its condition is a fact of
the machine that no install changes (an OpenSSL without TLS 1.0), and each carries its reason. Every run
ends with the count of skipped tests and their reasons, so a skip is never counted as done unseen.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Generator

import pytest

CI_VALUES = frozenset({"1", "true", "yes"})


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in CI_VALUES


def _skipped_by_marker(excinfo: pytest.ExceptionInfo[BaseException]) -> bool:
    """Whether pytest's own skipif/skip marker evaluation raised the skip (not the test or a fixture)."""
    return any(entry.path.name == "skipping.py" and entry.name == "pytest_runtest_setup"
               for entry in excinfo.traceback if hasattr(entry.path, "name"))


def _reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if not (under_ci() and report.skipped and call.excinfo is not None) or hasattr(report, "wasxfail"):
        return report
    if _skipped_by_marker(call.excinfo):
        return report
    report.outcome = "failed"
    report.longrepr = (f"CI=true: this test needs something the machine lacks and skipped: {_reason(report)}\n"
                       "Install it in .ci/run. A skip that is right on every CI machine is a skipif marker "
                       "whose reason says why.")
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if not hasattr(r, "wasxfail")]
    reasons = Counter(_reason(r) for r in skipped)
    terminalreporter.write_sep("-", f"skipped tests: {len(skipped)}")
    for reason, count in reasons.most_common():
        terminalreporter.write_line(f"{count:4d}  {reason}")
