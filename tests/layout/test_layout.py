"""The package's shape: no import cycles, a small root, one registry that everything derives from."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

from pytest_readiness import settings
from pytest_readiness.catalog import SOURCES as CATALOG_SOURCES
from pytest_readiness.catalog import load_catalog
from pytest_readiness.sources.registry import SOURCES

PACKAGE = Path(__file__).resolve().parents[2] / "pytest_readiness"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _top_level_imports(path: Path) -> set[str]:
    """Modules imported when the module itself is imported: not inside functions or TYPE_CHECKING."""
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for inner in ast.walk(node) if not isinstance(node, ast.FunctionDef | ast.ClassDef) else ():
            if isinstance(inner, ast.ImportFrom) and inner.module and inner.level == 0:
                found.add(inner.module)
                found.update(f"{inner.module}.{a.name}" for a in inner.names)
            elif isinstance(inner, ast.Import):
                found.update(a.name for a in inner.names)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: {m for m in _top_level_imports(path) if m in modules and m != name}
            for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = 2
        stack.pop()
        return []

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return []


def test_no_import_cycles() -> None:
    assert find_cycle(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]


def test_the_package_root_holds_at_most_eight_modules() -> None:
    modules = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(modules) <= 8, modules


def test_every_source_package_has_the_same_shape() -> None:
    for source in SOURCES:
        if source.not_yet:
            continue
        folder = PACKAGE / "sources" / source.package
        assert (folder / "__init__.py").is_file(), source.package
        for module in source.fixtures:
            assert module.startswith(f"pytest_readiness.sources.{source.package}."), module


def test_settings_hold_every_registered_options_block() -> None:
    blocks = {s.options_class() for s in SOURCES if s.options}
    assert blocks <= set(settings.OptionBlocks)
    assert set(settings.OptionBlocks) <= set(settings.Settings.__mro__)
    flat = {f.name for f in dataclasses.fields(settings.Settings)}
    assert flat == {f.name for block in settings.OptionBlocks for f in dataclasses.fields(block)}


def test_markers_and_catalog_sources_come_from_the_registry() -> None:
    from pytest_readiness.plugin import markers

    assert tuple(s.marker for s in SOURCES) == CATALOG_SOURCES
    assert {s.marker for s in SOURCES} <= set(markers())
    assert {c.verify for c in load_catalog().values()} <= set(CATALOG_SOURCES)
