"""Every pytest habit selects readiness checks: a printed node id, `-k <CHECK-ID>`, `-k <object>`, and
--readiness-check / --readiness-skip-check (flags and ini keys, with wildcards). What a selection
leaves out is "not run", never unverified and never READY for the whole checklist."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pytest_readiness.catalog import load_catalog
from tests.citizen.conftest import run_pytest
from tests.verdicts.conftest import deployment, manifests

PROJECT = {
    "config/agent.toml": """
        [agent.security.rate_limit]
        enabled = true
        requests_per_minute = 60
        tokens_per_minute = 100000
        per_user = true
    """,
    **manifests(deployment("api", 3, image="acr.example/api:1.0"),
                deployment("worker", 1, image="acr.example/worker:latest")),
}


def report(pytester: pytest.Pytester) -> dict:
    data: dict = json.loads((pytester.path / "report.json").read_text())
    return data


def ids_in(run) -> set[str]:
    return {key.split("[")[0] for key in run.statuses}


def test_a_printed_node_id_reruns_exactly_that_check(run_readiness) -> None:
    first = run_readiness(PROJECT, "-rA", "-m", "static")
    printed = re.findall(r"^(?:FAILED|PASSED) (test_\w+\.py::\S+\[Deployment/worker/app\])", first.output, re.M)
    assert printed, first.output[-3000:]
    node_id = printed[0]
    again = run_readiness({}, node_id, "-v")
    assert again.result.ret in (0, 1), again.output[-3000:]
    assert len(again.statuses) == 1, sorted(again.statuses)
    assert f"{node_id} " in again.output
    assert re.search(r"collected \d+ items / \d+ deselected / 1 selected", again.output)


def test_a_module_and_a_function_node_id_select_what_they_name(run_readiness) -> None:
    run = run_readiness(PROJECT, "test_reliability.py", "test_security.py::test_container_runs_as_non_root")
    catalog = load_catalog()
    categories = {catalog[i].category for i in ids_in(run) if i in catalog}
    assert categories == {"reliability", "security"}, sorted(run.statuses)
    assert {i for i in ids_in(run) if catalog[i].category == "security"} == {"SEC-NON-ROOT"}
    assert set(run.of_check("SEC-NON-ROOT")) == {"SEC-NON-ROOT[Deployment/api/app]",
                                                  "SEC-NON-ROOT[Deployment/worker/app]"}


def test_a_node_id_naming_no_check_is_a_usage_error(run_readiness) -> None:
    run = run_readiness(PROJECT, "test_security.py::test_no_such_check")
    assert run.result.ret == pytest.ExitCode.USAGE_ERROR
    assert "not found among the readiness checks: test_security.py::test_no_such_check" in run.output


def test_project_test_paths_do_not_shrink_the_checklist(run_readiness) -> None:
    whole = run_readiness(PROJECT, "-m", "reliability")
    with_dot = run_readiness({}, ".", "-m", "reliability")
    assert with_dot.statuses == whole.statuses


def test_k_selects_a_check_by_its_id(run_readiness) -> None:
    run = run_readiness(PROJECT, "-k", "SEC-NON-ROOT")
    assert ids_in(run) == {"SEC-NON-ROOT"}, sorted(run.statuses)
    assert len(run.statuses) == 2
    run = run_readiness({}, "-k", "REL-PDB or OBS-LOG-LEVEL")
    assert ids_in(run) == {"REL-PDB", "OBS-LOG-LEVEL"}


def test_k_selects_the_checks_of_one_object(run_readiness) -> None:
    run = run_readiness(PROJECT, "-k", "Deployment/worker and static")
    assert run.statuses and all("Deployment/worker" in key for key in run.statuses), sorted(run.statuses)
    assert run.status("REL-REPLICAS[Deployment/worker]") == "failed"


def test_readiness_check_with_wildcards_and_skip(run_readiness, pytester: pytest.Pytester) -> None:
    run = run_readiness(PROJECT, "--readiness-check=REL-*,sec-non-root", "--readiness-skip-check=REL-PDB",
                        "--readiness-json=report.json")
    ids = ids_in(run)
    assert "SEC-NON-ROOT" in ids and "REL-PDB" not in ids
    assert all(i.startswith("REL-") for i in ids - {"SEC-NON-ROOT"}) and len(ids) > 3
    data = report(pytester)
    assert "REL-PDB" in data["verdict"]["not_run"] and "SEC-RATE-LIMIT" in data["verdict"]["not_run"]
    assert data["verdict"]["selected_checks"] == len(ids)
    assert len(data["verdict"]["not_run"]) == len(load_catalog()) - len(ids)
    assert "REL-PDB" not in {r["check_id"] for r in data["results"]}  # not run is not unverified
    assert re.search(r"\d+ deselected", run.output)


def test_readiness_check_ini_keys(run_readiness) -> None:
    files = {**PROJECT, "pytest.ini": "[pytest]\nreadiness_check =\n    SEC-*\n    REL-REPLICAS\n"
                                       "readiness_skip_check = SEC-LIVE-*, SEC-SIGNOFF-*\n"}
    run = run_readiness(files)
    ids = ids_in(run)
    assert "REL-REPLICAS" in ids and "SEC-NON-ROOT" in ids
    assert not any(i.startswith(("SEC-LIVE-", "SEC-SIGNOFF-")) for i in ids)
    assert all(i.startswith("SEC-") or i == "REL-REPLICAS" for i in ids)


def test_a_selection_that_passes_says_ready_for_its_scope_only(run_readiness, pytester: pytest.Pytester) -> None:
    run = run_readiness(PROJECT, "--readiness-check=SEC-RATE-LIMIT", "--readiness-json=report.json")
    assert run.result.ret == 0, run.output[-3000:]
    total = len(load_catalog())
    assert f"READY for 1 selected checks; {total - 1} not run" in run.output
    data = report(pytester)
    assert data["verdict"]["state"] == "ready" and data["totals"]["unverified"] == 0
    assert 'name="readiness_not_run_checks"' in run.junit


@pytest.mark.slow
def test_node_ids_and_k_under_xdist(tmp_path: Path) -> None:
    from tests.conftest import write_tree

    write_tree(tmp_path, PROJECT)
    node_id = "test_reliability.py::test_multiple_replicas[Deployment/worker]"
    run = run_pytest(tmp_path, "--readiness", "-n", "2", node_id, "--readiness-json=report.json")
    data = json.loads((tmp_path / "report.json").read_text())
    assert [r["key"] for r in data["results"]] == ["REL-REPLICAS[Deployment/worker]"], run.output[-3000:]
    assert run.returncode == 1
    run = run_pytest(tmp_path, "--readiness", "-n", "2", "-k", "SEC-NON-ROOT", "--readiness-json=report.json")
    data = json.loads((tmp_path / "report.json").read_text())
    assert {r["check_id"] for r in data["results"]} == {"SEC-NON-ROOT"}, run.output[-3000:]
