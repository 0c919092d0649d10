"""The hook an organisation's own source plugs in through, from a conftest.py or an installed plugin."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pytest_readiness.sources.registry import Source


@pytest.hookspec
def pytest_readiness_sources(config: pytest.Config) -> list[Source]:
    """Sources besides the shipped ones: each gives its marker (the `verify` of its checks), what it reads,
    the option that enables it and the modules of its fixtures. Called once, in a readiness run."""
    return []
