"""Which files are IaC: under the default directories or the given paths, only files git would track."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pytest_readiness.sources.repo import files as repo_source
from pytest_readiness.sources.repo.files import Repo

MAX_FILES = 2000
DEFAULT_DIRS = ("infra", "deploy", "deployment", "terraform", "bicep")


@dataclass
class Found:
    arm_json: list[Path] = field(default_factory=list)  # every .json: templates, parameter files, plans
    bicep: list[Path] = field(default_factory=list)
    terraform_dirs: list[Path] = field(default_factory=list)
    terraform_files: set[Path] = field(default_factory=set)  # resolved
    missing: list[str] = field(default_factory=list)  # given paths that do not exist


def _paths(values: tuple[str, ...]) -> list[str]:
    return [p.strip() for value in values for p in value.split(",") if p.strip()]


def discover(project: Path, given: tuple[str, ...], tracked: Repo | None = None) -> Found:
    """`tracked`: the session's file list of `project`, when a run has it (else git is asked again)."""
    found = Found()
    tracked = tracked if tracked is not None else repo_source.load(project)
    roots = _paths(given) or list(DEFAULT_DIRS)
    selected: list[Path] = []
    for root in roots:
        path = Path(root) if Path(root).is_absolute() else project / root
        if not path.exists():
            if given:
                found.missing.append(root)
            continue
        if path.is_file():
            selected.append(path)  # named explicitly: read even if untracked
            continue
        try:
            prefix = path.resolve().relative_to(project.resolve()).as_posix()
        except ValueError:  # outside the project: walk it
            selected.extend(p for p in sorted(path.rglob("*")) if p.is_file())
            continue
        selected.extend(project / f for f in (tracked.under(prefix) if prefix != "." else tracked.files))
    for path in dict.fromkeys(selected[:MAX_FILES]):
        if path.suffix == ".json":
            found.arm_json.append(path)
        elif path.suffix == ".bicep":
            found.bicep.append(path)
        elif path.suffix == ".tf":
            found.terraform_files.add(path.resolve())
            if path.parent not in found.terraform_dirs:
                found.terraform_dirs.append(path.parent)
    return found
