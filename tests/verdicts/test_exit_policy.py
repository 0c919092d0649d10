"""Exit policy (--readiness-fail-on, --readiness-strict), the score, and the baseline diff."""

from __future__ import annotations

import json

import pytest

from tests.verdicts.conftest import VCHECKS, switches


@pytest.mark.parametrize(("fail_on", "exit_code"), [("critical", 0), ("high", 0), ("medium", 1), ("low", 1)])
def test_fail_on_gates_by_priority_and_failures_still_show(verdict, fail_on: str, exit_code: int) -> None:
    run = verdict(switches(ORG_MEDIUM="fail"), *VCHECKS, f"--readiness-fail-on={fail_on}")
    assert run.ret == exit_code, run.output[-2000:]
    assert run.status("ORG-MEDIUM") == "failed"  # in JUnit
    assert run.result("ORG-MEDIUM")["status"] == "failed"  # in JSON
    assert run.report["verdict"]["ready"] is (exit_code == 0)
    assert "medium   ORG-MEDIUM" in run.output
    if exit_code == 0:
        assert run.report["verdict"]["not_gating"] == ["ORG-MEDIUM"]
        assert "ORG-MEDIUM [not gating]" in run.output
        assert "1 failures below the policy do not fail the run: ORG-MEDIUM" in run.output


def test_fail_on_from_the_ini_file(verdict, pytester: pytest.Pytester) -> None:
    run = verdict({**switches(ORG_LOW="fail"), "pytest.ini": "[pytest]\nreadiness_fail_on = high\n"}, *VCHECKS)
    assert run.ret == 0 and run.report["policy"]["fail_on"] == "high"
    assert run.status("ORG-LOW") == "failed"  # the low check did fail: the ini policy, not a pass, kept exit 0
    assert run.result("ORG-LOW")["status"] == "failed"
    assert run.report["verdict"]["not_gating"] == ["ORG-LOW"]
    assert "ORG-LOW [not gating]" in run.output
    (pytester.path / "pytest.ini").unlink()
    without_ini = verdict(switches(ORG_LOW="fail"), *VCHECKS)
    assert without_ini.ret == 1 and without_ini.report["policy"]["fail_on"] == "low"


@pytest.mark.parametrize("level", ["severe", "CRITICAL!", ""])
def test_fail_on_rejects_unknown_levels(verdict, level: str) -> None:
    run = verdict({}, *VCHECKS, f"--readiness-fail-on={level}")
    assert run.ret == pytest.ExitCode.USAGE_ERROR
    assert "--readiness-fail-on: expected one of critical, high, medium, low" in run.output, run.output[-2000:]
    assert run.run.statuses == {}, "checks ran despite the usage error"


def test_an_error_gates_like_a_failure(verdict) -> None:
    run = verdict(switches(ORG_HIGH="error"), *VCHECKS, "--readiness-fail-on=high")
    assert run.status("ORG-HIGH") == "error"
    assert run.ret == 1


@pytest.mark.parametrize(("unverified", "options", "exit_code"), [
    ("ORG_CRITICAL", (), 101),
    ("ORG_CRITICAL", ("--readiness-strict",), 1),
    ("ORG_CRITICAL", ("--readiness-allow-unverified",), 0),
    ("ORG_CRITICAL", ("--readiness-strict", "--readiness-allow-unverified"), 1),  # strict wins
    ("ORG_HIGH", ("--readiness-strict",), 0),
    ("ORG_HIGH", (), 0),
])
def test_unverified_critical_checks_are_not_verified_and_strict_makes_them_not_ready(
        verdict, unverified: str, options: tuple[str, ...], exit_code: int) -> None:
    run = verdict(switches(**{unverified: "unverified"}), *VCHECKS, *options)
    assert run.ret == exit_code
    assert run.report["verdict"]["exit_status"] == exit_code
    assert run.report["verdict"]["state"] == {0: "ready", 1: "not ready", 101: "not verified"}[exit_code]
    if exit_code == 1:
        assert run.report["verdict"]["reasons"] == ["strict: 1 critical checks unverified"]
    if exit_code == 101:
        assert run.report["verdict"]["reasons"] == [
            "1 critical checks unverified (accept with --readiness-allow-unverified)"]
    if exit_code:
        assert run.report["verdict"]["gating"] == ["ORG-CRITICAL"]


def test_a_run_that_skipped_everything_cannot_pass_a_strict_gate(verdict) -> None:
    run = verdict({}, "-k", "attested and (SIGNOFF or RECOVERY)", "--readiness-strict")
    assert set(run.run.statuses.values()) == {"unverified"}
    assert run.ret == 1


def test_a_failing_test_that_is_no_check_still_fails_the_run(verdict) -> None:
    files = {"pytest.ini": "[pytest]\nreadiness_paths = extra\n",
             "extra/test_extra.py": "def test_vcheck_plain():\n    assert False\n",
             **switches(ORG_LOW="fail")}
    run = verdict(files, *VCHECKS, "--readiness-fail-on=critical")
    assert run.report["verdict"]["ready"] is True
    assert run.ret == 1


def test_scores_per_category_follow_the_published_formula(verdict) -> None:
    # security: ORG-CRITICAL (4) failed, ORG-IMAGE-TAG (3) passed -> 3/7; operations: ORG-MEDIUM (2) n/a,
    # ORG-LOW (1) passed -> 1/1; observability: ORG-HIGH unverified -> 0/3; reliability: all passed.
    run = verdict(switches(ORG_CRITICAL="fail", ORG_MEDIUM="n/a", ORG_HIGH="unverified"), *VCHECKS)
    scores = {c["name"]: c["score"] for c in run.report["categories"]}
    assert scores == {"security": 42.9, "reliability": 100.0, "observability": 0.0, "performance": None,
                      "operations": 100.0, "compliance": None}
    assert "Security       FAIL           43%" in run.output


def test_baseline_marks_new_known_and_fixed(verdict, pytester: pytest.Pytester) -> None:
    first = verdict(switches(ORG_CRITICAL="fail", ORG_HIGH="fail"), *VCHECKS)
    (pytester.path / "previous.json").write_text(json.dumps(first.report))
    run = verdict(switches(ORG_HIGH="fail", ORG_LOW="fail"), *VCHECKS, "--readiness-baseline", "previous.json")
    assert run.report["baseline"] == {"path": str(pytester.path / "previous.json"), "new": ["ORG-LOW"],
                                      "known": ["ORG-HIGH"], "fixed": ["ORG-CRITICAL"]}
    assert run.result("ORG-LOW")["baseline"] == "new"
    assert run.result("ORG-CRITICAL")["baseline"] == "fixed"
    assert 'name="baseline" value="known"' in run.run.junit
    assert "1 new, 1 known, 1 fixed" in run.output
    assert "ORG-LOW [new]" in run.output
    assert run.ret == 1


@pytest.mark.parametrize(("now_failing", "exit_code"), [("ORG_HIGH", 0), ("ORG_LOW", 1)])
def test_fail_on_new_gates_only_on_new_failures(verdict, pytester: pytest.Pytester, now_failing: str,
                                                exit_code: int) -> None:
    first = verdict(switches(ORG_HIGH="fail"), *VCHECKS)
    (pytester.path / "previous.json").write_text(json.dumps(first.report))
    run = verdict(switches(**{now_failing: "fail"}), *VCHECKS, "--readiness-baseline", "previous.json",
                  "--readiness-fail-on-new")
    assert run.ret == exit_code
    failing = now_failing.replace("_", "-")
    assert run.status(failing) == "failed"
    assert run.result(failing)["baseline"] == ("known" if exit_code == 0 else "new")
    assert run.report["baseline"]["new"] == ([] if exit_code == 0 else [failing])
    assert run.report["baseline"]["known"] == (["ORG-HIGH"] if exit_code == 0 else [])
    assert run.report["verdict"]["ready"] is (exit_code == 0)


def test_fail_on_new_needs_a_baseline(verdict) -> None:
    run = verdict({}, *VCHECKS, "--readiness-fail-on-new")
    assert run.ret == pytest.ExitCode.USAGE_ERROR
    assert "--readiness-fail-on-new needs --readiness-baseline" in run.output


@pytest.mark.parametrize(("content", "says"), [(None, "cannot read"), ("{", "not JSON"),
                                               ('{"results": []}', "is not a pytest-readiness JSON report")])
def test_a_bad_baseline_is_a_usage_error(verdict, pytester: pytest.Pytester, content: str | None, says: str) -> None:
    if content is not None:
        (pytester.path / "previous.json").write_text(content)
    run = verdict({}, *VCHECKS, "--readiness-baseline", "previous.json")
    assert run.ret == pytest.ExitCode.USAGE_ERROR
    assert says in run.output
