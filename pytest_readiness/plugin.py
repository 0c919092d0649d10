"""pytest entry point: options, ini keys, markers, and the checklist added to collection.

Loaded in every pytest run where the package is installed, so it imports nothing heavy and does
nothing at all unless --readiness (or --readiness-list) is given.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_readiness import settings

CHECKLIST_DIR = Path(__file__).parent / "checklist"
MARKERS = {
    "readiness(check_id)": "a production readiness check from pytest-readiness",
    "security": "readiness category: security",
    "reliability": "readiness category: reliability",
    "observability": "readiness category: observability",
    "performance": "readiness category: performance",
    "operations": "readiness category: operations",
    "compliance": "readiness category: compliance",
    "critical": "readiness priority: critical",
    "high": "readiness priority: high",
    "medium": "readiness priority: medium",
    "low": "readiness priority: low",
    "static": "readiness source: the repository's files",
    "live": "readiness source: the running service (--readiness-url)",
    "cluster": "readiness source: a live Kubernetes cluster (--readiness-kube-context)",
    "azure": "readiness source: Azure Resource Manager",
    "image": "readiness source: the built container image",
    "manual": "readiness source: a human attestation (readiness.toml)",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    settings.add_options(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    if config.getoption("readiness_list"):
        from pytest_readiness.listing import print_catalog

        print_catalog()
        return 0
    return None


def pytest_configure(config: pytest.Config) -> None:
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")
    if not config.getoption("readiness"):
        return
    from pytest_readiness import cluster_fixtures, fixtures, live_fixtures
    from pytest_readiness.runtime import ReadinessRuntime

    settings.refuse_misread_rootdir(config)
    resolved = settings.from_config(config)
    config.pluginmanager.register(ReadinessRuntime(config, resolved), "readiness-runtime")
    config.pluginmanager.register(fixtures, "readiness-fixtures")
    config.pluginmanager.register(cluster_fixtures, "readiness-cluster")
    config.pluginmanager.register(live_fixtures, "readiness-live-fixtures")
    from pytest_readiness.sources.azure.iac import fixtures as iac_fixtures  # issue 13: declared Azure resources

    config.pluginmanager.register(iac_fixtures, "readiness-iac-fixtures")
    extra = [str(resolved.resolve(p)) for p in resolved.paths]
    # The folder, so node ids read `test_security.py::...`; runtime collects its modules whatever
    # the project's python_files says.
    config.args[:] = [str(CHECKLIST_DIR), *extra]
