"""The example repos' readiness.toml files: agent-good attests everything, agent-gaps has known gaps."""

from __future__ import annotations

from tests.conftest import EXAMPLES


def test_agent_good_attests_every_manual_item_and_signs_off(verdict) -> None:
    run = verdict({}, "--readiness-project", str(EXAMPLES / "agent-good"), "-m", "manual", base={})
    assert run.run.statuses, run.output
    assert set(run.run.statuses.values()) == {"passed", "not_applicable"}, run.output[-3000:]
    assert run.status("COMP-HIPAA") == "not_applicable"
    assert {row["state"] for row in run.report["signoff"]} == {"approved"}
    assert run.report["problems"] == [] and run.ret == 0


def test_agent_gaps_has_an_expired_attestation_and_a_waived_gap(verdict) -> None:
    run = verdict({}, "--readiness-project", str(EXAMPLES / "agent-gaps"), "-m", "manual or reliability", base={})
    assert run.status("OBS-ON-CALL") == "failed"
    assert "expired on 2026-10-14 (readiness.toml:11)" in run.message("OBS-ON-CALL")
    assert run.status("REL-REPLICAS[Deployment/msft-agent]") == "waived"
    [waiver] = run.report["waivers"]
    assert waiver["state"] == "applied" and waiver["approver"] == "Daniel Fischer (Principal architect)"
    assert run.status("SEC-SIGNOFF-SECURITY") == "unverified"  # pending
    assert run.ret == 1
