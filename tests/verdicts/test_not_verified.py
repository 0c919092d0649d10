"""The third verdict: NOT VERIFIED (exit 101) while a critical check in scope is unverified, with the
biggest causes; --readiness-allow-unverified (or its ini key) accepts it; failures still win."""

from __future__ import annotations

import re

import pytest

from tests.verdicts.conftest import VCHECKS, deployment, manifests, switches

ESC = "\x1b["


def test_a_failure_and_an_unverified_critical_check_are_not_ready(verdict) -> None:
    run = verdict(switches(ORG_CRITICAL="unverified", ORG_LOW="fail"), *VCHECKS)
    assert run.ret == 1
    assert run.report["verdict"]["state"] == "not ready"
    assert run.report["verdict"]["reasons"] == [
        "1 failed or errored checks at or above low",
        "1 critical checks unverified (accept with --readiness-allow-unverified)",
    ]


def test_not_verified_names_the_count_and_the_cause(verdict) -> None:
    run = verdict(switches(ORG_CRITICAL="unverified", ORG_HIGH="unverified"), *VCHECKS)
    assert run.ret == 101
    assert re.search(r"^NOT VERIFIED for \d+ selected checks; \d+ not run \(fail-on=low, .*\): "
                     r"1 critical checks unverified \(accept with --readiness-allow-unverified\)$", run.output, re.M)
    causes = run.report["verdict"]["unverified_causes"]
    assert causes == [{"count": 1, "text": "ORG-CRITICAL has no input: add it to switches.toml"},
                      {"count": 1, "text": "ORG-HIGH has no input: add it to switches.toml"}]
    assert "  1 check: ORG-CRITICAL has no input: add it to switches.toml" in run.output
    assert 'name="readiness_verdict" value="not verified"' in run.run.junit
    assert 'name="readiness_exit_status" value="101"' in run.run.junit


@pytest.mark.parametrize("accept", [("--readiness-allow-unverified",), ()])
def test_allow_unverified_accepts_it_by_flag_or_ini(verdict, accept: tuple[str, ...]) -> None:
    files = switches(ORG_CRITICAL="unverified")
    if not accept:
        files["pytest.ini"] = "[pytest]\nreadiness_allow_unverified = true\n"
    run = verdict(files, *VCHECKS, *accept)
    assert run.ret == 0, run.output[-2000:]
    assert run.report["verdict"]["state"] == "ready" and run.report["policy"]["allow_unverified"] is True
    assert re.search(r"^READY for \d+ selected checks; \d+ not run \(fail-on=low, allow-unverified", run.output, re.M)
    assert "1 checks unverified (input absent or needs attestation); the biggest causes:" in run.output


def test_the_biggest_cause_groups_checks_that_need_the_same_input(verdict) -> None:
    """On the shipped checks: a repo with manifests and no agent config."""
    run = verdict({}, "-m", "static", base=manifests(deployment("api", 3)))
    [top, *_] = run.report["verdict"]["unverified_causes"]
    needing_config = [r for r in run.report["results"] if r["status"] == "unverified"
                      and r["message"].startswith("no agent config at config/agent.toml")]
    assert top["count"] == len(needing_config) > 5
    assert "--readiness-config" in top["text"]
    assert f"  {top['count']} checks: no agent config at config/agent.toml" in run.output


def test_only_critical_checks_hold_back_ready(verdict) -> None:
    run = verdict(switches(ORG_HIGH="unverified", ORG_MEDIUM="unverified", ORG_LOW="unverified"), *VCHECKS)
    assert run.ret == 0 and run.report["verdict"]["state"] == "ready"
    assert run.report["totals"]["unverified"] == 3


@pytest.mark.parametrize(("outcome", "colour", "word"), [
    ({}, "32", "READY"),
    ({"ORG_LOW": "fail"}, "31", "NOT READY"),
    ({"ORG_CRITICAL": "unverified"}, "33", "NOT VERIFIED"),
])
def test_the_verdict_honours_color(verdict, outcome: dict[str, str], colour: str, word: str) -> None:
    run = verdict(switches(**outcome), *VCHECKS, "--color=yes")
    line = next(line for line in run.output.splitlines() if f"{word} for " in line)
    assert line.startswith(f"{ESC}{colour}m"), repr(line)
    plain = verdict(switches(**outcome), *VCHECKS, "--color=no")
    assert ESC not in plain.output.split("readiness verdict")[1]
