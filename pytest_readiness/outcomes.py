"""How a check ends when it cannot simply pass or fail.

`Unverified` and `NotApplicable` are pytest skips (so they show as skipped in every pytest report)
that the result model tells apart; `SourceError` means the input exists but cannot be read.
"""

from __future__ import annotations

from typing import NoReturn

import pytest

Skipped = pytest.skip.Exception


class Unverified(Skipped):  # type: ignore[misc,valid-type]
    """The input the check needs is absent; the message says what to provide."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"unverified: {reason}")
        self.reason = reason


class NotApplicable(Skipped):  # type: ignore[misc,valid-type]
    """The check does not apply to this object (for example a Job needs no readiness probe)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"not applicable: {reason}")
        self.reason = reason


class SourceError(Exception):
    """An input is present but unreadable: malformed file, unreachable target, no permission."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


def unverified(reason: str) -> NoReturn:
    raise Unverified(reason)


def not_applicable(reason: str) -> NoReturn:
    raise NotApplicable(reason)
