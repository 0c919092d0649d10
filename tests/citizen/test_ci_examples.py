"""docs/ci/: the workflows parse, install the plugin the way README says, publish every report, and
their readiness command runs as written on the example repositories."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.citizen.conftest import run_pytest
from tests.conftest import REPO_ROOT

CI = REPO_ROOT / "docs" / "ci"


def steps(name: str) -> list[dict[str, Any]]:
    workflow = yaml.safe_load((CI / name).read_text())
    found: list[dict[str, Any]] = workflow["jobs"]["readiness"]["steps"] if "jobs" in workflow else workflow["steps"]
    return found


def script(step: dict[str, Any]) -> str:
    return str(step.get("run") or step.get("script") or "")


def readiness_command(name: str) -> list[str]:
    [line] = [line for step in steps(name) for line in script(step).splitlines() if "pytest --readiness" in line]
    words = shlex.split(line)
    return words[words.index("pytest") + 1:]


@pytest.mark.parametrize("name", ["github-actions.yml", "azure-pipelines.yml"])
def test_workflow_installs_gates_and_publishes_every_report(name: str) -> None:
    text = (CI / name).read_text()
    every = "\n".join(script(s) + json.dumps(s.get("with") or s.get("inputs") or {}) + str(s.get("uses", ""))
                      + str(s.get("task", "")) for s in steps(name))
    assert "git+https://" in every and "pytest-xdist" in every
    assert "pip install dist/pytest_readiness-" in text  # the wheel, as README says
    command = readiness_command(name)
    assert "--readiness-fail-on=high" in command and "-n" in command
    for report in ("readiness.xml", "readiness.html", "readiness.sarif"):
        assert any(report in arg for arg in command), report
    assert "101)" in every and "readiness.sarif" in every
    if name == "github-actions.yml":
        assert "github/codeql-action/upload-sarif" in every and "actions/upload-artifact" in every
    else:
        assert "PublishTestResults@2" in every and "CodeAnalysisLogs" in every


@pytest.mark.slow
@pytest.mark.parametrize(("name", "status"), [("agent-gaps", 1), ("agent-good", 101)])
def test_the_workflow_command_runs_on_the_examples(example: Callable[..., Path], name: str, status: int) -> None:
    project = example(name)
    run = run_pytest(project, *readiness_command("github-actions.yml"))
    assert run.returncode == status, run.output[-3000:]
    for report in ("readiness.xml", "readiness.html", "readiness.json", "readiness.sarif"):
        assert (project / report).is_file(), report
    assert json.loads((project / "readiness.json").read_text())["policy"]["fail_on"] == "high"
    assert readiness_command("azure-pipelines.yml") == readiness_command("github-actions.yml")
