"""Check metadata, defined once in catalog_toml/<category>.toml and loaded here."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

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


@cache
def load_catalog() -> dict[str, Check]:
    """All checks by id, in the seed's category order."""
    checks: dict[str, Check] = {}
    folder = resources.files("pytest_readiness") / "catalog_toml"
    for category in CATEGORIES:
        data = tomllib.loads((folder / f"{category}.toml").read_text(encoding="utf-8"))
        for entry in data.get("check", []):
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
