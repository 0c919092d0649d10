"""Fixtures of the repository source: the agent config, the Dockerfile and the repository's files.

Registered only under --readiness. Each loads lazily, once per session (see `session.SourceCache`).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from pytest_readiness.api import Unverified
from pytest_readiness.session import cache_of, settings_of

if TYPE_CHECKING:
    from pytest_readiness.sources.repo.agent_config import AgentConfig
    from pytest_readiness.sources.repo.dockerfile import Dockerfile
    from pytest_readiness.sources.repo.files import Repo


def load_agent_config(config: pytest.Config) -> AgentConfig:
    """config/agent.toml, else the `[tool.agent]` table of pyproject.toml the template's loader falls back on."""
    from pytest_readiness.sources.repo import agent_config
    from pytest_readiness.sources.repo.pyproject_agent import load_tool_agent

    s = settings_of(config)

    def load() -> AgentConfig:
        try:
            return agent_config.load(s.project, s.config, env_overrides=s.env_overrides, max_bytes=s.max_file_bytes)
        except Unverified:
            fallback = load_tool_agent(s.project, s.max_file_bytes)
            if fallback is None:
                raise
            if s.env_overrides:
                agent_config.apply_env_overrides(fallback, os.environ)
            return fallback

    return cache_of(config).get("agent_config", load)


@pytest.fixture(scope="session")
def agent_config(pytestconfig: pytest.Config) -> AgentConfig:
    """The agent's parsed TOML config (`sources.agent_config.AgentConfig`)."""
    return load_agent_config(pytestconfig)


@pytest.fixture(scope="session")
def dockerfile(pytestconfig: pytest.Config) -> Dockerfile:
    """The parsed Dockerfile (`sources.dockerfile.Dockerfile`)."""
    from pytest_readiness.sources.repo import dockerfile as source

    s = settings_of(pytestconfig)
    relative = source.discover(s.project, s.dockerfile)
    return cache_of(pytestconfig).get("dockerfile", lambda: source.load(s.project, relative, s.max_file_bytes))


def load_repo(config: pytest.Config) -> Repo:
    """The repository's files, listed once per session (git is asked once)."""
    from pytest_readiness.sources.repo import files as source

    s = settings_of(config)
    return cache_of(config).get("repo", lambda: source.load(s.project, s.max_file_bytes))


@pytest.fixture(scope="session")
def repo(pytestconfig: pytest.Config) -> Repo:
    """The repository's files (`sources.repo.Repo`)."""
    return load_repo(pytestconfig)


@pytest.fixture(scope="session")
def dockerfile_or_none(request: pytest.FixtureRequest) -> Dockerfile | None:
    """The Dockerfile, or None when the repo has none (a malformed one is still an error)."""
    try:
        found: Dockerfile = request.getfixturevalue("dockerfile")
        return found
    except Unverified:
        return None
