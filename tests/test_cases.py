"""The case folders (tests/cases/<CHECK-ID>/<outcome>-<name>/), each run with `pytest --readiness`.

One parametrized driver: each case is the smallest repo (and, for cluster checks, the smallest set of
live objects) that gives its check one outcome. See tests/case_folders.py for the layout.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from pytest_readiness.catalog import load_catalog
from tests.case_folders import CASES, OUTCOMES, Case, automated_check_ids, check_functions, discover
from tests.conftest import ReadinessRun

ALL_CASES = discover()


@pytest.fixture
def emulated_cluster(tmp_path: Path) -> Iterator[Callable[[Path], tuple[str, ...]]]:
    from tests.emulators.kube_api import KubeApiEmulator

    with KubeApiEmulator() as api:
        def serve(objects: Path) -> tuple[str, ...]:
            api.add_many(o for o in yaml.safe_load_all(objects.read_text(encoding="utf-8")) if o)
            kubeconfig = api.write_kubeconfig(tmp_path / "kubeconfig", context="cases")
            return f"--readiness-kubeconfig={kubeconfig}", "--readiness-kube-context=cases"

        yield serve


@pytest.mark.parametrize("case", ALL_CASES, ids=[c.name for c in ALL_CASES])
def test_case(case: Case, run_readiness: Callable[..., ReadinessRun], request: pytest.FixtureRequest) -> None:
    function = check_functions()[case.check_id][1]
    args = list(case.args)
    if case.cluster is not None:
        args += request.getfixturevalue("emulated_cluster")(case.cluster)
    run = run_readiness(case.files(), "-k", function, *args)
    results = run.of_check(case.check_id)
    if case.target is not None:
        results = {k: v for k, v in results.items() if k == f"{case.check_id}[{case.target}]"}
    assert results, f"{case.check_id} did not run:\n{run.output[-3000:]}"
    wrong = {key: f"{status}: {run.messages[key][:600]}" for key, status in results.items() if status != case.outcome}
    assert not wrong, f"expected {case.outcome} for every result of {case.check_id}: {wrong}"
    report = "\n".join(run.messages[key] for key in results) if case.outcome != "passed" else html.unescape(run.junit)
    missing = [line for line in case.expected if line not in report]
    assert not missing, f"not in the report of {case.name}: {missing}\n{report[-3000:]}"


def test_every_automated_check_has_a_pass_and_a_fail_case() -> None:
    by_check: dict[str, set[str]] = {}
    for case in ALL_CASES:
        by_check.setdefault(case.check_id, set()).add(case.outcome)
    lacking = {check_id: sorted({"passed", "failed"} - by_check.get(check_id, set()))
               for check_id in automated_check_ids() if not {"passed", "failed"} <= by_check.get(check_id, set())}
    assert not lacking, f"checks lacking cases in tests/cases/: {lacking}"


def test_every_case_folder_names_a_catalog_check_and_an_outcome() -> None:
    catalog = load_catalog()
    functions = check_functions()
    for folder in (p for p in CASES.iterdir() if p.is_dir() and not p.name.startswith("_")):
        assert folder.name in catalog and folder.name in functions, f"{folder.name} is no automated check"
        for case in folder.iterdir():
            assert case.name.split("-", 1)[0] in OUTCOMES, f"{case}: prefix one of {sorted(OUTCOMES)}"
            assert any(p.is_file() for p in case.rglob("*")), f"{case} is empty"
