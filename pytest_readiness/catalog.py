"""Check metadata, defined once in catalog_toml/<category>.toml and loaded here."""

from __future__ import annotations

import contextlib
import marshal
import os
import sys
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pytest_readiness.sources.registry import MARKERS

CATEGORIES = ("security", "reliability", "observability", "performance", "operations", "compliance")
PRIORITIES = ("critical", "high", "medium", "low")
SOURCES = MARKERS  # a check's `verify`: the marker of the source that decides it

# From the seed's Quick Assessment table; compliance is "Variable" there, so medium unless an item says.
CATEGORY_PRIORITY = {
    "security": "critical",
    "reliability": "critical",
    "observability": "high",
    "performance": "high",
    "operations": "medium",
    "compliance": "medium",
}


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    category: str
    priority: str
    verify: str
    seed: tuple[str, ...]
    summary: str
    remediation: str
    priority_note: str = ""
    valid_days: int | None = None

    @property
    def markers(self) -> tuple[str, ...]:
        return (self.category, self.priority, self.verify)


class CatalogError(ValueError):
    pass


def _parse(category: str, entry: dict[str, object]) -> Check:
    try:
        check = Check(
            id=str(entry["id"]),
            title=str(entry["title"]),
            category=category,
            priority=str(entry.get("priority", CATEGORY_PRIORITY[category])),
            verify=str(entry["verify"]),
            seed=tuple(str(s) for s in entry.get("seed", []) or []),  # type: ignore[attr-defined]
            summary=str(entry.get("summary", "")),
            remediation=str(entry.get("remediation", "")).strip(),
            priority_note=str(entry.get("priority_note", "")),
            valid_days=int(entry["valid_days"]) if "valid_days" in entry else None,  # type: ignore[call-overload]
        )
    except KeyError as missing:
        raise CatalogError(f"{category}.toml: check {entry.get('id', '?')} lacks {missing}") from None
    if check.priority not in PRIORITIES or check.verify not in SOURCES:
        raise CatalogError(f"{category}.toml: {check.id} has priority={check.priority} verify={check.verify}")
    return check


def _stamp(folder: Path) -> list[tuple[str, int, int]]:
    stats = [(category, (folder / f"{category}.toml").stat()) for category in CATEGORIES]
    return [(category, st.st_mtime_ns, st.st_size) for category, st in stats]


def cached_tables(folder: Path) -> dict[str, dict[str, Any]]:
    """Each category's parsed TOML. Parsing is most of what loading the catalog costs (about 8 ms CPU,
    in every readiness run), so the parse is kept beside the files as Python keeps bytecode:
    `__pycache__/catalog.<tag>.marshal`, valid while every file has the size and mtime it had, rewritten
    when one changes, never written when bytecode is not (PYTHONDONTWRITEBYTECODE), and ignored
    (the files parsed afresh) when it is missing, stale, unreadable or cannot be written.
    """
    stamp = _stamp(folder)
    cache_file = folder / "__pycache__" / f"catalog.{sys.implementation.cache_tag}.marshal"
    try:
        kept_stamp, tables = marshal.loads(cache_file.read_bytes())
        if kept_stamp == stamp:
            return tables  # type: ignore[no-any-return]
    except (OSError, ValueError, EOFError, TypeError):
        pass
    tables = {c: tomllib.loads((folder / f"{c}.toml").read_text(encoding="utf-8")) for c in CATEGORIES}
    if not sys.dont_write_bytecode:
        _keep(cache_file, (stamp, tables))
    return tables


def _keep(cache_file: Path, value: tuple[list[tuple[str, int, int]], dict[str, dict[str, Any]]]) -> None:
    try:
        data = marshal.dumps(value)
    except ValueError:  # a value marshal cannot keep (a TOML date): parse every time
        return
    partial = cache_file.with_name(f"{cache_file.name}.{os.getpid()}.tmp")
    try:
        cache_file.parent.mkdir(exist_ok=True)
        partial.write_bytes(data)
        os.replace(partial, cache_file)  # atomic: xdist workers may write it at once
    except OSError:  # a read-only install
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)


def _tables() -> dict[str, dict[str, Any]]:
    folder = resources.files("pytest_readiness") / "catalog_toml"
    if isinstance(folder, Path):
        return cached_tables(folder)
    return {c: tomllib.loads((folder / f"{c}.toml").read_text(encoding="utf-8")) for c in CATEGORIES}


@cache
def load_catalog() -> dict[str, Check]:
    """All checks by id, in the seed's category order."""
    checks: dict[str, Check] = {}
    tables = _tables()
    for category in CATEGORIES:
        for entry in tables[category].get("check", []):
            check = _parse(category, entry)
            if check.id in checks:
                raise CatalogError(f"duplicate check id {check.id}")
            checks[check.id] = check
    return checks


def get_check(check_id: str) -> Check:
    try:
        return load_catalog()[check_id]
    except KeyError:
        raise CatalogError(f"unknown check id {check_id!r}") from None
