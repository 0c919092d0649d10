"""Runs as a user makes them: a fresh `python -m pytest` process in a copy of an example repo."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLES

TODAY = "2026-11-25"  # the examples' attestations were written on this date (as tox -e demo pins it)


@dataclass
class UserRun:
    returncode: int
    stdout: str
    stderr: str
    cwd: Path

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def json(self, name: str = "report.json") -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.cwd / name).read_text())
        return data

    def junit(self, name: str = "junit.xml") -> ET.Element:
        return ET.parse(self.cwd / name).getroot()


def run_pytest(cwd: Path, *args: str, timeout: float = 300) -> UserRun:
    env = {**os.environ, "READINESS_TODAY": TODAY, "PY_COLORS": "0"}
    env.pop("PYTEST_ADDOPTS", None)
    env.pop("PYTEST_XDIST_WORKER", None)
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)
    return UserRun(done.returncode, done.stdout, done.stderr, cwd)


@pytest.fixture
def example(tmp_path: Path) -> Callable[..., Path]:
    """A private copy of conftest_examples/<name>, so a run writes nothing into the repository."""

    def copy(name: str, as_name: str = "") -> Path:
        target = tmp_path / (as_name or name)
        shutil.copytree(EXAMPLES / name, target, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
        return target

    return copy
