"""Baseline and waiver keys are check id + target, so moving checks between modules breaks no user's file.

`tests/data/baseline-0.1-agent-gaps.json` is the JSON report of release 0.1 (before the source-package
layout) on conftest_examples/agent-gaps, written with READINESS_TODAY=2026-11-25.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES

OLD_BASELINE = Path(__file__).resolve().parents[1] / "data" / "baseline-0.1-agent-gaps.json"


def test_a_baseline_written_before_the_move_still_matches_every_known_failure(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(EXAMPLES / "agent-gaps", pytester.path, dirs_exist_ok=True)
    monkeypatch.setenv("READINESS_TODAY", "2026-11-25")
    report = pytester.path / "now.json"
    pytester.runpytest_subprocess("--readiness", "-p", "no:cacheprovider", f"--readiness-baseline={OLD_BASELINE}",
                                  f"--readiness-json={report}")
    old = {r["key"]: r["status"] for r in json.loads(OLD_BASELINE.read_text())["results"]}
    now = json.loads(report.read_text())["results"]
    still_failing = [r for r in now if r["status"] == "failed" and old.get(r["key"]) == "failed"]
    assert len(still_failing) >= 30, [r["key"] for r in now if r["status"] == "failed"]
    assert {r["key"]: r["baseline"] for r in still_failing} == {r["key"]: "known" for r in still_failing}
    waived = [r for r in now if r["status"] == "waived"]
    assert [r["key"] for r in waived] == [k for k, s in old.items() if s == "waived"]
