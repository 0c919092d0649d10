"""The catalog's parse is kept beside its TOML files as Python keeps bytecode, and never outlives an edit."""

from __future__ import annotations

import marshal
import os
import shutil
import sys
import tomllib
from pathlib import Path

import pytest

from pytest_readiness.catalog import CATEGORIES, cached_tables, load_catalog

PACKAGE_CATALOG = Path(__file__).resolve().parents[1] / "pytest_readiness" / "catalog_toml"


def parsed(folder: Path) -> dict[str, dict[str, object]]:
    return {c: tomllib.loads((folder / f"{c}.toml").read_text(encoding="utf-8")) for c in CATEGORIES}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    copy = tmp_path / "catalog_toml"
    copy.mkdir()
    for category in CATEGORIES:
        shutil.copy2(PACKAGE_CATALOG / f"{category}.toml", copy / f"{category}.toml")
    return copy


@pytest.fixture
def writes_bytecode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)  # this machine sets PYTHONDONTWRITEBYTECODE


def cache_files(folder: Path) -> list[str]:
    return sorted(p.name for p in (folder / "__pycache__").iterdir()) if (folder / "__pycache__").exists() else []


def test_the_first_load_parses_and_keeps_the_parse(folder: Path, writes_bytecode: None) -> None:
    assert cached_tables(folder) == parsed(folder)
    assert cache_files(folder) == [f"catalog.{sys.implementation.cache_tag}.marshal"]
    assert cached_tables(folder) == parsed(folder)


def test_a_kept_parse_is_what_the_next_load_returns(folder: Path, writes_bytecode: None) -> None:
    cached_tables(folder)
    cache = folder / "__pycache__" / cache_files(folder)[0]
    stamp, tables = marshal.loads(cache.read_bytes())
    tables["security"]["check"][0]["title"] = "from the kept parse"
    cache.write_bytes(marshal.dumps((stamp, tables)))
    assert cached_tables(folder)["security"]["check"][0]["title"] == "from the kept parse"


@pytest.mark.parametrize("edit", ["longer", "same size, newer"])
def test_an_edited_file_is_parsed_again_and_the_parse_rewritten(folder: Path, writes_bytecode: None,
                                                                edit: str) -> None:
    cached_tables(folder)
    toml = folder / "operations.toml"
    text = toml.read_text(encoding="utf-8")
    first_title = tomllib.loads(text)["check"][0]["title"]
    if edit == "longer":
        changed = text.replace(f'title = "{first_title}"', 'title = "Renamed by an edit"', 1)
    else:  # a same-size rewrite (one letter swapped): only the mtime tells
        changed = text.replace(f'title = "{first_title}"', f'title = "{first_title[:-1]}#"', 1)
        assert len(changed) == len(text)
    assert changed != text
    toml.write_text(changed, encoding="utf-8")
    stat = toml.stat()
    os.utime(toml, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
    assert cached_tables(folder) == parsed(folder)
    assert cached_tables(folder)["operations"]["check"][0]["title"] != first_title


def test_nothing_is_written_where_bytecode_is_not(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    assert cached_tables(folder) == parsed(folder)
    assert cache_files(folder) == []


@pytest.mark.parametrize("content", [b"", b"not marshal at all", marshal.dumps("a string, not a parse")])
def test_an_unreadable_kept_parse_is_ignored_and_replaced(folder: Path, writes_bytecode: None,
                                                           content: bytes) -> None:
    (folder / "__pycache__").mkdir()
    cache = folder / "__pycache__" / f"catalog.{sys.implementation.cache_tag}.marshal"
    cache.write_bytes(content)
    assert cached_tables(folder) == parsed(folder)
    assert cache.read_bytes() != content
    assert cache_files(folder) == [cache.name]  # no partial file left behind


def test_an_unwritable_cache_folder_still_loads(folder: Path, writes_bytecode: None) -> None:
    (folder / "__pycache__").write_text("a file where the cache folder would be")
    assert cached_tables(folder) == parsed(folder)


def test_the_shipped_catalog_is_its_toml_files() -> None:
    ids = [str(entry["id"]) for table in parsed(PACKAGE_CATALOG).values() for entry in table.get("check", [])]
    assert list(load_catalog()) == ids
