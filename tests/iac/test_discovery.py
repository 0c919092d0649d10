"""Where IaC is looked for: the default directories or --readiness-iac, and only files git would track."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_readiness.api import Unverified
from pytest_readiness.results import Location
from pytest_readiness.sources.azure.iac.declared import load

from .conftest import DATA

Repo = Callable[[str], Path]
REDIS_TF = 'resource "azurerm_redis_cache" "{name}" {{\n  name     = "{name}"\n  sku_name = "Basic"\n}}\n'


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_ignored_files_are_not_read(tmp_path: Path) -> None:
    (tmp_path / "infra" / ".terraform" / "modules").mkdir(parents=True)
    (tmp_path / "infra" / "main.tf").write_text(REDIS_TF.format(name="tracked"))
    (tmp_path / "infra" / ".terraform" / "modules" / "cached.tf").write_text(REDIS_TF.format(name="cached"))
    (tmp_path / "infra" / "generated_override.tf").write_text(REDIS_TF.format(name="generated"))
    (tmp_path / ".gitignore").write_text(".terraform/\n*_override.tf\n")
    _git(tmp_path, "init", "-q")
    assert [r.name for r in load(tmp_path).resources] == ["tracked"]


def test_every_default_directory_is_looked_in(tmp_path: Path) -> None:
    for directory in ("infra", "deploy", "deployment", "terraform", "bicep", "elsewhere"):
        (tmp_path / directory).mkdir()
        (tmp_path / directory / "main.tf").write_text(REDIS_TF.format(name=directory))
    names = sorted(r.name for r in load(tmp_path).resources)
    assert names == ["bicep", "deploy", "deployment", "infra", "terraform"]


def test_given_paths_replace_the_defaults(tmp_path: Path) -> None:
    shutil.copytree(DATA / "arm-handwritten" / "deploy", tmp_path / "platform" / "arm")
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "main.tf").write_text(REDIS_TF.format(name="default-dir"))
    (tmp_path / "one.tf.d").mkdir()
    (tmp_path / "one.tf.d" / "x.tf").write_text(REDIS_TF.format(name="named-dir"))
    declared = load(tmp_path, ("platform/arm/azuredeploy.json,one.tf.d", "missing"))
    names = {r.name for r in declared.resources}
    assert "prod-agent-cache" in names and "named-dir" in names and "default-dir" not in names
    assert [u.location for u in declared.unverified] == [Location("missing")]


def test_no_iac_at_all_is_unverified_with_what_to_set(tmp_path: Path) -> None:
    (tmp_path / "deployment" / "kubernetes").mkdir(parents=True)
    (tmp_path / "deployment" / "kubernetes" / "app.yaml").write_text("kind: Deployment\n")
    with pytest.raises(Unverified, match="--readiness-iac"):
        load(tmp_path)


def test_a_fifo_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "main.tf").write_text(REDIS_TF.format(name="real"))
    import os

    os.mkfifo(tmp_path / "infra" / "pipe.json")
    assert [r.name for r in load(tmp_path).resources] == ["real"]


def test_oversized_and_deeply_nested_hcl_is_refused_quickly(tmp_path: Path) -> None:
    import time

    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "big.tf").write_text("# padding\n" * 40_000)
    (tmp_path / "infra" / "deep.tf").write_text("locals {\n  a = " + "[" * 5000 + "]" * 5000 + "\n}\n")
    (tmp_path / "infra" / "ok.tf").write_text(REDIS_TF.format(name="ok"))
    started = time.monotonic()
    declared = load(tmp_path)
    assert time.monotonic() - started < 60
    problems = {p.location.path: p.message for p in declared.problems}
    assert "byte limit" in problems["infra/big.tf"] and "plan" in problems["infra/big.tf"]
    assert "nested too deeply" in problems["infra/deep.tf"]
    assert [r.name for r in declared.resources] == ["ok"]
