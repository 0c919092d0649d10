"""Whether the image's OCI labels (`org.opencontainers.image.source`, `.revision`) name this repository."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

GIT_TIMEOUT = 10


def _git(project: Path, *args: str) -> str | None:
    git = shutil.which("git")
    if git is None:
        return None
    try:
        done = subprocess.run([git, "-C", str(project), *args], capture_output=True, text=True,
                              timeout=GIT_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def repo_key(url: str) -> str:
    """`github.com/contoso/msft-agent` for its https, ssh and scp-like URLs."""
    text = url.strip().lower()
    scp = re.match(r"^[^@/:]+@([^:/]+):(.*)$", text)  # git@host:owner/repo
    if scp:
        text = f"{scp[1]}/{scp[2]}"
    text = re.sub(r"^[^@/]+@", "", re.sub(r"^[a-z+]+://", "", text))
    return text.removesuffix("/").removesuffix(".git")


def head(project: Path) -> str | None:
    return _git(project, "rev-parse", "HEAD")


def remotes(project: Path) -> set[str]:
    listed = _git(project, "remote", "-v") or ""
    return {repo_key(line.split()[1]) for line in listed.splitlines() if len(line.split()) >= 2}


def has_commit(project: Path, revision: str) -> bool:
    return _git(project, "cat-file", "-e", f"{revision}^{{commit}}") is not None
