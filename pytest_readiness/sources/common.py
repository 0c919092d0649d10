"""Small helpers every check module shares: a fixture a check can do without, and typed config values."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_readiness.api import Unverified


def optional_fixture(request: pytest.FixtureRequest, name: str) -> tuple[Any, str]:
    """A fixture's value, or None with the reason its input is absent (a malformed input still errors)."""
    try:
        return request.getfixturevalue(name), ""
    except Unverified as absent:
        return None, absent.reason


def integer(value: Any) -> int | None:
    """`value` when it is an integer (TOML and YAML booleans are not), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def positive_int(value: Any) -> bool:
    number = integer(value)
    return number is not None and number > 0


def port_number(value: Any) -> bool:
    number = integer(value)
    return number is not None and 0 < number < 65536
