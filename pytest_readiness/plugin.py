"""pytest entry point: options, ini keys, markers, and the checklist added to collection.

Loaded in every pytest run where the package is installed, so at import it loads only the option
blocks and the source registry (tests/test_static_path_imports.py pins the list), and it does
nothing at all unless --readiness (or --readiness-list) is given: the catalog, the result model
and the checks' API are imported inside the hooks of a readiness run. What it wires is derived from
the catalog and the source registry.
"""

from __future__ import annotations

import gc
import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from _pytest.pathlib import fnmatch_ex

from pytest_readiness import settings
from pytest_readiness.sources.registry import SOURCES, Source

CHECKLIST_DIR = Path(__file__).parent / "checklist"
ORGANISATION_MODULE = CHECKLIST_DIR / "test_organisation.py"


def markers(sources: Sequence[Source] = SOURCES) -> dict[str, str]:
    """The readiness markers: the check id, each category, each priority and each source."""
    from pytest_readiness.catalog import CATEGORIES, PRIORITIES

    found = {"readiness(check_id)": "a production readiness check from pytest-readiness"}
    found.update({c: f"readiness category: {c}" for c in CATEGORIES})
    found.update({p: f"readiness priority: {p}" for p in PRIORITIES})
    found.update({s.marker: f"readiness source: {s.how}" for s in sources})
    for source in sources:
        found.update(source.markers)
    return found


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from pytest_readiness.sources import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


def run_sources(config: pytest.Config) -> list[Source]:
    """The shipped sources and those the `pytest_readiness_sources` hook adds; a custom check must name one."""
    from pytest_readiness.api import CHECK_ATTR, conftest_checks

    added = [source for found in config.hook.pytest_readiness_sources(config=config) for source in found]
    sources = [*SOURCES, *added]
    known = {s.marker for s in sources}
    checks = [getattr(fn, CHECK_ATTR) for fn in conftest_checks(config).values()]
    unknown = sorted({f"{c.id} (verify={c.verify!r})" for c in checks if c.verify not in known})
    if unknown:
        raise pytest.UsageError(f"checks name a source no registry entry or pytest_readiness_sources hook gives: "
                                f"{', '.join(unknown)}")
    return sources


class OrganisationModule(pytest.Module):
    """The checklist module that carries the checks defined in the project's conftest.py files."""

    def _getobj(self) -> Any:
        from pytest_readiness.api import conftest_checks

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

    sources = run_sources(config)
    for name, text in markers(sources).items():
        config.addinivalue_line("markers", f"{name}: {text}")
    settings.refuse_misread_rootdir(config)
    resolved = settings.from_config(config)
    config.pluginmanager.register(ReadinessRuntime(config, resolved), "readiness-runtime")
    config.pluginmanager.register(ChecklistCollection(config), "readiness-collection")
    config.pluginmanager.register(session, "readiness-session")
    config.pluginmanager.register(LongLivedHeap(), "readiness-heap")
    for source in sources:
        for module in source.fixtures:
            config.pluginmanager.register(importlib.import_module(module), f"readiness-{module}")
    extra = [resolved.resolve(p) for p in resolved.paths]
    requested = requested_node_ids(config, extra)
    # The folder, so node ids read `test_security.py::...`; ChecklistCollection collects its modules
    # whatever the project's python_files says. Node ids on the command line select within it.
    config.args[:] = [str(CHECKLIST_DIR), *map(str, extra)]
    if requested:
        config.pluginmanager.register(NodeIdSelection(requested), "readiness-node-ids")


class LongLivedHeap:
    """The checklist, its sources and their libraries stay loaded until the process exits, yet every
    full garbage collection walks all of them again (pytest's unraisable-exception plugin alone runs
    two at the end). After start-up and again after collection they are moved out of the collector's
    reach (`gc.freeze`), and put back at unconfigure, before pytest's last collection, so nothing is
    left uncollected (an in-process pytester run leaks nothing into its host).
    """

    @pytest.hookimpl(trylast=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        gc.freeze()

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        gc.freeze()

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        gc.unfreeze()


def requested_node_ids(config: pytest.Config, extra: list[Path]) -> list[str]:
    """The node ids (or module paths) the command line names among the checks, as the run's node ids.

    A node id printed by a run (`test_security.py::test_x[Deployment/app]`) names a checklist module,
    not a file in the project. A path in an extra check folder (--readiness-paths) is kept relative
    to the rootdir. Other arguments (the project's own tests, `.`) are not part of a readiness run.
    """
    if config.args_source is not pytest.Config.ArgsSource.ARGS:
        return []
    requested = []
    for arg in config.args:
        path, sep, rest = arg.partition("::")
        local = config.invocation_params.dir / path
        shipped = CHECKLIST_DIR / Path(path).name
        if not local.exists() and shipped.name.startswith("test_") and shipped.is_file():
            requested.append(f"{shipped.name}{sep}{rest}")
        elif local.exists() and any(local.resolve().is_relative_to(e) for e in extra):
            relative = local.resolve().relative_to(config.rootpath).as_posix()
            requested.append(f"{relative}{sep}{rest}")
    return requested


class NodeIdSelection:
    """Keeps the items the command line's node ids name, as pytest does for paths it collects."""

    def __init__(self, requested: list[str]) -> None:
        self.requested = requested

    def names(self, nodeid: str) -> bool:
        return any(self.names_one(wanted, nodeid) for wanted in self.requested)

    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        kept = [item for item in items if self.names(item.nodeid)]
        if len(kept) < len(items):
            config.hook.pytest_deselected(items=[item for item in items if not self.names(item.nodeid)])
            items[:] = kept
        missing = [wanted for wanted in self.requested if not any(self.names_one(wanted, i.nodeid) for i in kept)]
        if missing:
            raise pytest.UsageError(f"not found among the readiness checks: {', '.join(missing)}")

    @staticmethod
    def names_one(wanted: str, nodeid: str) -> bool:
        return nodeid == wanted or nodeid.startswith((wanted + "::", wanted + "["))
