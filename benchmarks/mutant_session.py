# ruff: noqa: F811  (fixtures imported from the test suite are taken as arguments by the same name)
"""One check's mutants against its case folders, in one pytest process (run by benchmarks/mutants.py).

The package under test is a copy (MUTANT_DIR, first on PYTHONPATH). Each test writes one mutant of the
check's module into the copy and runs the check's cases with pytester; the checklist module is imported
afresh by every in-process run, so each run sees the mutant. Outcomes go to MUTANT_REPORT as JSON.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.case_azure import arm_ca, arm_ca_file, azure_clients_loaded, emulated_arm  # noqa: F401  (fixtures)
from tests.case_folders import Case, discover
from tests.case_image import podman  # noqa: F401  (fixture)
from tests.conftest import ReadinessRun, run_readiness  # noqa: F401  (fixture)
from tests.live.conftest import launch_redis, launch_service, make_token, service_secrets, stub_server, tls_files  # noqa: F401
from tests.test_cases import emulated_cluster, http_client_loaded, kube_client_loaded, run_case  # noqa: F401  (fixtures)

COPY = Path(os.environ["MUTANT_DIR"])
SPEC = json.loads((COPY / "mutants.json").read_text(encoding="utf-8"))
MODULE = COPY / "pytest_readiness" / "checklist" / SPEC["module"]
CASES = discover(SPEC["check"])
OUTCOMES: dict[str, str] = {}
BASELINE: list[str] = []


def _fresh(request: pytest.FixtureRequest) -> None:
    """An empty project folder: the cases of one test share pytester's folder, and must not see each other."""
    folder: Path = request.getfixturevalue("pytester").path
    for entry in folder.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def _run(case: Case, run_readiness: Callable[..., ReadinessRun], request: pytest.FixtureRequest) -> str | None:
    _fresh(request)
    return run_case(case, run_readiness, request)


def _write(source: str) -> None:
    MODULE.write_text(source, encoding="utf-8")
    shutil.rmtree(MODULE.parent / "__pycache__", ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def report() -> Iterator[None]:
    yield
    _write(SPEC["original"])
    Path(os.environ["MUTANT_REPORT"]).write_text(json.dumps({"outcomes": OUTCOMES, "baseline": BASELINE}),
                                                  encoding="utf-8")


def test_unmutated_cases_pass(run_readiness: Callable[..., ReadinessRun], request: pytest.FixtureRequest) -> None:
    import pytest_readiness.plugin

    if not Path(pytest_readiness.plugin.CHECKLIST_DIR).is_relative_to(COPY):
        BASELINE.append(f"the package copy is not the one imported: {pytest_readiness.plugin.CHECKLIST_DIR}")
        return
    _write(SPEC["original"])
    for case in CASES:
        problem = _run(case, run_readiness, request)
        if problem:
            BASELINE.append(f"{case.name}: {problem[:300]}")


@pytest.mark.parametrize("index", sorted(SPEC["sources"], key=int))
def test_mutant(index: str, run_readiness: Callable[..., ReadinessRun], request: pytest.FixtureRequest) -> None:
    if BASELINE:
        pytest.skip("the cases fail on the unmutated code")
    _write(SPEC["sources"][index])
    try:
        for case in CASES:
            problem = _run(case, run_readiness, request)
            if problem is not None:
                OUTCOMES[index] = f"killed by {case.name}: {' '.join(problem.split())[:240]}"
                return
        OUTCOMES[index] = "survived"
    finally:
        _write(SPEC["original"])
