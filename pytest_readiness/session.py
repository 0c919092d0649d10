"""Session plumbing every part reads: the stash keys and the per-session accessors.

Importing this module is cheap (every options block reads `option` at start-up, in plain runs too;
every source and renderer reads the rest), so at import it loads nothing but pytest: the model
modules it names are imported for the type checker only, and where a function needs them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

if TYPE_CHECKING:
    from pytest_readiness.api import Evidence
    from pytest_readiness.decisions.verdict import RunReport
    from pytest_readiness.results import CheckResult, ResultStore
    from pytest_readiness.settings import Settings

T = TypeVar("T")


def option(default: Any, help: str, kind: str = "string") -> Any:
    """A field of an options block: one flag `--readiness-<name>` and one ini key `readiness_<name>`.

    Kinds: string, path, int, float, bool, linelist. `help` goes through argparse's %-formatting:
    write a literal percent sign as `%%`.
    """
    return field(default=default, metadata={"help": help, "kind": kind})


class SourceCache:
    """Per-session memo of loaded sources; a failed load is remembered and re-raised, not retried."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[bool, Any]] = {}

    def get(self, key: str, load: Callable[[], T]) -> T:
        if key not in self._values:
            try:
                self._values[key] = (True, load())
            except BaseException as exc:
                if isinstance(exc, KeyboardInterrupt | SystemExit):
                    raise
                self._values[key] = (False, exc)
        ok, value = self._values[key]
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]


SETTINGS_KEY: pytest.StashKey[Settings] = pytest.StashKey()
CACHE_KEY = pytest.StashKey[SourceCache]()
EVIDENCE_KEY: pytest.StashKey[Evidence] = pytest.StashKey()
STORE_KEY: pytest.StashKey[ResultStore] = pytest.StashKey()
REPORT_KEY: pytest.StashKey[RunReport] = pytest.StashKey()
RESULT_KEY: pytest.StashKey[CheckResult] = pytest.StashKey()


def settings_of(config: pytest.Config) -> Settings:
    return config.stash[SETTINGS_KEY]


def cache_of(config: pytest.Config) -> SourceCache:
    return config.stash[CACHE_KEY]


def report_of(config: pytest.Config) -> RunReport | None:
    """The run's assembled report, once the session has finished."""
    return config.stash.get(REPORT_KEY, None)


def session_today(config: pytest.Config) -> date:
    """One "today" (UTC, or READINESS_TODAY) for every expiry judged in this session."""
    from pytest_readiness.decisions.clock import today

    return cache_of(config).get("today", today)


@pytest.fixture(scope="session")
def readiness_settings(pytestconfig: pytest.Config) -> Settings:
    return settings_of(pytestconfig)


@pytest.fixture
def evidence(request: pytest.FixtureRequest) -> Evidence:
    """Record what the check saw: `evidence.add(detail, where)`, `evidence.finding(detail, where)`."""
    from pytest_readiness.api import Evidence

    recorded: Evidence = request.node.stash.setdefault(EVIDENCE_KEY, Evidence())
    return recorded
