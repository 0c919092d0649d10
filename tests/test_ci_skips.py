"""Under CI=true a test that skips for a missing tool fails; skipif markers stay skips; skips are counted."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

NEEDS_A_TOOL = """
    import shutil
    import sys

    import pytest

    @pytest.fixture
    def frobnicate():
        if shutil.which("frobnicate") is None:
            pytest.skip("frobnicate is not installed")

    def test_uses_the_tool(frobnicate):
        assert True

    def test_imports_a_module():
        pytest.importorskip("no_such_module_here")

    @pytest.mark.skipif(sys.platform != "nonexistent-os", reason="runs on nonexistent-os only")
    def test_platform_bound():
        assert True

    @pytest.mark.xfail(reason="known")
    def test_known_failure():
        assert False

    def test_ordinary():
        assert True
"""


@pytest.mark.parametrize("ci", ["true", "1"])
def test_under_ci_a_missing_tool_or_module_fails_and_a_skipif_marker_stays_a_skip(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ci: str) -> None:
    monkeypatch.setenv("CI", ci)
    pytester.makepyfile(test_tools=NEEDS_A_TOOL)
    result = pytester.runpytest("-p", "tests.ci_skips", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1, failed=1, skipped=1, xfailed=1)  # fixture: error; test: failure
    out = result.stdout.str()
    assert "CI=true: this test needs something the machine lacks and skipped: frobnicate is not installed" in out
    assert "could not import 'no_such_module_here'" in out
    assert "skipped tests: 1" in out
    assert "   1  runs on nonexistent-os only" in out


def test_without_ci_the_same_tests_skip_and_the_skips_are_listed_with_reasons(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    pytester.makepyfile(test_tools=NEEDS_A_TOOL)
    result = pytester.runpytest("-p", "tests.ci_skips", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=3, xfailed=1)
    out = result.stdout.str()
    assert "skipped tests: 3" in out
    assert "   1  frobnicate is not installed" in out
    assert "could not import 'no_such_module_here'" in out


def _path_without(tool: str, tmp_path: Path) -> str:
    """PATH with every directory holding `tool` left out, and the running Python offered by name."""
    kept = [d for d in os.environ.get("PATH", "").split(os.pathsep) if d and not (Path(d) / tool).exists()]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    return os.pathsep.join([str(bin_dir), *kept])


@pytest.mark.parametrize(("ci", "outcome"), [("true", "1 error"), ("", "1 skipped")])
def test_the_kubectl_tests_fail_under_ci_when_kubectl_is_off_path(tmp_path: Path, ci: str, outcome: str) -> None:
    """How the gap hid: kubectl was on this machine, not installed by CI. Strip it from PATH and see."""
    env = {**os.environ, "PATH": _path_without("kubectl", tmp_path), "CI": ci}
    node = "tests/test_manifest_rendering.py::test_overlay_is_rendered_once_and_objects_point_at_the_base"
    done = subprocess.run([sys.executable, "-m", "pytest", node, "-p", "no:cacheprovider", "-p", "no:xdist", "-q"],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert outcome in done.stdout, done.stdout[-3000:] + done.stderr[-2000:]
    assert "kubectl (with its built-in kustomize) is not installed" in done.stdout
    assert done.returncode == (1 if ci else 0)
