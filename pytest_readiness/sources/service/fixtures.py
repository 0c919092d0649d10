"""Fixtures of the live checks: the running service, its Redis, and the agent config when there is one.

Registered only under --readiness. Without --readiness-url (or --readiness-redis-url) the fixture
raises Unverified before anything is imported or sent, so a static run never touches the network.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pytest_readiness.api import SourceError, Unverified
from pytest_readiness.session import settings_of
from pytest_readiness.sources.repo.fixtures import load_agent_config


@pytest.fixture(scope="session")
def live_service(pytestconfig: pytest.Config) -> Iterator[Any]:
    """The running service (`sources.service.ServiceTarget`): one shared client and request budget."""
    settings = settings_of(pytestconfig)
    if not settings.url:
        raise Unverified(
            "no live target: set --readiness-url (ini readiness_url) to the base URL of the running service"
        )
    from pytest_readiness.sources.service.client import ServiceTarget

    target = ServiceTarget(settings)
    yield target
    target.close()


@pytest.fixture(scope="session")
def live_redis(pytestconfig: pytest.Config) -> Iterator[Any]:
    """The agent's Redis (`sources.redis_info.RedisTarget`)."""
    settings = settings_of(pytestconfig)
    if not settings.redis_url:
        raise Unverified("no Redis to check: set --readiness-redis-url (ini readiness_redis_url)")
    from pytest_readiness.sources.service.redis_info import RedisTarget

    target = RedisTarget.from_settings(settings)
    yield target
    target.close()


@pytest.fixture(scope="session")
def live_agent_config(pytestconfig: pytest.Config) -> Any:
    """The agent config (`AgentConfig`) the live probes take their limits from, or None without one.

    A live check does not need the file: its limits can also come from --readiness-* options.
    """
    try:
        return load_agent_config(pytestconfig)
    except (Unverified, SourceError):
        return None
