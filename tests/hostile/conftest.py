"""Hostile-input tests: the good example project, broken one way at a time, run with `pytest --readiness`."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLES, ReadinessRun, _parse_junit

GOOD = EXAMPLES / "agent-good"
TODAY = "2026-12-02"  # inside the example's attestation windows: the untouched project is READY
DEPLOYMENT = "deployment/kubernetes/deployment.yaml"


@dataclass
class HostileRun(ReadinessRun):
    report: dict[str, Any] | None = None

    @property
    def ready(self) -> bool | None:
        return None if self.report is None else bool(self.report["verdict"]["ready"])

    def errors(self) -> dict[str, str]:
        """Errored checks: "CHECK[target]" -> message."""
        return {k: self.messages.get(k, "") for k, v in self.statuses.items() if v == "error"}

    def error_text(self) -> str:
        assert self.report is not None
        return "\n".join(r["message"] for r in self.report["results"] if r["status"] == "error")


def copy_good(root: Path) -> Path:
    shutil.copytree(GOOD, root, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("tests", "conftest.py", "__pycache__", ".pytest_cache"))
    return root


@pytest.fixture
def hostile_project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the READY example project in pytester's directory, to break one way."""
    monkeypatch.setenv("READINESS_TODAY", TODAY)
    return copy_good(pytester.path)


@pytest.fixture
def hostile_run(pytester: pytest.Pytester, hostile_project: Path) -> Callable[..., HostileRun]:
    """Run `pytest --readiness` on the (broken) project, in a subprocess with a time limit: a hang fails the
    test instead of holding the suite."""

    def run(*args: str, timeout: float = 240, in_process: bool = False) -> HostileRun:
        junit, report = hostile_project / "junit.xml", hostile_project / "report.json"
        for stale in (junit, report):
            stale.unlink(missing_ok=True)
        options = ("--readiness", "-p", "no:cacheprovider", "-p", "no:hypothesispytest", f"--junitxml={junit}",
                   f"--readiness-json={report}", "-rs", "-q")
        if in_process:
            result = pytester.runpytest(*options, *args)
        else:
            result = pytester.runpytest_subprocess(*options, *args, timeout=timeout)
        statuses, messages = _parse_junit(junit) if junit.exists() else ({}, {})
        data = json.loads(report.read_text(encoding="utf-8")) if report.exists() else None
        return HostileRun(result, statuses, messages, junit.read_text() if junit.exists() else "", data)

    return run


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def rss_mib() -> float:
    """This process's resident memory now (Linux /proc), in MiB."""
    with open(f"/proc/{os.getpid()}/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
