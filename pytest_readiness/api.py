"""What a check author uses: the `check` decorator, the `Evidence` recorder, and the outcomes.

`Unverified` and `NotApplicable` are pytest skips (so they show as skipped in every pytest report)
that the result model tells apart; `SourceError` means the input exists but cannot be read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn, TypeVar

import pytest
from _pytest.mark.structures import Mark

from pytest_readiness.catalog import CATEGORIES, CATEGORY_PRIORITY, PRIORITIES, SOURCES, Check, load_catalog
from pytest_readiness.results import EvidenceItem, Location

F = TypeVar("F", bound=Callable[..., Any])

CHECK_ATTR = "readiness_check"
_custom: dict[str, Check] = {}
_MARKER_NAME = re.compile(r"[a-z][a-z0-9_]*")


def lookup(check_id: str) -> Check | None:
    """A shipped check from the catalog or an organisation's own check registered with `check`."""
    return load_catalog().get(check_id) or _custom.get(check_id)


def check_marks(meta: Check) -> list[pytest.MarkDecorator]:
    """The markers of a check: its id, category, priority and source."""
    # Built directly, not through `pytest.mark.<name>`: the markers are registered only in a readiness
    # run, and a conftest's `@check` is imported in plain runs too.
    return [plain_mark("readiness", meta.id), *(plain_mark(name) for name in meta.markers)]


def plain_mark(name: str, *args: object) -> pytest.MarkDecorator:
    return pytest.MarkDecorator(Mark(name, args, {}, _ispytest=True), _ispytest=True)


def check(
    check_id: str,
    *,
    title: str | None = None,
    category: str | None = None,
    priority: str | None = None,
    verify: str = "static",
    remediation: str = "",
    summary: str = "",
) -> Callable[[F], F]:
    """Mark a test function as the check `check_id`.

    Shipped checks take their metadata from the catalog; an organisation's own check passes
    title and category (and optionally priority, verify, remediation) here.
    """
    catalog = load_catalog()
    if check_id in catalog:
        meta = catalog[check_id]
    else:
        if not title or category not in CATEGORIES:
            raise ValueError(
                f"check {check_id!r} is not in the catalog: give title= and category= (one of {CATEGORIES})"
            )
        assert category is not None
        meta = Check(
            id=check_id,
            title=title,
            category=category,
            priority=priority or CATEGORY_PRIORITY[category],
            verify=verify,
            seed=(),
            summary=summary,
            remediation=remediation,
        )
        if meta.priority not in PRIORITIES or not _MARKER_NAME.fullmatch(meta.verify):
            raise ValueError(f"check {check_id!r}: priority must be in {PRIORITIES}, verify a source's marker "
                             f"(shipped: {SOURCES}; more through the pytest_readiness_sources hook)")
        _custom[check_id] = meta

    def decorate(fn: F) -> F:
        for marker in check_marks(meta):
            fn = marker(fn)
        setattr(fn, CHECK_ATTR, meta)
        return fn

    return decorate


def conftest_checks(config: pytest.Config) -> dict[str, Callable[..., Any]]:
    """Checks defined with `@check` in the run's conftest.py files, by test name."""
    found: dict[str, Callable[..., Any]] = {}
    for plugin in config.pluginmanager.get_plugins():
        if not str(getattr(plugin, "__file__", "")).endswith("conftest.py"):
            continue
        for name, value in vars(plugin).items():
            if callable(value) and hasattr(value, CHECK_ATTR):
                found[name if name.startswith("test_") else f"test_{name}"] = value
    return found


@dataclass
class Evidence:
    """What a check saw. Passed checks keep it as proof; failed ones show it next to the failure."""

    items: list[EvidenceItem] = field(default_factory=list)
    findings: list[EvidenceItem] = field(default_factory=list)

    def add(self, detail: str, where: Location | str | None = None) -> None:
        self.items.append(EvidenceItem(_location(where), detail))

    def finding(self, detail: str, where: Location | str | None = None) -> None:
        """A located problem: shown in the failure and annotated in SARIF."""
        self.findings.append(EvidenceItem(_location(where), detail))

    def fail_if_findings(self, summary: str) -> None:
        if self.findings:
            lines = "\n".join(f"  {f}" for f in self.findings)
            pytest.fail(f"{summary}:\n{lines}", pytrace=False)


def _location(where: Location | str | None) -> Location | None:
    if where is None or isinstance(where, Location):
        return where
    path, _, line = where.rpartition(":")
    return Location(path, int(line)) if path and line.isdigit() else Location(where)


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


def raise_afresh(problem: BaseException | None) -> None:
    """Raise a parameter's recorded Unverified or SourceError anew: the cached one carries the deep
    traceback of the load that failed, which no report should show."""
    if isinstance(problem, Unverified):
        raise Unverified(problem.reason)
    if isinstance(problem, SourceError):
        raise SourceError(problem.where, problem.problem)
