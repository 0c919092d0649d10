"""Case folders and example repos are test data: a file git ignores there never reaches a clean clone.

Case folders hold `.gitignore` files, `build/` folders and `.env` files of the repos they stand for, and
git applies a nested `.gitignore` to the project itself: such a file must be added with `git add -f`.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CACHES = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis"}  # made by running tools
IN_A_WORK_TREE = shutil.which("git") is not None and (ROOT / ".git").exists()


@pytest.mark.skipif(not IN_A_WORK_TREE, reason="not a git work tree (an sdist or a copy): nothing to compare")
def test_no_file_of_a_case_folder_or_example_is_ignored_by_git() -> None:
    listed = subprocess.run(
        ["git", "ls-files", "--others", "--ignored", "--exclude-standard", "--", "tests/cases", "conftest_examples"],
        cwd=ROOT, capture_output=True, text=True, check=True).stdout.splitlines()
    ignored = [path for path in listed if not CACHES.intersection(Path(path).parts)]
    assert ignored == [], f"git ignores these, so a clean clone lacks them: git add -f {' '.join(ignored)}"


@pytest.mark.skipif(not IN_A_WORK_TREE, reason="not a git work tree (an sdist or a copy): nothing to compare")
def test_the_projects_own_build_folders_are_ignored_only_at_the_root() -> None:
    probe = "tests/cases/OPS-IMAGE-BUILDS/error-not-an-archive/build/image.tar"
    assert subprocess.run(["git", "check-ignore", "-q", "--no-index", probe], cwd=ROOT).returncode == 1
    assert subprocess.run(["git", "check-ignore", "-q", "--no-index", "build/lib/x.py"], cwd=ROOT).returncode == 0
