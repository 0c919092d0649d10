"""readiness.toml: attestations of manual checks, the sign-off table and waivers, each with its file:line.

A problem in one entry makes that entry invalid (and is reported with its line); the rest of the file
still counts. A TOML syntax error makes the whole file unreadable.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, TypeVar

from pytest_readiness.catalog import Check, load_catalog
from pytest_readiness.decisions.clock import as_utc_date
from pytest_readiness.results import Location, Problem
from pytest_readiness.secrets import mask_in_text
from pytest_readiness.sources import reading

SIGNOFF_STATUSES = ("approved", "rejected", "pending")
_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\.\"' ]+?)\s*=")
_TOML_LINE = re.compile(r"at line (\d+)")

E = TypeVar("E")


class InvalidEntry(ValueError):
    def __init__(self, message: str, key: str = "") -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class Attestation:
    check_id: str
    by: str
    date: date
    evidence: str
    location: Location
    valid_days: int | None = None
    note: str = ""
    applicable: bool = True  # false: attested that the item does not apply (e.g. HIPAA without health data)


@dataclass(frozen=True)
class SignOff:
    role: str  # "security", "architecture", "operations", "compliance", "final"
    reviewer: str
    date: date
    status: str  # one of SIGNOFF_STATUSES
    location: Location
    evidence: str = ""
    valid_days: int | None = None
    note: str = ""


@dataclass(frozen=True)
class Waiver:
    check_id: str
    object: str  # a glob over result targets; "" waives every object of the check
    justification: str
    approver: str
    expires: date  # inclusive, UTC
    location: Location

    def matches(self, check_id: str, target: str) -> bool:
        """Same check, and the object pattern names the target or a workload that contains it."""
        if check_id != self.check_id:
            return False
        if not self.object:
            return True
        return fnmatchcase(target, self.object) or fnmatchcase(target, self.object + "/*")

    def is_current(self, today: date) -> bool:
        return today <= self.expires

    @property
    def scope(self) -> str:
        return f"{self.check_id}[{self.object}]" if self.object else self.check_id

    def __str__(self) -> str:
        return f"waiver {self.scope} ({self.location}, approved by {self.approver}, expires {self.expires})"


@dataclass
class ReadinessFile:
    display: str
    present: bool = False
    attestations: dict[str, Attestation] = field(default_factory=dict)
    signoffs: dict[str, SignOff] = field(default_factory=dict)
    waivers: list[Waiver] = field(default_factory=list)
    invalid: dict[str, Problem] = field(default_factory=dict)  # "attest.ID" / "signoff.role" -> problem
    problems: list[Problem] = field(default_factory=list)  # every problem, in file order
    syntax_error: Problem | None = None

    def problem_for(self, entry: str) -> Problem | None:
        return self.syntax_error or self.invalid.get(entry)


def signoff_roles() -> dict[str, Check]:
    """The seed's Sign-Off rows: role ("security", ..., "final") -> its *-SIGNOFF-* check."""
    return {
        c.id.rsplit("-SIGNOFF-", 1)[1].lower(): c for c in load_catalog().values() if "-SIGNOFF-" in c.id
    }


def signoff_label(check: Check) -> str:
    """`Security Review`, as the seed's Sign-Off table names the row."""
    for seed in check.seed:
        if seed.startswith("Sign-Off: "):
            return seed.removeprefix("Sign-Off: ")
    return check.title


class _LineIndex:
    """Lines of tables and keys; the n-th `[[waiver]]` is table `waiver#n` (n from 0)."""

    def __init__(self, text: str) -> None:
        self.lines: dict[str, int] = {}
        counts: dict[str, int] = {}
        table = ""
        for number, raw in enumerate(text.splitlines(), start=1):
            header = _HEADER.match(raw)
            if header:
                table = _dotted(header.group(2))
                if header.group(1) == "[[":
                    counts[table] = counts.get(table, -1) + 1
                    table = f"{table}#{counts[table]}"
                self.lines.setdefault(table, number)
                continue
            key = _KEY.match(raw)
            if key:
                self.lines.setdefault(f"{table}.{_dotted(key.group(1))}" if table else _dotted(key.group(1)), number)

    def where(self, display: str, *paths: str) -> Location:
        for path in paths:
            if path in self.lines:
                return Location(display, self.lines[path])
        return Location(display)


def _dotted(raw: str) -> str:
    return ".".join(part.strip().strip("\"'") for part in raw.split("."))


def _text(entry: Mapping[str, Any], key: str, *, required: bool = True) -> str:
    value = entry.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise InvalidEntry(f"'{key}' must be a non-empty string", key)
    return mask_in_text(value.strip())


def _date(entry: Mapping[str, Any], key: str) -> date:
    value = as_utc_date(entry.get(key))
    if value is None:
        raise InvalidEntry(f"'{key}' must be a date like 2026-11-01 (UTC), got {entry.get(key)!r}", key)
    return value


def _days(entry: Mapping[str, Any]) -> int | None:
    value = entry.get("valid_days")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidEntry(f"'valid_days' must be a positive integer, got {value!r}", "valid_days")
    return value


def _only(entry: Any, allowed: tuple[str, ...]) -> Mapping[str, Any]:
    if not isinstance(entry, Mapping):
        raise InvalidEntry(f"expected a table with {', '.join(allowed)}")
    unknown = sorted(set(entry) - set(allowed))
    if unknown:
        raise InvalidEntry(f"unknown key {unknown[0]!r} (allowed: {', '.join(allowed)})", unknown[0])
    return entry


def _attestation(check_id: str, entry: Any, where: Location) -> Attestation:
    check = load_catalog().get(check_id)
    if check is None or check.verify != "manual":
        what = "a manual check" if check is None else f"a manual check ({check_id} is verified {check.verify})"
        raise InvalidEntry(f"[attest.{check_id}]: {check_id} is not {what}")
    if "-SIGNOFF-" in check_id:
        role = check_id.rsplit("-SIGNOFF-", 1)[1].lower()
        raise InvalidEntry(f"[attest.{check_id}]: record sign-offs as [signoff.{role}] (reviewer, date, status)")
    e = _only(entry, ("by", "date", "evidence", "valid_days", "note", "applicable"))
    applicable = e.get("applicable", True)
    if not isinstance(applicable, bool):
        raise InvalidEntry(f"'applicable' must be true or false, got {applicable!r}", "applicable")
    return Attestation(check_id, _text(e, "by"), _date(e, "date"), _text(e, "evidence"), where, _days(e),
                       _text(e, "note", required=False), applicable)


def _signoff(role: str, entry: Any, where: Location) -> SignOff:
    if role not in signoff_roles():
        raise InvalidEntry(f"[signoff.{role}]: unknown sign-off (expected one of {', '.join(signoff_roles())})")
    e = _only(entry, ("reviewer", "date", "status", "evidence", "valid_days", "note"))
    status = _text(e, "status").lower()
    if status not in SIGNOFF_STATUSES:
        raise InvalidEntry(f"'status' must be one of {', '.join(SIGNOFF_STATUSES)}, got {status!r}", "status")
    return SignOff(role, _text(e, "reviewer"), _date(e, "date"), status, where, _text(e, "evidence", required=False),
                   _days(e), _text(e, "note", required=False))


def _waiver(entry: Any, where: Location) -> Waiver:
    e = _only(entry, ("check", "object", "justification", "approver", "expires"))
    return Waiver(_text(e, "check"), _text(e, "object", required=False), _text(e, "justification"),
                  _text(e, "approver"), _date(e, "expires"), where)


class _Loader:
    def __init__(self, result: ReadinessFile, index: _LineIndex) -> None:
        self.result = result
        self.index = index

    def entry(self, table: str, build: Callable[..., E], *args: Any) -> E | None:
        try:
            return build(*args, self.index.where(self.result.display, table))
        except InvalidEntry as invalid:
            location = self.index.where(self.result.display, f"{table}.{invalid.key}", table)
            problem = Problem(location, str(invalid))
            self.result.problems.append(problem)
            self.result.invalid[table] = problem
            return None

    def table(self, data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
        value = data.get(name, {})
        if isinstance(value, Mapping):
            return value
        self.result.problems.append(Problem(self.index.where(self.result.display, name), f"'{name}' must be a table"))
        return {}


def _unreadable(result: ReadinessFile, problem: Problem) -> ReadinessFile:
    result.syntax_error = problem
    result.problems.append(problem)
    return result


def load(project: Path, relative: str, max_bytes: int = reading.DEFAULT_MAX_BYTES) -> ReadinessFile:
    path = Path(relative) if Path(relative).is_absolute() else project / relative
    try:
        display = str(path.relative_to(project))
    except ValueError:
        display = str(path)
    result = ReadinessFile(display)
    if not path.exists():  # a FIFO or a device is there, and reported as not read
        return result
    result.present = True
    try:
        text = reading.read_text(path, display, max_bytes)
        data = tomllib.loads(text)
    except reading.Unreadable as exc:
        where, _, line = exc.where.rpartition(":")
        location = Location(where, int(line)) if where and line.isdigit() else Location(display)
        return _unreadable(result, Problem(location, exc.problem))
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_LINE.search(str(exc))
        return _unreadable(result, Problem(Location(display, int(found.group(1)) if found else None),
                                           f"invalid TOML: {reading.quote(str(exc))}"))
    except RecursionError:
        return _unreadable(result, Problem(Location(display), "not read: tables or arrays nested too deeply"))
    except ValueError as exc:  # an integer past Python's 4,300 digits
        return _unreadable(result, Problem(Location(display), f"invalid TOML: {reading.quote(str(exc))}"))
    index = _LineIndex(text)
    loader = _Loader(result, index)
    for key in sorted(set(data) - {"attest", "signoff", "waiver"}):
        result.problems.append(Problem(index.where(display, key), f"unknown table [{key}]: expected [attest.<ID>], "
                                       "[signoff.<role>] or [[waiver]]"))
    for check_id, entry in loader.table(data, "attest").items():
        attestation = loader.entry(f"attest.{check_id}", _attestation, check_id, entry)
        if attestation:
            result.attestations[check_id] = attestation
    for role, entry in loader.table(data, "signoff").items():
        signoff = loader.entry(f"signoff.{role}", _signoff, role, entry)
        if signoff:
            result.signoffs[role] = signoff
    waivers = data.get("waiver", [])
    if not isinstance(waivers, list):
        result.problems.append(Problem(index.where(display, "waiver"), "waivers are an array: write [[waiver]]"))
        waivers = []
    for number, entry in enumerate(waivers):
        waiver = loader.entry(f"waiver#{number}", _waiver, entry)
        if waiver:
            result.waivers.append(waiver)
    result.problems.sort(key=lambda p: p.location.line or 0)
    return result
