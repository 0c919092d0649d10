"""Manual items decided by readiness.toml: attested, missing, expired (UTC edges), malformed, sign-off."""

from __future__ import annotations

import re

import pytest

from pytest_readiness.catalog import load_catalog
from pytest_readiness.sources.manual.attestation import manual_params
from tests.verdicts.conftest import VCHECKS

MANUAL = ("-k", "attested")
ON_CALL = """
    [attest.OBS-ON-CALL]
    by = "Priya Raman"
    date = {date}
    evidence = "https://pagerduty.example/schedules/P7AGENT"
"""
ALL_APPROVED = """
    [signoff.security]
    reviewer = "Amira Haddad"
    date = 2026-11-12
    status = "approved"
    evidence = "https://tracker.example/8790"

    [signoff.architecture]
    reviewer = "Daniel Fischer"
    date = 2026-11-09
    status = "approved"

    [signoff.operations]
    reviewer = "Priya Raman"
    date = 2026-11-17
    status = "approved"

    [signoff.compliance]
    reviewer = "Grace Okafor"
    date = 2026-11-13
    status = "approved"

    [signoff.final]
    reviewer = "Sofia Lindqvist"
    date = 2026-11-20
    status = "approved"
"""


def test_attested_and_current_passes_with_the_attestation_as_evidence(verdict) -> None:
    run = verdict({"readiness.toml": ON_CALL.format(date="2026-11-16")}, *MANUAL)
    assert run.status("OBS-ON-CALL") == "passed"
    evidence = run.result("OBS-ON-CALL")["evidence"][0]
    assert evidence["path"] == "readiness.toml" and evidence["line"] == 1
    assert "Priya Raman on 2026-11-16" in evidence["detail"]
    assert "through 2026-12-15" in evidence["detail"]
    assert "https://pagerduty.example/schedules/P7AGENT" in evidence["detail"]


def test_every_manual_item_runs_once_from_the_attestations_module(verdict) -> None:
    run = verdict({}, *MANUAL)
    manual = {c.id for c in load_catalog().values() if c.verify == "manual"}
    assert set(run.run.statuses) == manual
    assert [r["nodeid"].count("test_attested") for r in run.report["results"]] == [1] * len(manual)


def test_missing_attestation_is_unverified_and_says_what_to_add(verdict) -> None:
    run = verdict({"readiness.toml": ON_CALL.format(date="2026-11-16")}, *MANUAL)
    assert run.status("OPS-ROLLBACK-TESTED") == "unverified"
    assert "needs attestation: add [attest.OPS-ROLLBACK-TESTED]" in run.message("OPS-ROLLBACK-TESTED")


def test_without_readiness_toml_every_manual_item_is_unverified(verdict) -> None:
    run = verdict({}, *MANUAL)
    assert set(run.run.statuses.values()) == {"unverified"}
    assert "there is no readiness.toml in the project" in run.message("OBS-ON-CALL")
    # Unverified fails nothing, but the critical sign-offs and recovery items keep it from READY.
    assert run.ret == 101 and run.report["verdict"]["state"] == "not verified"
    assert "SEC-SIGNOFF-SECURITY" in run.report["verdict"]["gating"]


@pytest.mark.parametrize(
    ("attested_on", "status"),
    [
        ("2026-10-27", "passed"),  # 30 days: 2026-10-27 .. 2026-11-25, today is the last valid day
        ("2026-10-26", "failed"),  # expired on 2026-11-25, i.e. yesterday was the last valid day
        # UTC: 23:30 at UTC-5 on the 26th is 04:30 UTC on the 27th, still valid today
        ("2026-10-26T23:30:00-05:00", "passed"),
        # and 01:00 at UTC+3 on the 27th is 22:00 UTC on the 26th, expired today
        ("2026-10-27T01:00:00+03:00", "failed"),
    ],
)
def test_expiry_edges_in_utc(verdict, attested_on: str, status: str) -> None:
    run = verdict({"readiness.toml": ON_CALL.format(date=attested_on)}, "-k", "OBS-ON-CALL")
    assert run.status("OBS-ON-CALL") == status
    if status == "failed":
        assert "attestation by Priya Raman on 2026-10-26 expired on 2026-11-25 (readiness.toml:1)" in (
            run.message("OBS-ON-CALL"))
        assert "remediation:" in run.message("OBS-ON-CALL")
        assert run.ret == 1


def test_valid_days_in_the_file_overrides_the_catalog_default(verdict) -> None:
    toml = ON_CALL.format(date="2026-06-01") + "    valid_days = 365\n"
    run = verdict({"readiness.toml": toml}, "-k", "OBS-ON-CALL")
    assert run.status("OBS-ON-CALL") == "passed"
    assert "valid 365 days (through 2027-05-31)" in run.result("OBS-ON-CALL")["evidence"][0]["detail"]


def test_a_date_in_the_future_is_an_error(verdict) -> None:
    run = verdict({"readiness.toml": ON_CALL.format(date="2026-11-26")}, "-k", "OBS-ON-CALL")
    assert run.status("OBS-ON-CALL") == "error"
    assert "readiness.toml:1" in run.message("OBS-ON-CALL") and "in the future" in run.message("OBS-ON-CALL")


def test_attested_not_applicable(verdict) -> None:
    toml = """
        [attest.COMP-HIPAA]
        by = "Grace Okafor"
        date = 2026-05-15
        evidence = "docs/data-handling.md"
        applicable = false
        note = "no health information"
    """
    run = verdict({"readiness.toml": toml}, "-k", "COMP-HIPAA")
    assert run.status("COMP-HIPAA") == "not_applicable"
    assert "attested not applicable by Grace Okafor on 2026-05-15" in run.message("COMP-HIPAA")


def test_malformed_toml_errors_manual_items_at_the_line_and_the_rest_runs(verdict) -> None:
    toml = '[attest.OBS-ON-CALL]\nby = "Priya"\ndate = 2026-11-16\nevidence = "https://x.example\n'
    run = verdict({"readiness.toml": toml}, "-k", "attested or vcheck")
    assert run.status("OBS-ON-CALL") == "error"
    assert run.status("OPS-SIGNOFF-FINAL") == "error"
    assert "readiness.toml:4: invalid TOML" in run.message("OBS-ON-CALL")
    assert run.status("ORG-CRITICAL") == "passed"
    assert run.report["problems"][0]["where"] == "readiness.toml:4"
    assert "problems in readiness inputs" in run.output
    assert "INTERNALERROR" not in run.output
    assert run.ret == 1


def test_an_invalid_entry_errors_that_item_only(verdict) -> None:
    toml = ON_CALL.format(date="2026-11-16") + """
        [attest.OPS-ROLLBACK-TESTED]
        by = "Lena Novak"
        date = "last tuesday"
        evidence = "https://ci.example/runs/1"
    """
    run = verdict({"readiness.toml": toml}, *MANUAL)
    assert run.status("OBS-ON-CALL") == "passed"
    assert run.status("OPS-ROLLBACK-TESTED") == "error"
    assert "readiness.toml:8: 'date' must be a date" in run.message("OPS-ROLLBACK-TESTED")


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ('[attest.OBS-ON-CAL]\nby = "x"\ndate = 2026-11-01\nevidence = "y"\n', "OBS-ON-CAL is not a manual check"),
        ('[attest.SEC-RATE-LIMIT]\nby = "x"\ndate = 2026-11-01\nevidence = "y"\n', "is verified static"),
        ('[attest.OBS-ON-CALL]\nby = "x"\ndate = 2026-11-01\nevidence = "y"\nexpires = 2027-01-01\n',
         "unknown key 'expires'"),
        ('[signoff.legal]\nreviewer = "x"\ndate = 2026-11-01\nstatus = "approved"\n', "unknown sign-off"),
        ('[attest.SEC-SIGNOFF-SECURITY]\nby = "x"\ndate = 2026-11-01\nevidence = "y"\n', "[signoff.security]"),
        ('[approvals]\nx = 1\n', "unknown table [approvals]"),
    ],
)
def test_entries_that_name_nothing_valid_are_problems(verdict, entry: str, says: str) -> None:
    run = verdict({"readiness.toml": entry}, "-k", "attested and OBS")
    problems = run.report["problems"]
    assert len(problems) == 1 and says in problems[0]["message"], problems
    assert problems[0]["where"].startswith("readiness.toml:")
    assert run.ret == 1


def test_manual_items_keep_their_category_markers(verdict) -> None:
    run = verdict({}, "-m", "security and manual")
    security_manual = {p.values[0] for p in manual_params("security")}
    assert set(run.run.statuses) == security_manual == {"SEC-SIGNOFF-SECURITY"}


def test_signoff_table_all_approved(verdict) -> None:
    run = verdict({"readiness.toml": ALL_APPROVED}, *MANUAL)
    for check_id in ("SEC-SIGNOFF-SECURITY", "REL-SIGNOFF-ARCHITECTURE", "OPS-SIGNOFF-OPERATIONS",
                     "COMP-SIGNOFF-COMPLIANCE", "OPS-SIGNOFF-FINAL"):
        assert run.status(check_id) == "passed", run.message(check_id)
    rows = {row["label"]: row for row in run.report["signoff"]}
    assert list(rows) == ["Security Review", "Architecture Review", "Operations Review", "Compliance Review",
                          "Final Approval"]
    assert rows["Final Approval"]["reviewer"] == "Sofia Lindqvist"
    assert rows["Final Approval"]["valid_through"] == "2026-12-19"
    assert re.search(r"Final Approval +Sofia Lindqvist +2026-11-20 +\[x\] approved, valid through 2026-12-19 +"
                     r"readiness\.toml:\d+", run.output)


@pytest.mark.parametrize(
    ("change", "security_status", "says"),
    [
        (('status = "approved"', 'status = "pending"'), "unverified", "Security Review is pending (reviewer Amira"),
        (('status = "approved"', 'status = "rejected"'), "failed", "Security Review rejected by Amira Haddad"),
        (("date = 2026-11-12", "date = 2026-08-26"), "failed", "expired on 2026-11-24"),
    ],
)
def test_signoff_states_and_final_approval_needs_every_review(verdict, change: tuple[str, str],
                                                             security_status: str, says: str) -> None:
    run = verdict({"readiness.toml": ALL_APPROVED.replace(*change, 1)}, *MANUAL)
    assert run.status("SEC-SIGNOFF-SECURITY") == security_status
    assert says in run.message("SEC-SIGNOFF-SECURITY")
    assert run.status("OPS-SIGNOFF-FINAL") == "failed"
    assert "not every review is signed off: Security Review" in run.message("OPS-SIGNOFF-FINAL")


def test_missing_signoff_is_unverified(verdict) -> None:
    run = verdict({"readiness.toml": ON_CALL.format(date="2026-11-16")}, *MANUAL)
    assert run.status("OPS-SIGNOFF-FINAL") == "unverified"
    assert "needs sign-off: add [signoff.final]" in run.message("OPS-SIGNOFF-FINAL")
    assert re.search(r"Final Approval +- +- +\[ \] missing +readiness\.toml\n", run.output)


def test_readiness_today_must_be_a_date(verdict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("READINESS_TODAY", "tomorrow")
    run = verdict({}, *VCHECKS)
    assert run.ret == pytest.ExitCode.USAGE_ERROR
    assert "READINESS_TODAY='tomorrow' is not an ISO date" in run.output
