"""The docker SDK path against a real Docker-compatible engine: `podman system service` on a unix socket."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_readiness.api import SourceError
from pytest_readiness.sources.image.archive import Limits, read_archive
from pytest_readiness.sources.image.engine import ImageAbsent, read_engine
from tests.image import reports
from tests.image.conftest import Built, Podman
from tests.image.test_image_checks import AGENT, deployment

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def engine(podman: Podman, good_image: Built, leaky_image: Built) -> Podman:
    podman.load(good_image.docker_archive)
    podman.load(leaky_image.docker_archive)
    return podman


def test_the_engine_reads_the_image_the_archive_holds(engine: Podman, good_image: Built,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", engine.host)
    image = read_engine(good_image.name, Limits())
    archived = read_archive(good_image.docker_archive)
    assert image.id == archived.id
    assert "Podman" in image.source and engine.host.replace("unix://", "") in image.source
    assert image.user == "10001" and image.exposed_ports == {(8080, "tcp")}
    assert [layer.diff_id for layer in image.layers] == [layer.diff_id for layer in archived.layers]
    assert any("USER 10001" in h.created_by for h in image.history)
    assert image.repo_digests  # podman records the manifest digest it stored
    # Podman's compatible API drops HEALTHCHECK, which the archive has: the model says so instead of guessing
    assert archived.healthcheck == ["CMD", "/app/health"]
    assert image.healthcheck is None and "Podman" in image.unreported["Healthcheck"]
    files = image.files()
    assert files is not None and not files.errors
    assert files.passwd == {"root": 0, "agent": 10001} and files.scanned == 3


def test_missing_image_and_unreachable_engine(engine: Podman, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", engine.host)
    with pytest.raises(ImageAbsent, match="has no image localhost/nothing:0"):
        read_engine("localhost/nothing:0", Limits())
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'absent.sock'}")
    with pytest.raises(SourceError) as raised:
        read_engine("msft-agent:1.4.2", Limits(timeout=5))
    assert "absent.sock" in str(raised.value)


def test_checks_through_the_engine(run_readiness, engine: Podman, good_image: Built, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", engine.host)
    monkeypatch.setenv("READINESS_TODAY", "2026-11-22")
    image_id = read_archive(good_image.docker_archive).id
    report = reports.write(tmp_path / "trivy.json", reports.for_image(image_id, ["LOW"]))
    files = {"deployment/kubernetes/app.yaml": deployment("contosoagentacr.azurecr.io/msft-agent:1.4.2")}
    run = run_readiness(files, "-m", "image", f"--readiness-image={good_image.name}",
                        f"--readiness-scan-report={report}")
    for check_id in ("OPS-IMAGE-BUILDS", "SEC-IMAGE-NON-ROOT", "SEC-IMAGE-NO-SECRETS", "SEC-IMAGE-SCANNED",
                     "OPS-IMAGE-PINNED", "OPS-IMAGE-MATCHES-MANIFESTS"):
        assert run.status(f"{check_id}[{AGENT}]") == "passed", (check_id, run.messages)
    assert "Podman Engine" in run.junit
    assert "HEALTHCHECK unknown: Podman" in run.junit
    critical = reports.write(tmp_path / "critical.json", reports.for_image(image_id, ["CRITICAL"]))
    run = run_readiness(files, "-m", "image", f"--readiness-image={good_image.name}",
                        f"--readiness-scan-report={critical}")
    assert run.status(f"SEC-IMAGE-SCANNED[{AGENT}]") == "failed"


def test_leaky_image_through_the_engine(run_readiness, engine: Podman, leaky_image: Built,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", engine.host)
    run = run_readiness({"README.md": "x\n"}, "-m", "image", f"--readiness-image={leaky_image.name}")
    assert run.status("SEC-IMAGE-NON-ROOT[image]") == "failed"
    assert run.status("SEC-IMAGE-NO-SECRETS[image]") == "failed"
    assert "/app/.env" in run.messages["SEC-IMAGE-NO-SECRETS[image]"]
    assert "ghp_Zx81Kq0LmB7cVr2TnW5yHd9sPa4Ej6Ug3Fo1" not in run.output + run.junit


def test_a_missing_image_fails_builds_and_errors_the_rest(run_readiness, engine: Podman,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", engine.host)
    run = run_readiness({"README.md": "x\n"}, "-m", "image", "--readiness-image=localhost/never-built:1.0")
    assert run.status("OPS-IMAGE-BUILDS[image]") == "failed"
    assert "has no image localhost/never-built:1.0: build it" in run.messages["OPS-IMAGE-BUILDS[image]"]
    assert run.status("SEC-IMAGE-NON-ROOT[image]") == "error"


def test_no_engine_is_an_error_naming_it(run_readiness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'no-engine.sock'}")
    run = run_readiness({"README.md": "x\n"}, "-m", "image", "--readiness-image=msft-agent:1.4.2",
                        "--readiness-image-timeout=5")
    assert run.status("OPS-IMAGE-BUILDS[image]") == "error"
    assert "no-engine.sock" in run.messages["OPS-IMAGE-BUILDS[image]"]
