"""The repository tree: files git would track (ignored files are not scanned), CI definitions, docs."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from pytest_readiness.sources import reading
from pytest_readiness.sources.repo.patterns import compile_patterns

SKIP_DIRS = frozenset({".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".mypy_cache"})
CI_PATTERNS = (
    ".github/workflows/*.yml",
    ".github/workflows/*.yaml",
    "azure-pipelines.yml",
    "azure-pipelines.yaml",
    ".azure-pipelines/*.yml",
    ".azure-pipelines/*.yaml",
    ".pipelines/*.yml",
    ".gitlab-ci.yml",
)
MAX_TEXT_BYTES = 1_000_000


@dataclass
class Repo:
    root: Path
    files: list[str]  # posix paths relative to root
    from_git: bool
    max_text_bytes: int = MAX_TEXT_BYTES
    _texts: dict[str, str | None] = field(default_factory=dict)
    _matched: dict[tuple[str, ...], tuple[tuple[int, int], list[str]]] = field(default_factory=dict, repr=False)

    def text(self, relative: str) -> str | None:
        """The file's text, or None for binary, unreadable, very large or non-regular files (FIFOs, devices).
        Text scans read any file, so invalid UTF-8 is replaced here rather than refused."""
        if relative not in self._texts:
            try:
                data = reading.read_bytes(self.root / relative, relative, min(self.max_text_bytes, MAX_TEXT_BYTES))
            except reading.Unreadable:
                data = b"\0"
            self._texts[relative] = None if b"\0" in data else data.decode("utf-8", errors="replace")
        return self._texts[relative]

    def matching(self, *patterns: str) -> list[str]:
        """Files any of `patterns` matches as `PurePosixPath.match` does (from the right), or equal to one.

        One compiled matcher per pattern set; the answer is kept for the session (the file list does not
        change once loaded) and each caller gets its own copy."""
        listing = (id(self.files), len(self.files))
        cached = self._matched.get(patterns)
        if cached is None or cached[0] != listing:
            matches = compile_patterns(patterns)
            cached = (listing, [f for f in self.files if matches(f)])
            self._matched[patterns] = cached
        return list(cached[1])

    def under(self, directory: str) -> list[str]:
        prefix = directory.rstrip("/") + "/"
        return [f for f in self.files if f.startswith(prefix)]

    def ci_files(self) -> list[str]:
        return self.matching(*CI_PATTERNS)


def _git_files(root: Path) -> list[str] | None:
    git = shutil.which("git")
    if git is None:
        return None
    try:
        inside = subprocess.run(
            [git, "-C", str(root), "rev-parse", "--is-inside-work-tree"],
            capture_output=True, text=True, timeout=20, check=False,
        )
        if inside.returncode != 0 or inside.stdout.strip() != "true":
            return None
        listed = subprocess.run(
            [git, "-C", str(root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            capture_output=True, timeout=60, check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    names = [n for n in listed.stdout.decode("utf-8", "replace").split("\0") if n]
    return sorted(n for n in set(names) if (root / n).is_file())


def _walk(root: Path) -> list[str]:
    found: list[str] = []
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if any(part in SKIP_DIRS for part in relative.parts) or not path.is_file():
            continue
        found.append(relative.as_posix())
    return sorted(found)


def load(project: Path, max_bytes: int = MAX_TEXT_BYTES) -> Repo:
    files = _git_files(project)
    return Repo(project, files if files is not None else _walk(project), files is not None, max_bytes)
