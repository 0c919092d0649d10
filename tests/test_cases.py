"""The case folders (tests/cases/<CHECK-ID>/<outcome>-<name>/), each run with `pytest --readiness`.

One parametrized driver: each case is the smallest repo (and, for cluster checks, the smallest set of
live objects) that gives its check one outcome. See tests/case_folders.py for the layout.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from pytest_readiness.catalog import load_catalog
from tests.case_folders import CASES, OUTCOMES, Case, automated_check_ids, check_functions, discover
from tests.conftest import ReadinessRun

ALL_CASES = discover()
CONTEXT = "cases"  # a result of a cluster case is keyed `cluster:cases:<Kind>/<name>`
NAMESPACE = "msft-agent"


_AGO = re.compile(r"@@AGO:(\d+)@@")


def _snapshot_text(path: Path) -> str:
    now = datetime.now(UTC)
    return _AGO.sub(lambda m: (now - timedelta(minutes=int(m.group(1)))).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def kube_client_loaded(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The kubernetes client's lazily imported modules, loaded once in this process (see tests/cluster)."""
    from pytest_readiness.sources.kube.cluster import ClusterTarget, load_snapshot
    from tests.emulators import kube_objects
    from tests.emulators.kube_api import KubeApiEmulator

    with KubeApiEmulator() as api:
        api.add_many(kube_objects.agent_stack())
        kubeconfig = api.write_kubeconfig(tmp_path_factory.mktemp("warm") / "kubeconfig")
        load_snapshot(ClusterTarget(str(kubeconfig), None, None)).close()


@pytest.fixture
def emulated_cluster(tmp_path: Path, kube_client_loaded: None) -> Iterator[Callable[[Case], tuple[str, ...]]]:
    from tests.emulators.kube_api import KubeApiEmulator

    with KubeApiEmulator() as api:
        def serve(case: Case) -> tuple[str, ...]:
            for path in case.cluster:
                api.add_many(o for o in yaml.safe_load_all(_snapshot_text(path)) if o)
            namespace = str(case.settings.get("namespace", NAMESPACE))
            for (pod, container), text in case.pod_logs().items():
                api.set_logs(namespace, pod, container, text)
            kubeconfig = api.write_kubeconfig(tmp_path / "kubeconfig", context=CONTEXT)
            return (f"--readiness-kubeconfig={kubeconfig}", f"--readiness-kube-context={CONTEXT}",
                    f"--readiness-namespace={namespace}")

        yield serve


def run_case(case: Case, run_readiness: Callable[..., ReadinessRun], request: pytest.FixtureRequest) -> str | None:
    """Run one case; what is wrong with its outcome, or None when the check gave what the folder says."""
    function = check_functions()[case.check_id][1]
    args = list(case.args)
    if case.cluster:
        args += request.getfixturevalue("emulated_cluster")(case)
    run = run_readiness(case.files(), "-k", function, *args)
    results = run.of_check(case.check_id)
    if case.target is not None:
        results = {k: v for k, v in results.items() if k == f"{case.check_id}[{case.target}]"}
    if not results:
        return f"{case.check_id} did not run:\n{run.output[-3000:]}"
    wrong = {key: f"{status}: {run.messages[key][:600]}" for key, status in results.items() if status != case.outcome}
    if wrong:
        return f"expected {case.outcome} for every result of {case.check_id}: {wrong}"
    report = "\n".join(run.messages[key] for key in results) if case.outcome != "passed" else html.unescape(run.junit)
    missing = [line for line in case.expected if line not in report]
    if missing:
        return f"not in the report of {case.name}: {missing}\n{report[-3000:]}"
    return None


@pytest.mark.parametrize("case", ALL_CASES, ids=[c.name for c in ALL_CASES])
def test_case(case: Case, run_readiness: Callable[..., ReadinessRun], request: pytest.FixtureRequest) -> None:
    problem = run_case(case, run_readiness, request)
    assert problem is None, problem


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
