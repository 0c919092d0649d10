"""Installed next to a project's own tests, the plugin never gets in the way: --help, --markers and a
plain run behave exactly as with `-p no:readiness`, each in a fresh process as a user runs them."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from pytest_readiness.plugin import markers
from tests.citizen.conftest import run_pytest

OWN_TESTS = {
    "tests/test_app.py": """
        import pytest

        @pytest.mark.security
        def test_login_rejects_bad_password():
            assert True

        def test_arithmetic():
            assert 1 + 1 == 2
    """,
    # A conftest that defines an organisation check is imported in plain runs too.
    "conftest.py": """
        from pytest_readiness import check

        @check("ORG-OWNER", title="Workloads have an owner", category="operations", priority="low")
        def test_owner(evidence):
            evidence.add("owner: team-a")
    """,
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for relative, content in OWN_TESTS.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content).lstrip(), encoding="utf-8")
    return tmp_path


def test_help_works_and_lists_the_options(project: Path) -> None:
    run = run_pytest(project, "--help")
    without = run_pytest(project, "-p", "no:readiness", "--help")
    assert (run.returncode, without.returncode) == (0, 0), run.output[-3000:]
    assert run.stderr == without.stderr == ""
    assert "--readiness-cache-hit-target=" in run.stdout and "80%" in run.stdout
    assert "--readiness-check=" in run.stdout and "--readiness-allow-unverified" in run.stdout
    assert "--readiness" not in without.stdout


def test_markers_in_a_plain_run_are_the_projects_own(project: Path) -> None:
    run = run_pytest(project, "--markers")
    without = run_pytest(project, "-p", "no:readiness", "--markers")
    assert run.returncode == without.returncode == 0
    assert run.stdout == without.stdout
    assert "@pytest.mark.security" not in run.stdout


def test_markers_in_a_readiness_run_list_the_readiness_markers(project: Path) -> None:
    run = run_pytest(project, "--readiness", "--markers")
    assert run.returncode == 0, run.output[-3000:]
    for name in markers():
        assert f"@pytest.mark.{name}:" in run.stdout, name


def without_timing(text: str) -> str:
    return re.sub(r" in [0-9.]+s", " in Ns", text)


def test_plain_run_is_unchanged_and_warns_nothing_of_its_own(project: Path) -> None:
    run = run_pytest(project, "-q", "-rw")
    without = run_pytest(project, "-p", "no:readiness", "-q", "-rw")
    assert run.returncode == without.returncode == 0, run.output[-3000:]
    assert "2 passed, 1 warning" in run.stdout  # the project's own unregistered marker, as without the plugin
    assert without_timing(run.stdout) == without_timing(without.stdout)
    assert "production readiness" not in run.stdout


def test_strict_markers_fails_on_the_projects_unregistered_marker_as_without_the_plugin(project: Path) -> None:
    run = run_pytest(project, "-q", "--strict-markers")
    without = run_pytest(project, "-p", "no:readiness", "-q", "--strict-markers")
    assert without.returncode == run.returncode == pytest.ExitCode.INTERRUPTED, run.output[-3000:]
    message = "'security' not found in `markers` configuration option"
    assert message in run.stdout and message in without.stdout


def test_a_readiness_run_accepts_its_own_markers_under_strict_markers(project: Path) -> None:
    run = run_pytest(project, "--readiness", "--strict-markers", "-m", "operations and low", "-q")
    assert "not found in `markers`" not in run.output
    assert "ORG-OWNER" in run.stdout or run.returncode in (0, 1, 101), run.output[-3000:]
