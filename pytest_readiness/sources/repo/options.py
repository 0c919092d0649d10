"""The repository source's options: where the project's files are."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pytest_readiness.session import option

DEFAULT_DOCKERFILE = "deployment/Dockerfile"


@dataclass(frozen=True)
class RepoOptions:
    project: Path = option(None, "deployment repository to check (default: rootdir)", "path")
    config: str = option("config/agent.toml", "the agent's production TOML config, relative to the project")
    dockerfile: str = option(DEFAULT_DOCKERFILE, "the Dockerfile that builds the service image (left at the default "
                             "and absent: the first of Dockerfile, docker/, build/, src/Dockerfile)")
    docs: str = option("docs", "documentation directory")
    env_overrides: bool = option(False, "apply the agent's environment-variable overrides (LOG_LEVEL, ...)", "bool")
    paths: tuple[str, ...] = option((), "extra paths with organisation-specific checks to run", "linelist")
    max_file_mib: float = option(8.0, "largest file any source reads, in MiB (larger ones are refused with a reason)",
                                 "float")

    @property
    def max_file_bytes(self) -> int:
        return max(1, int(self.max_file_mib * 1024 * 1024))
