"""A static run (`pytest --readiness` on a repo, no cluster, service, Azure or image target) loads no
client library: the Kubernetes client alone costs about 0.4 s CPU and 18 MiB per run. A plain run
(the plugin installed, no --readiness) loads only the option blocks and the source registry: the
catalog, the result model, the checks' API and the checklist wait for --readiness (docs/performance.md,
"Start-up, plain runs and the small repo")."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import EXAMPLES

HEAVY = ("kubernetes", "azure", "docker", "httpx", "redis")
PROBE = f"""
import sys
from pathlib import Path

def pytest_sessionfinish(session):
    loaded = sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))
    Path(session.config.rootpath, "heavy-modules.txt").write_text(" ".join(loaded))
"""


def test_a_static_run_of_the_example_imports_no_client_library(tmp_path: Path) -> None:
    project = tmp_path / "agent-good"
    shutil.copytree(EXAMPLES / "agent-good", project, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "heavy_probe.py").write_text(PROBE)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "--readiness", "-p", "heavy_probe", "-p", "no:cacheprovider", "-q",
         "-p", "no:xdist"],
        cwd=project, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert "passed" in run.stdout, run.stdout[-2000:] + run.stderr[-2000:]
    assert "REL-REQUESTS" not in run.stdout  # the quantity checks ran and passed on the example
    assert (project / "heavy-modules.txt").read_text() == ""


# What pytest loads from the package in a run without --readiness: the entry point, the options it
# registers (each source's block, the decisions' and the reports') and the registry that titles them.
PLAIN_RUN_MODULES = {
    "pytest_readiness",
    "pytest_readiness.plugin",
    "pytest_readiness.session",  # `option`, which every options block uses
    "pytest_readiness.settings",
    "pytest_readiness.decisions",
    "pytest_readiness.decisions.options",
    "pytest_readiness.reporting",
    "pytest_readiness.reporting.options",
    "pytest_readiness.sources",
    "pytest_readiness.sources.hookspecs",
    "pytest_readiness.sources.registry",
    *(f"pytest_readiness.sources.{package}" for package in ("azure", "azure.iac", "image", "kube", "manual",
                                                            "repo", "service")),
    *(f"pytest_readiness.sources.{package}.options" for package in ("azure", "azure.iac", "image", "kube",
                                                                    "manual", "repo", "service")),
}
MODULE_PROBE = """
import json
import sys
from pathlib import Path

def pytest_sessionfinish(session):
    loaded = sorted(m for m in sys.modules if m == "pytest_readiness" or m.startswith("pytest_readiness."))
    Path(session.config.rootpath, "readiness-modules.json").write_text(json.dumps(loaded))
"""


def plain_project(root: Path) -> Path:
    (root / "tests").mkdir(parents=True)
    (root / "pytest.ini").write_text("[pytest]\ntestpaths = tests\n")
    (root / "tests" / "test_app.py").write_text(textwrap.dedent("""
        import pytest

        @pytest.mark.parametrize("n", [1, 2, 3])
        def test_square(n):
            assert n * n >= n

        def test_text():
            assert "ready".upper() == "READY"
    """))
    (root / "module_probe.py").write_text(MODULE_PROBE)
    return root


def modules_of_a_run(project: Path, *args: str) -> set[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(project), os.environ.get("PYTHONPATH")]))}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "module_probe", "-p", "no:cacheprovider", "-p", "no:xdist", *args],
        cwd=project, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "4 passed" in run.stdout, run.stdout[-2000:]
    return set(json.loads((project / "readiness-modules.json").read_text()))


def test_a_plain_run_loads_only_the_option_blocks_and_the_registry(tmp_path: Path) -> None:
    loaded = modules_of_a_run(plain_project(tmp_path), "-q")
    assert loaded == PLAIN_RUN_MODULES, (
        f"loaded besides: {sorted(loaded - PLAIN_RUN_MODULES)}; not loaded: {sorted(PLAIN_RUN_MODULES - loaded)}"
    )


def test_a_plain_run_with_help_and_strict_config_loads_no_more(tmp_path: Path) -> None:
    project = plain_project(tmp_path)
    (project / "pytest.ini").write_text("[pytest]\ntestpaths = tests\nreadiness_fail_on = high\n")
    # The project's readiness ini key is registered (no "unknown config option" under --strict-config)
    # without loading more of the package.
    assert modules_of_a_run(project, "-q", "--strict-config", "-W", "error") == PLAIN_RUN_MODULES


LAZY_PACKAGE = """
import json, sys
import pytest_readiness
first = sorted(m for m in sys.modules if m.startswith("pytest_readiness"))
from pytest_readiness import Container, Evidence, Location, check, unverified
from pytest_readiness.api import check as api_check
from pytest_readiness.results import Location as results_location
from pytest_readiness.sources.kube.model import Container as model_container
namespace = {}
exec("from pytest_readiness import *", namespace)
try:
    pytest_readiness.no_such_name
    missing = "no error"
except AttributeError as error:
    missing = str(error)
print(json.dumps({
    "first": first, "same": [check is api_check, Location is results_location, Container is model_container],
    "star": sorted(n for n in namespace if not n.startswith("__")), "all": sorted(pytest_readiness.__all__),
    "dir": all(n in dir(pytest_readiness) for n in pytest_readiness.__all__), "missing": missing,
    "evidence": type(Evidence()).__name__, "unverified": callable(unverified),
}))
"""


def test_the_package_loads_its_public_names_on_first_use() -> None:
    run = subprocess.run([sys.executable, "-c", LAZY_PACKAGE], capture_output=True, text=True, timeout=60, check=True)
    seen = json.loads(run.stdout)
    assert seen["first"] == ["pytest_readiness"]
    assert seen["same"] == [True, True, True]
    assert seen["star"] == seen["all"] and "check" in seen["all"] and "ObjectSet" in seen["all"]
    assert seen["dir"] and seen["evidence"] == "Evidence" and seen["unverified"]
    assert seen["missing"] == "module 'pytest_readiness' has no attribute 'no_such_name'"
