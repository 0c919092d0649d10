"""The plugin's wiring: opt-in, no heavy imports, options, collection, markers, listing."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from pytest_readiness.catalog import load_catalog
from tests.conftest import REPO_ROOT, write_tree

HEAVY = ("kubernetes", "azure", "docker", "httpx")

MINIMAL = {
    "config/agent.toml": """
        [agent.security.rate_limit]
        enabled = true
        requests_per_minute = 60
        tokens_per_minute = 100000
        per_user = true
    """,
    "tests/test_app.py": "def test_app_unit():\n    assert False, 'the project unit tests must not run'\n",
}


def test_plain_run_imports_nothing_heavy_and_adds_no_checks(pytester: pytest.Pytester) -> None:
    write_tree(pytester.path, MINIMAL)
    pytester.makepyfile(
        test_probe=f"""
        import sys
        def test_probe():
            heavy = [m for m in sys.modules if m.split('.')[0] in {HEAVY!r}]
            assert heavy == []
            assert 'pytest_readiness.reporting.recorder' not in sys.modules
        """
    )
    result = pytester.runpytest_subprocess("test_probe.py", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_readiness_runs_checklist_not_the_projects_tests(run_readiness) -> None:
    run = run_readiness(MINIMAL, "-m", "security and static")
    assert run.status("SEC-RATE-LIMIT") == "passed"
    assert "test_app_unit" not in run.output
    heavy = subprocess.run(
        [sys.executable, "-c", "import pytest_readiness.plugin, sys; print([m for m in sys.modules "
         f"if m.split('.')[0] in {HEAVY!r}])"], capture_output=True, text=True, check=True)
    assert heavy.stdout.strip() == "[]"


def test_marker_expression_selects_by_category_and_priority(run_readiness) -> None:
    run = run_readiness(MINIMAL, "-m", "security and critical")
    catalog = load_catalog()
    assert run.statuses, run.output
    for key in run.statuses:
        check = catalog[key.split("[")[0]]
        assert (check.category, check.priority) == ("security", "critical"), key
    assert not any(k.startswith("REL-") for k in run.statuses)


def test_strict_markers_accepts_every_marker(run_readiness) -> None:
    run = run_readiness(MINIMAL, "--strict-markers", "-m", "static")
    assert "not found in `markers`" not in run.output
    # Collected and run: MINIMAL passes the rate limit and fails checks it has no settings for.
    assert run.result.ret == pytest.ExitCode.TESTS_FAILED, run.output[-3000:]
    assert run.status("SEC-RATE-LIMIT") == "passed"
    assert run.status("SEC-PROMPT-INJECTION") == "failed"
    static = {c.id for c in load_catalog().values() if c.verify == "static"}
    assert {key.split("[")[0] for key in run.statuses} == static, "a static check was not collected"


def test_list_prints_catalog_without_running(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--readiness-list", "-p", "no:cacheprovider")
    assert result.ret == 0
    out = result.stdout.str()
    for check_id in ("SEC-RATE-LIMIT", "REL-PDB", "OBS-TRACING"):
        assert check_id in out
    assert "passed" not in out and "collected" not in out
    assert f"{len(load_catalog())} checks" in out


def test_ini_keys_point_at_config(run_readiness) -> None:
    files = {
        "pytest.ini": "[pytest]\nreadiness_config = settings/prod.toml\n",
        "settings/prod.toml": textwrap.dedent(MINIMAL["config/agent.toml"]),
    }
    run = run_readiness(files, "-m", "security and static")
    assert run.status("SEC-RATE-LIMIT") == "passed"


def test_command_line_overrides_ini(run_readiness) -> None:
    files = {
        "pytest.ini": "[pytest]\nreadiness_config = nowhere.toml\n",
        "config/agent.toml": MINIMAL["config/agent.toml"],
    }
    run = run_readiness(files, "-m", "security and static", "--readiness-config", "config/agent.toml")
    assert run.status("SEC-RATE-LIMIT") == "passed"


def test_readiness_project_option(run_readiness, pytester: pytest.Pytester) -> None:
    write_tree(pytester.path / "deploy-repo", MINIMAL)
    run = run_readiness({}, "-m", "security and static", "--readiness-project", "deploy-repo")
    assert run.status("SEC-RATE-LIMIT") == "passed"


def test_bad_project_path_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--readiness", "--readiness-project", "missing-dir")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "missing-dir" in result.stderr.str()


def test_template_config_is_not_evaluated(run_readiness) -> None:
    files = {"config/agent.toml.example": MINIMAL["config/agent.toml"]}
    run = run_readiness(files, "-m", "security and static")
    assert run.status("SEC-RATE-LIMIT") == "unverified"
    assert "agent.toml.example" in run.messages["SEC-RATE-LIMIT"]
    assert "--readiness-config" in run.messages["SEC-RATE-LIMIT"]


def test_env_overrides_only_when_asked(run_readiness, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENT__SECURITY__RATE_LIMIT__ENABLED", "false")
    run = run_readiness(MINIMAL, "-m", "security and static")
    assert run.status("SEC-RATE-LIMIT") == "passed"
    run = run_readiness(MINIMAL, "-m", "security and static", "--readiness-env-overrides")
    assert run.status("SEC-RATE-LIMIT") == "failed"
    assert "env:AGENT__SECURITY__RATE_LIMIT__ENABLED" in run.messages["SEC-RATE-LIMIT"]


def test_conftest_check_runs_with_the_checklist(run_readiness) -> None:
    files = dict(MINIMAL)
    files["conftest.py"] = """
        from pytest_readiness import check

        @check("ORG-OWNER-LABEL", title="Workloads carry an owner label", category="operations",
               priority="low", remediation="add metadata.labels.owner")
        def test_owner_label(agent_config, evidence):
            evidence.add("agent config read", agent_config.where("agent"))
            assert agent_config.get("agent.owner"), "agent.owner is not set"
    """
    run = run_readiness(files, "-m", "operations and low")
    assert run.status("ORG-OWNER-LABEL") == "failed"
    assert "agent.owner is not set" in run.messages["ORG-OWNER-LABEL"]


def test_extra_paths_from_ini_run_with_checklist(run_readiness) -> None:
    files = dict(MINIMAL)
    files["pytest.ini"] = "[pytest]\nreadiness_paths = org_checks\n"
    files["org_checks/test_org.py"] = """
        from pytest_readiness import check

        @check("ORG-README", title="A README exists", category="operations", priority="low")
        def test_readme(repo, evidence):
            assert "README.md" in repo.files, "no README.md"
    """
    run = run_readiness(files, "-m", "operations and low")
    assert run.status("ORG-README") == "failed"


def test_junit_carries_check_metadata_without_warnings(run_readiness) -> None:
    run = run_readiness(MINIMAL, "-m", "security and static", "-W", "error::pytest.PytestWarning", fresh_process=True)
    assert 'name="readiness_id" value="SEC-RATE-LIMIT"' in run.junit
    assert 'name="category" value="security"' in run.junit
    assert 'name="priority" value="critical"' in run.junit
    assert "PytestWarning" not in run.output


def test_docs_checklist_is_generated_from_catalog() -> None:
    from pytest_readiness.tooling.docgen import render

    committed = (REPO_ROOT / "docs" / "checklist.md").read_text(encoding="utf-8")
    assert committed == render(), "docs/checklist.md is stale: python -m pytest_readiness.docgen > docs/checklist.md"


def test_docs_options_is_generated_from_settings() -> None:
    from pytest_readiness.tooling.docgen import render_options

    committed = (REPO_ROOT / "docs" / "options.md").read_text(encoding="utf-8")
    assert committed == render_options(), "docs/options.md is stale: python -m pytest_readiness.docgen options"


def test_checklist_runs_whatever_the_projects_python_files(run_readiness) -> None:
    files = dict(MINIMAL)
    files["pytest.ini"] = "[pytest]\npython_files = *_spec.py\n"
    run = run_readiness(files, "-m", "security and static")
    assert run.status("SEC-RATE-LIMIT") == "passed"
    assert run.junit.count('name="test_rate_limiting_enabled"') == 1, "collected twice"


def test_node_ids_name_the_checklist_module(run_readiness) -> None:
    run = run_readiness(MINIMAL, "-m", "security and static", "-v")
    assert "test_security.py::test_rate_limiting_enabled PASSED" in run.output


def test_every_catalog_check_is_in_the_run_and_nothing_passes_on_an_empty_repo(run_readiness) -> None:
    run = run_readiness({"README.md": "an empty deployment repo\n"})
    seen = {key.split("[")[0] for key in run.statuses}
    assert set(load_catalog()) - seen == set(), "catalog checks no test implements"
    passed = sorted(k for k, v in run.statuses.items() if v == "passed")
    # The secret scan's input is the repository itself, which is present (and clean).
    assert passed == ["SEC-NO-HARDCODED-SECRETS"], f"passed with no input: {passed}"


def test_path_value_outside_the_project_cannot_move_the_rootdir(
    pytester: pytest.Pytester, tmp_path_factory: pytest.TempPathFactory
) -> None:
    write_tree(pytester.path, {**MINIMAL, "pytest.ini": "[pytest]\n"})
    outside = tmp_path_factory.mktemp("elsewhere") / "ca.pem"
    outside.write_text("not a real CA\n")
    result = pytester.runpytest("--readiness", "--readiness-ca-bundle", str(outside), "-m", "static")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--readiness-ca-bundle=/path/ca.pem" in result.stderr.str()
    result = pytester.runpytest("--readiness", f"--readiness-ca-bundle={outside}", "-m", "security and static",
                                "-p", "no:cacheprovider", "-rA")
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stderr.str()  # it ran: MINIMAL fails some checks
    assert result.parseoutcomes().get("passed", 0) >= 1
    result.stdout.fnmatch_lines(["PASSED test_security.py::test_rate_limiting_enabled*",
                                 "FAILED test_security.py::test_prompt_injection_blocked*"], consecutive=False)
