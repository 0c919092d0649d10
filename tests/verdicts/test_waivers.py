"""Waivers from readiness.toml and from readiness.io/waive-<check> annotations."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tests.verdicts.conftest import VCHECKS, deployment, manifests, switches

WORKER_REPLICAS = """
    [[waiver]]
    check = "ORG-REPLICAS"
    object = "{object}"
    justification = "single worker until the queue is partitioned (PLAT-412)"
    approver = "Daniel Fischer"
    expires = {expires}
"""
ONE_WORKER = manifests(deployment("api", 3), deployment("worker", 1))


def waiver(object: str = "Deployment/worker", expires: str = "2026-12-31") -> dict[str, str]:
    return {"readiness.toml": WORKER_REPLICAS.format(object=object, expires=expires)}


def test_a_current_waiver_turns_the_failure_into_waived(verdict) -> None:
    run = verdict({**ONE_WORKER, **waiver()}, *VCHECKS)
    assert run.status("ORG-REPLICAS[Deployment/worker]") == "waived"
    assert run.status("ORG-REPLICAS[Deployment/api]") == "passed"
    assert run.ret == 0
    result = run.result("ORG-REPLICAS[Deployment/worker]")
    assert result["waiver"] == {"source": "readiness.toml:1", "approver": "Daniel Fischer", "expires": "2026-12-31",
                                "justification": "single worker until the queue is partitioned (PLAT-412)"}
    [record] = run.waivers("applied")
    assert record["matched"] == ["ORG-REPLICAS[Deployment/worker]"]
    assert "1 waived" in run.output
    assert "APPLIED       ORG-REPLICAS[Deployment/worker]: approved by Daniel Fischer, expires 2026-12-31" in run.output


def test_junit_shows_a_waiver_as_a_skip_with_its_justification(verdict) -> None:
    run = verdict({**ONE_WORKER, **waiver()}, *VCHECKS, "-W", "error::pytest.PytestWarning", fresh_process=True)
    cases = {c.get("name"): c for c in ET.fromstring(run.run.junit).iter("testcase")}
    case = cases["test_vcheck_replicas[Deployment/worker]"]
    skipped = case.find("skipped")
    assert skipped is not None and skipped.get("type") == "pytest.xfail"
    assert skipped.get("message", "").startswith("waived: single worker until the queue is partitioned")
    assert case.find("failure") is None
    assert {p.get("name"): p.get("value") for p in case.iter("property")}["status"] == "waived"
    assert "PytestWarning" not in run.output


@pytest.mark.parametrize(("expires", "status"), [("2026-11-25", "waived"), ("2026-11-24", "failed")])
def test_expiry_is_inclusive_in_utc(verdict, expires: str, status: str) -> None:
    run = verdict({**ONE_WORKER, **waiver(expires=expires)}, *VCHECKS)
    assert run.status("ORG-REPLICAS[Deployment/worker]") == status
    if status == "failed":
        message = run.message("ORG-REPLICAS[Deployment/worker]")
        assert ("waiver ORG-REPLICAS[Deployment/worker] (readiness.toml:1, approved by Daniel Fischer, "
                "expires 2026-11-24) expired after 2026-11-24") in message
        assert [w["state"] for w in run.report["waivers"]] == ["expired"]
        assert run.ret == 1


@pytest.mark.parametrize(("pattern", "waived"), [("Deployment/work*", True), ("", True), ("Deployment/api", False)])
def test_the_object_is_a_glob_over_targets(verdict, pattern: str, waived: bool) -> None:
    toml = WORKER_REPLICAS.format(object=pattern, expires="2026-12-31")
    if not pattern:
        toml = toml.replace('object = ""\n', "")
    run = verdict({**ONE_WORKER, "readiness.toml": toml}, *VCHECKS)
    assert run.status("ORG-REPLICAS[Deployment/worker]") == ("waived" if waived else "failed")
    if not waived:
        assert [w["state"] for w in run.report["waivers"]] == ["stale"]


def test_a_workload_waiver_covers_its_containers(verdict) -> None:
    files = manifests(deployment("api", 3), deployment("worker", 2, image="acr.example/app:latest"))
    toml = WORKER_REPLICAS.replace("ORG-REPLICAS", "ORG-IMAGE-TAG").format(object="Deployment/worker",
                                                                           expires="2026-12-31")
    run = verdict({**files, "readiness.toml": toml}, *VCHECKS)
    assert run.status("ORG-IMAGE-TAG[Deployment/worker/app]") == "waived"


def test_a_waiver_that_matches_nothing_is_stale_and_reported(verdict) -> None:
    run = verdict(waiver(), *VCHECKS)  # the worker runs 2 replicas: nothing to waive
    assert run.status("ORG-REPLICAS[Deployment/worker]") == "passed"
    [record] = run.report["waivers"]
    assert record["state"] == "stale" and record["matched"] == []
    assert "STALE         ORG-REPLICAS[Deployment/worker]" in run.output
    assert run.ret == 0  # stale is a cleanup hint, not a failure
    assert 'name="readiness_stale_waiver"' in run.run.junit


def test_a_waiver_for_a_check_not_in_this_run_is_not_evaluated(verdict) -> None:
    run = verdict({**ONE_WORKER, **waiver()}, "-k", "vcheck_critical")
    assert [w["state"] for w in run.report["waivers"]] == ["not_evaluated"]


def test_a_waiver_for_an_unknown_check_id_is_an_error(verdict) -> None:
    toml = WORKER_REPLICAS.replace("ORG-REPLICAS", "ORG-REPLICA").format(object="Deployment/worker",
                                                                         expires="2026-12-31")
    run = verdict({"readiness.toml": toml}, *VCHECKS)
    assert run.report["problems"] == [{"where": "readiness.toml:1", "message": "waiver for unknown check id "
                                                                               "'ORG-REPLICA'"}]
    assert [w["state"] for w in run.report["waivers"]] == ["invalid"]
    assert "readiness.toml:1: waiver for unknown check id 'ORG-REPLICA'" in run.output
    assert run.ret == 1


@pytest.mark.parametrize(("field", "says"), [("justification", "'justification' must be a non-empty string"),
                                             ("approver", "'approver' must be a non-empty string"),
                                             ("expires", "'expires' must be a date")])
def test_a_waiver_needs_justification_approver_and_expiry(verdict, field: str, says: str) -> None:
    toml = "\n".join(line for line in WORKER_REPLICAS.format(object="Deployment/worker", expires="2026-12-31")
                     .splitlines() if not line.strip().startswith(field))
    run = verdict({**ONE_WORKER, "readiness.toml": toml}, *VCHECKS)
    assert run.status("ORG-REPLICAS[Deployment/worker]") == "failed"  # an invalid waiver waives nothing
    [problem] = run.report["problems"]
    assert problem["where"].startswith("readiness.toml:") and says in problem["message"]
    assert run.ret == 1


ANNOTATED = manifests(deployment("api", 3), deployment(
    "worker", 1, image="acr.example/app:latest",
    annotations={"readiness.io/waive-org-replicas": "batch worker, one replica by design",
                 "readiness.io/waive-org-image-tag": "tracks the nightly base image"}))


def test_an_annotation_waives_its_workload_and_containers(verdict) -> None:
    run = verdict(ANNOTATED, *VCHECKS)
    assert run.status("ORG-REPLICAS[Deployment/worker]") == "waived"
    assert run.status("ORG-IMAGE-TAG[Deployment/worker/app]") == "waived"
    waived = run.result("ORG-REPLICAS[Deployment/worker]")["waiver"]
    assert waived["justification"] == "batch worker, one replica by design"
    assert waived["source"].startswith("annotation readiness.io/waive-org-replicas on Deployment/worker "
                                       "(deployment/kubernetes/app.yaml:")
    assert waived["approver"] is None and waived["expires"] is None
    assert sorted(w["state"] for w in run.report["waivers"]) == ["applied", "applied"]
    assert run.ret == 0


def test_annotations_are_ignored_when_asked(verdict) -> None:
    run = verdict(ANNOTATED, *VCHECKS, "--readiness-ignore-annotations")
    assert run.status("ORG-REPLICAS[Deployment/worker]") == "failed"
    assert run.status("ORG-IMAGE-TAG[Deployment/worker/app]") == "failed"
    assert sorted(w["state"] for w in run.report["waivers"]) == ["ignored", "ignored"]
    assert run.ret == 1


def test_an_annotation_on_a_passing_workload_is_stale(verdict) -> None:
    files = manifests(deployment("api", 3, annotations={"readiness.io/waive-org-replicas": "legacy"}))
    run = verdict(files, *VCHECKS)
    assert [w["state"] for w in run.report["waivers"]] == ["stale"]


@pytest.mark.parametrize(("annotation", "says"), [
    ("readiness.io/waive-org-replica", "unknown check id 'ORG-REPLICA'"),
    ("readiness.io/waive-org-replicas", "needs a reason"),
])
def test_a_bad_annotation_is_an_error(verdict, annotation: str, says: str) -> None:
    reason = "" if says == "needs a reason" else "typo"
    files = manifests(deployment("api", 3), deployment("worker", 1, annotations={annotation: reason}))
    run = verdict(files, *VCHECKS)
    assert run.status("ORG-REPLICAS[Deployment/worker]") == "failed"
    [problem] = run.report["problems"]
    worker_line = len(deployment("api", 3).splitlines()) + 2  # after the api document and its "---"
    assert says in problem["message"] and problem["where"] == f"deployment/kubernetes/app.yaml:{worker_line}"
    assert run.ret == 1


def test_an_expired_waiver_is_not_replaced_by_an_annotation(verdict) -> None:
    run = verdict({**ANNOTATED, **waiver(expires="2026-11-01")}, *VCHECKS)
    assert run.status("ORG-REPLICAS[Deployment/worker]") == "failed"
    assert "expired after 2026-11-01" in run.message("ORG-REPLICAS[Deployment/worker]")


def test_an_error_can_be_waived_too(verdict) -> None:
    toml = WORKER_REPLICAS.replace("ORG-REPLICAS", "ORG-HIGH").replace('object = "{object}"\n', "").format(
        expires="2026-12-31")
    run = verdict({**switches(ORG_HIGH="error"), "readiness.toml": toml}, *VCHECKS)
    assert run.status("ORG-HIGH") == "waived"
    assert run.ret == 0
