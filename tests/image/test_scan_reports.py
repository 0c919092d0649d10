"""Vulnerability reports: the real Trivy output, derived variants, Grype and SARIF, the ignore files."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from pytest_readiness.api import SourceError
from pytest_readiness.sources.image.model import Image, Layer
from pytest_readiness.sources.image.rules import gate
from pytest_readiness.sources.image.scan import load_ignores, load_report
from tests.image import reports
from tests.image.reports import TRIVY


def test_real_alpine_report() -> None:
    report = load_report(TRIVY / "alpine-39.json.golden")
    assert report.scanner == "Trivy dev" and report.targets == 1
    assert report.created is not None and report.created.date() == date(2021, 8, 25)
    assert report.image_ids == {"sha256:055936d3920576da37aa9bc460d70c5f212028bda1c08c0879aedf03d7a66ea1"}
    critical = [v for v in report.vulnerabilities if v.severity == "CRITICAL"]
    assert {(v.id, v.package, v.installed, v.fixed) for v in critical} == {
        ("CVE-2019-14697", "musl", "1.1.20-r4", "1.1.20-r5"),
        ("CVE-2019-14697", "musl-utils", "1.1.20-r4", "1.1.20-r5")}


@pytest.mark.parametrize(("name", "failing"), [
    ("alpine-39", {"CVE-2019-14697"}), ("debian-buster", {"CVE-2019-18224"}), ("ubuntu-1804", set()),
    ("sl-micro-rancher5.4", set()),
])
def test_real_reports_through_the_gate(name: str, failing: set[str]) -> None:
    report = load_report(TRIVY / f"{name}.json.golden")
    result = gate(report.vulnerabilities, "HIGH", False, [], date(2021, 8, 26))
    assert {v.id for v in result.failing} == failing


def test_medium_threshold_catches_more_and_ignore_unfixed_drops_unfixed() -> None:
    report = load_report(TRIVY / "debian-buster.json.golden")
    assert {v.severity for v in gate(report.vulnerabilities, "LOW", False, [], date.today()).failing} == {
        "LOW", "CRITICAL"}
    result = gate(report.vulnerabilities, "LOW", True, [], date.today())
    assert [v.id for v in result.unfixed_ignored] == ["CVE-2019-18276"]
    assert [v.id for v in result.failing] == ["CVE-2019-18224"]


def test_a_repository_scan_is_not_an_image_report() -> None:
    with pytest.raises(SourceError, match="repository, not of a container image"):
        load_report(TRIVY / "secrets.json.golden")


def test_identity_by_image_id_repo_digest_and_diff_ids(tmp_path: Path) -> None:
    image = Image("msft-agent:1", "test", "sha256:" + "a" * 64, {}, layers=(Layer(1, "sha256:d1", "sha256:d1"),),
                  repo_digests=("acr.io/msft-agent@sha256:" + "b" * 64,))
    same = load_report(reports.write(tmp_path / "a.json", reports.for_image(image.id, [])))
    assert same.identifies(image)[0] is True
    by_repo = reports.for_image("sha256:" + "c" * 64, [], repo_digests=["acr.io/msft-agent@sha256:" + "b" * 64])
    assert load_report(reports.write(tmp_path / "b.json", by_repo)).identifies(image)[0] is True
    other = load_report(reports.write(tmp_path / "c.json", reports.for_image("sha256:" + "c" * 64, [])))
    verdict, why = other.identifies(image)
    assert verdict is False and "sha256:" + "c" * 64 in why
    by_layers = reports.for_image("", [])
    by_layers["Metadata"].pop("ImageID")
    by_layers["Metadata"]["DiffIDs"] = ["sha256:d1"]
    assert load_report(reports.write(tmp_path / "d.json", by_layers)).identifies(image)[0] is True


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "not valid JSON"), ('{"SchemaVersion": 1, "Results": []}', "only 2 is read"),
    ('{"something": "else"}', "neither a Trivy JSON report"), ('{"SchemaVersion": 2, "Results": 5}', "not a list"),
])
def test_malformed_reports_name_the_file(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "report.json"
    path.write_text(content)
    with pytest.raises(SourceError, match=message) as raised:
        load_report(path)
    assert raised.value.where == str(path)


def test_grype_report(tmp_path: Path) -> None:
    grype = {"matches": [
        {"vulnerability": {"id": "CVE-2026-1", "severity": "High", "fix": {"versions": ["2.0"], "state": "fixed"}},
         "artifact": {"name": "openssl", "version": "1.0"}},
        {"vulnerability": {"id": "GHSA-x", "severity": "Negligible", "fix": {"versions": []}},
         "artifact": {"name": "zlib", "version": "1"}}],
        "source": {"type": "image", "target": {"userInput": "msft-agent:1", "imageID": "sha256:" + "e" * 64,
                                                "manifestDigest": "sha256:" + "f" * 64}},
        "descriptor": {"name": "grype", "version": "0.79.0", "timestamp": "2026-11-20T10:00:00.5+01:00"}}
    report = load_report(reports.write(tmp_path / "grype.json", grype))
    assert report.scanner == "Grype 0.79.0" and report.repo_digests == {"sha256:" + "f" * 64}
    assert [(v.id, v.severity, v.fixed) for v in report.vulnerabilities] == [
        ("CVE-2026-1", "HIGH", "2.0"), ("GHSA-x", "UNKNOWN", "")]


def test_sarif_report_from_trivy(tmp_path: Path) -> None:
    sarif = {"version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "Trivy", "version": "0.50.0", "rules": [
            {"id": "CVE-2026-7", "properties": {"tags": ["vulnerability", "security", "CRITICAL"]}}]}},
        "results": [{"ruleId": "CVE-2026-7", "level": "error", "message": {
            "text": "Package: libssl3\nInstalled Version: 3.0.1\nVulnerability CVE-2026-7\nSeverity: CRITICAL\n"
                    "Fixed Version: 3.0.9\nLink: x"}}],
        "properties": {"imageName": "msft-agent:1", "repoDigests": ["msft-agent@sha256:" + "1" * 64]}}]}
    report = load_report(reports.write(tmp_path / "r.sarif", sarif))
    assert [(v.id, v.package, v.installed, v.fixed, v.severity) for v in report.vulnerabilities] == [
        ("CVE-2026-7", "libssl3", "3.0.1", "3.0.9", "CRITICAL")]
    assert report.repo_digests == {"sha256:" + "1" * 64} and report.created is None


def test_ignore_files_toml_and_trivyignore(tmp_path: Path) -> None:
    toml = tmp_path / "accepted.toml"
    toml.write_text('[[ignore]]\nid = "CVE-2019-14697"\nreason = "musl not used"\nexpires = 2026-12-31\n')
    entries = load_ignores(toml)
    assert [(e.id, e.expires) for e in entries] == [("CVE-2019-14697", date(2026, 12, 31))]
    report = load_report(TRIVY / "alpine-39.json.golden")
    assert not gate(report.vulnerabilities, "HIGH", False, entries, date(2026, 12, 31)).failing
    expired = gate(report.vulnerabilities, "HIGH", False, entries, date(2027, 1, 1))
    assert {v.id for v in expired.failing} == {"CVE-2019-14697"} and expired.expired
    trivyignore = tmp_path / ".trivyignore"
    trivyignore.write_text("# accepted\nCVE-2019-14697 exp:2026-06-01\nCVE-2019-1549\n")
    assert [(e.id, e.expires) for e in load_ignores(trivyignore)] == [
        ("CVE-2019-14697", date(2026, 6, 1)), ("CVE-2019-1549", None)]
    (tmp_path / "bad.toml").write_text('[[ignore]]\nid = "CVE-1"\n')
    with pytest.raises(SourceError, match="needs an expires date"):
        load_ignores(tmp_path / "bad.toml")


def test_report_derived_per_severity_keeps_the_schema(tmp_path: Path) -> None:
    for severity in ("CRITICAL", "HIGH", "MEDIUM", "LOW"):
        data = reports.for_image("sha256:" + "a" * 64, [severity])
        report = load_report(reports.write(tmp_path / f"{severity}.json", data))
        assert [v.severity for v in report.vulnerabilities] == [severity]
        assert json.loads((tmp_path / f"{severity}.json").read_text())["SchemaVersion"] == 2
