"""A static run (`pytest --readiness` on a repo, no cluster, service, Azure or image target) loads no
client library: the Kubernetes client alone costs about 0.4 s CPU and 18 MiB per run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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
