"""pytest entry point: options, ini keys, markers, and the checklist added to collection.

Loaded in every pytest run where the package is installed, so it imports nothing heavy and does
nothing at all unless --readiness (or --readiness-list) is given. What it wires is derived from
the catalog and the source registry.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
from _pytest.pathlib import fnmatch_ex

from pytest_readiness import settings
from pytest_readiness.api import conftest_checks
from pytest_readiness.catalog import CATEGORIES, PRIORITIES
from pytest_readiness.sources.registry import SOURCES

CHECKLIST_DIR = Path(__file__).parent / "checklist"
ORGANISATION_MODULE = CHECKLIST_DIR / "test_organisation.py"


def markers() -> dict[str, str]:
    """The readiness markers: the check id, each category, each priority and each source."""
    found = {"readiness(check_id)": "a production readiness check from pytest-readiness"}
    found.update({c: f"readiness category: {c}" for c in CATEGORIES})
    found.update({p: f"readiness priority: {p}" for p in PRIORITIES})
    found.update({s.marker: f"readiness source: {s.how}" for s in SOURCES})
    for source in SOURCES:
        found.update(source.markers)
    return found


class OrganisationModule(pytest.Module):
    """The checklist module that carries the checks defined in the project's conftest.py files."""

    def _getobj(self) -> Any:
        module = super()._getobj()  # type: ignore[no-untyped-call]
        for name, function in conftest_checks(self.config).items():
            setattr(module, name, function)
        return module


def path_matches_patterns(path: Path, patterns: list[str]) -> bool:
    return any(fnmatch_ex(pattern, path) for pattern in patterns)


class ChecklistCollection:
    """Collects the shipped checklist, whatever the project's python_files says."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    @pytest.hookimpl(tryfirst=True)
    def pytest_collect_file(self, file_path: Path, parent: pytest.Collector) -> pytest.Module | None:
        """Checklist modules the project's own python_files pattern would not pick up."""
        if file_path.parent != CHECKLIST_DIR or not file_path.name.startswith("test_") or file_path.suffix != ".py":
            return None
        if path_matches_patterns(file_path, self.config.getini("python_files")):
            return None  # the python plugin collects it
        module = self.pytest_pycollect_makemodule(file_path, parent)
        return module or pytest.Module.from_parent(parent, path=file_path)

    def pytest_pycollect_makemodule(self, module_path: Path, parent: pytest.Collector) -> pytest.Module | None:
        if module_path == ORGANISATION_MODULE:
            return OrganisationModule.from_parent(parent, path=module_path)
        return None



def pytest_addoption(parser: pytest.Parser) -> None:
    settings.add_options(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    if config.getoption("readiness_list"):
        from pytest_readiness.tooling.listing import print_catalog

        print_catalog()
        return 0
    return None


def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("readiness"):
        return
    from pytest_readiness import session
    from pytest_readiness.reporting.recorder import ReadinessRuntime

    for name, text in markers().items():
        config.addinivalue_line("markers", f"{name}: {text}")
    settings.refuse_misread_rootdir(config)
    resolved = settings.from_config(config)
    config.pluginmanager.register(ReadinessRuntime(config, resolved), "readiness-runtime")
    config.pluginmanager.register(ChecklistCollection(config), "readiness-collection")
    config.pluginmanager.register(session, "readiness-session")
    for source in SOURCES:
        for module in source.fixtures:
            config.pluginmanager.register(importlib.import_module(module), f"readiness-{module}")
    extra = [str(resolved.resolve(p)) for p in resolved.paths]
    # The folder, so node ids read `test_security.py::...`; runtime collects its modules whatever
    # the project's python_files says.
    config.args[:] = [str(CHECKLIST_DIR), *extra]
