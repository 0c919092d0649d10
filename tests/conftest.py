"""Shared test helpers: build a deployment repo on disk and run `pytest --readiness` on it."""

from __future__ import annotations

import importlib
import pkgutil
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.ci_skips import pytest_runtest_makereport, pytest_terminal_summary

__all__ = ["pytest_runtest_makereport", "pytest_terminal_summary"]  # hooks: under CI a missing tool fails

REPO_ROOT = Path(__file__).resolve().parent.parent


def _import_plugin_modules() -> None:
    """Import every plugin module (not the checklist) before any in-process pytester run.

    pytester restores sys.modules after each in-process run; a plugin module first imported inside
    a run would be dropped from sys.modules but stay an attribute of the package, and the next run
    would mix two copies of it (two different stash keys). Imported up front, they are kept.
    """
    import pytest_readiness

    for info in pkgutil.walk_packages(pytest_readiness.__path__, "pytest_readiness."):
        if not info.name.startswith("pytest_readiness.checklist"):
            importlib.import_module(info.name)


_import_plugin_modules()
# The case folders are deployment repos to run the checklist on, not tests of this suite.
collect_ignore_glob = ["cases/*"]
EXAMPLES = REPO_ROOT / "conftest_examples"


@dataclass
class ReadinessRun:
    """A finished `pytest --readiness` run, with each check's status read back from its JUnit XML."""

    result: pytest.RunResult
    statuses: dict[str, str] = field(default_factory=dict)  # "CHECK-ID[target]" -> status
    messages: dict[str, str] = field(default_factory=dict)
    junit: str = ""

    @property
    def output(self) -> str:
        return self.result.stdout.str() + self.result.stderr.str()

    def status(self, key: str) -> str:
        assert key in self.statuses, f"{key} not in run: {sorted(self.statuses)}\n{self.output[-3000:]}"
        return self.statuses[key]

    def of_check(self, check_id: str) -> dict[str, str]:
        return {k: v for k, v in self.statuses.items() if k == check_id or k.startswith(check_id + "[")}


def _parse_junit(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    statuses: dict[str, str] = {}
    messages: dict[str, str] = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        if "readiness_id" not in props:
            continue
        name = case.get("name", "")
        target = name[name.index("[") + 1 : -1] if "[" in name else ""
        if target == props["readiness_id"]:  # manual items are parametrized by their own id
            target = ""
        key = f"{props['readiness_id']}[{target}]" if target else str(props["readiness_id"])
        statuses[key] = str(props["status"])
        detail = [el.get("message", "") + "\n" + (el.text or "") for el in case if el.tag in
                  ("failure", "error", "skipped")]
        messages[key] = "\n".join(detail)
    return statuses, messages


def write_tree(root: Path, files: Mapping[str, str]) -> None:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")


@pytest.fixture
def run_readiness(pytester: pytest.Pytester):
    """Write `files` into a fresh project and run `pytest --readiness` on it (in-process)."""

    def run(files: Mapping[str, str], *args: str, fresh_process: bool = False) -> ReadinessRun:
        """`fresh_process` runs pytest in a subprocess, as a user does: for assertions about warnings,
        which an in-process run adds (the outer pytest already imported the plugin)."""
        write_tree(pytester.path, files)
        junit = pytester.path / "junit.xml"
        options = ("--readiness", "-p", "no:cacheprovider", "-p", "no:hypothesispytest", f"--junitxml={junit}", "-rs")
        runner = pytester.runpytest_subprocess if fresh_process else pytester.runpytest
        result = runner(*options, *args)
        statuses, messages = _parse_junit(junit) if junit.exists() else ({}, {})
        return ReadinessRun(result, statuses, messages, junit.read_text() if junit.exists() else "")

    return run
