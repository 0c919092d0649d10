"""`pytest --readiness-list`: the catalog as a table, without running anything."""

from __future__ import annotations

from pytest_readiness.catalog import load_catalog


def print_catalog() -> None:
    checks = list(load_catalog().values())
    width = max(len(c.id) for c in checks)
    category = ""
    for c in checks:
        if c.category != category:
            category = c.category
            print(f"\n{category.upper()}")
        print(f"  {c.id:<{width}}  {c.priority:<8}  {c.verify:<7}  {c.title}")
    print(f"\n{len(checks)} checks")
