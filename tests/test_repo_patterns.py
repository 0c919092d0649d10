"""Repository path patterns: the compiled matcher means what `PurePosixPath.match` means, and
`Repo.matching` answers from it once per pattern set."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path, PurePosixPath

import pytest

from pytest_readiness.sources.repo import files
from pytest_readiness.sources.repo.files import CI_PATTERNS, Repo
from pytest_readiness.sources.repo.patterns import compile_patterns

PATHS = [
    ".github/workflows/ci.yml", ".github/workflows/deploy.yaml", ".github/workflows/nested/x.yml",
    "services/api/.github/workflows/ci.yml", ".github/ci.yml", "azure-pipelines.yml", "infra/azure-pipelines.yml",
    ".azure-pipelines/build.yaml", ".pipelines/release.yml", ".gitlab-ci.yml", "x.gitlab-ci.yml",
    "deployment/kubernetes/deployment.yaml", "deployment/kubernetes/hpa.YAML", "charts/agent/values.yml",
    "README.md", "docs/README.md", "docs/runbooks/high-latency.md", "dashboards/agent.json", "main.tf",
    "infra/main.bicep", "src/app.py", "loadtest/locustfile.py", "a.yaml.bak", ".yaml", "weird[1].yml",
    "dir.yml/file.txt", "a", "a/b", "a/b/c", "ab/c", "x?y.js", "k6/script.js", "*.yml",
]
PATTERNS = [
    "*.yaml", "*.yml", "*.json", "*.bicep", "*.tf", "*.py", "*.js", "*.jmx", "README.md", "docs/*.md", "a/*",
    "*/c", "a/*/c", "?", "a?/c", "[ab]", "[!a]", "*[0-9]*.yml", "weird[[]1].yml", "**/ci.yml", "x[?]y.js",
    "./docs/README.md", "docs//README.md", "docs/", "/a", "*", *CI_PATTERNS,
]


def reference(path: str, patterns: tuple[str, ...]) -> bool:
    return any(PurePosixPath(path).match(p) or path == p for p in patterns)


@pytest.mark.parametrize("pattern", PATTERNS)
def test_each_pattern_matches_what_pathlib_matches(pattern: str) -> None:
    matches = compile_patterns((pattern,))
    assert [p for p in PATHS if matches(p)] == [p for p in PATHS if reference(p, (pattern,))]


def test_random_pattern_sets_agree_with_pathlib() -> None:
    rng = random.Random(15)
    for _ in range(300):
        patterns = tuple(rng.sample(PATTERNS, rng.randint(1, 4)))
        matches = compile_patterns(patterns)
        assert [p for p in PATHS if matches(p)] == [p for p in PATHS if reference(p, patterns)], patterns


def test_ci_patterns_find_workflows_anywhere_from_the_right() -> None:
    matches = compile_patterns(CI_PATTERNS)
    assert matches(".github/workflows/ci.yml")
    assert matches("services/api/.github/workflows/ci.yml")  # right-anchored, as Path.match is
    assert not matches(".github/workflows/nested/x.yml")  # `*` never crosses a `/`
    assert not matches(".github/workflows/ci.yml.disabled")
    assert not matches("x.gitlab-ci.yml")


def test_suffixes_are_case_sensitive_as_on_posix() -> None:
    assert not compile_patterns(("*.yaml",))("deployment/kubernetes/hpa.YAML")
    assert compile_patterns(("*.YAML",))("deployment/kubernetes/hpa.YAML")


def test_a_range_re_refuses_falls_back_to_pathlib() -> None:
    matches = compile_patterns(("[z-a].txt", "*.md"))
    assert matches("docs/README.md")
    assert not matches("b.txt")


def _git_repo(root: Path) -> Repo:
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "ci.yml").write_text("on: push\n")
    (root / "deploy").mkdir()
    (root / "deploy" / "app.yaml").write_text("kind: Deployment\n")
    (root / "deploy" / "ignored.yaml").write_text("kind: Secret\n")
    (root / ".gitignore").write_text("deploy/ignored.yaml\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    return files.load(root)


def test_repo_matching_over_files_git_tracks(tmp_path: Path) -> None:
    repo = _git_repo(tmp_path)
    assert repo.from_git
    assert repo.matching("*.yaml", "*.yml") == [".github/workflows/ci.yml", "deploy/app.yaml"]
    assert repo.ci_files() == [".github/workflows/ci.yml"]
    assert repo.matching(".gitignore") == [".gitignore"]


def test_repo_matching_gives_each_caller_its_own_list(tmp_path: Path) -> None:
    repo = _git_repo(tmp_path)
    first = repo.matching("*.yaml")
    first.append("changed-by-a-caller.yaml")
    assert repo.matching("*.yaml") == ["deploy/app.yaml"]


def test_repo_matching_follows_a_replaced_file_list(tmp_path: Path) -> None:
    repo = Repo(tmp_path, ["a.yaml", "b.yml"], from_git=False)
    assert repo.matching("*.yaml") == ["a.yaml"]
    repo.files = ["c.yaml", "d.yaml"]
    assert repo.matching("*.yaml") == ["c.yaml", "d.yaml"]
    repo.files.append("e.yaml")
    assert repo.matching("*.yaml") == ["c.yaml", "d.yaml", "e.yaml"]
