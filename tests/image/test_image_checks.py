"""The image checks end to end (`pytest --readiness`), on images built by buildah and byte by byte."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.image import builder, reports
from tests.image.builder import Layer
from tests.image.conftest import PASSWD, Built

IMAGE_CHECKS = ("OPS-IMAGE-BUILDS", "SEC-IMAGE-NON-ROOT", "SEC-IMAGE-NO-SECRETS", "SEC-IMAGE-SCANNED",
                "OPS-IMAGE-PINNED", "OPS-IMAGE-MATCHES-MANIFESTS")
AGENT = "Deployment/msft-agent/agent"


def deployment(image: str, security: str = "runAsNonRoot: true", port: int = 8080, probes: bool = True) -> str:
    agent: dict[str, Any] = {"name": "agent", "image": image, "ports": [{"name": "http", "containerPort": port}]}
    if probes:
        agent["livenessProbe"] = {"httpGet": {"path": "/health/live", "port": "http"}}
        agent["readinessProbe"] = {"httpGet": {"path": "/health/ready", "port": port}}
    sidecar = {"name": "sidecar", "image": "docker.io/library/redis:7.2.4"}
    return yaml.safe_dump({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "msft-agent"},
        "spec": {"selector": {"matchLabels": {"app": "msft-agent"}}, "template": {
            "metadata": {"labels": {"app": "msft-agent"}},
            "spec": {"securityContext": yaml.safe_load(security), "containers": [agent, sidecar]}}},
    })


def run_image(run_readiness, archive: Path | str, *extra: str, files: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return run_readiness(files or {"README.md": "x\n"}, "-m", "image", f"--readiness-image-archive={archive}", *extra)


def test_without_an_image_every_image_check_is_unverified_and_no_engine_is_contacted(
        run_readiness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    engine.bind(str(tmp_path / "docker.sock"))
    engine.listen(1)
    engine.setblocking(False)
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'docker.sock'}")
    run = run_readiness({"README.md": "x\n"}, "-m", "image")
    for check_id in IMAGE_CHECKS:
        assert run.status(f"{check_id}[image]") == "unverified", check_id
        assert "--readiness-image-archive=PATH" in run.messages[f"{check_id}[image]"]
    with pytest.raises(BlockingIOError):
        engine.accept()
    engine.close()


@pytest.mark.parametrize("fmt", ["docker_archive", "oci_archive", "oci_layout"])
def test_good_image_deployed_by_the_manifests_passes(run_readiness, good_image: Built, fmt: str, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("READINESS_TODAY", "2026-11-22")
    from pytest_readiness.sources.image.archive import read_archive

    image = read_archive(getattr(good_image, fmt))
    report = reports.write(tmp_path / "trivy.json", reports.for_image(image.id, ["MEDIUM", "LOW"]))
    files = {"deployment/kubernetes/app.yaml": deployment("contosoagentacr.azurecr.io/msft-agent:1.4.2")}
    run = run_image(run_readiness, getattr(good_image, fmt), "--readiness-image=msft-agent:1.4.2",
                    f"--readiness-scan-report={report}", files=files)
    for check_id in IMAGE_CHECKS:
        assert run.status(f"{check_id}[{AGENT}]") == "passed", (check_id, run.messages)
    assert "SEC-IMAGE-NON-ROOT[Deployment/msft-agent/sidecar]" not in run.statuses  # redis is not this image
    junit = run.junit
    assert "by name msft-agent" in junit and f"id {image.id}" in junit and "1 layers" in junit
    assert "built from https://example.test/contoso/msft-agent at revision 0123abc" in junit


def test_leaky_image_fails_non_root_and_secrets_masked(run_readiness, leaky_image: Built) -> None:
    run = run_image(run_readiness, leaky_image.docker_archive)
    assert run.status("SEC-IMAGE-NON-ROOT[image]") == "failed"
    assert "runs as root (User unset)" in run.messages["SEC-IMAGE-NON-ROOT[image]"]
    assert run.status("SEC-IMAGE-NO-SECRETS[image]") == "failed"
    message = run.messages["SEC-IMAGE-NO-SECRETS[image]"]
    assert "config Env GITHUB_TOKEN: github-token" in message
    assert "/app/.env: generic-password-assignment" in message and "a .env file" in message
    for secret in ("ghp_Zx81Kq0LmB7cVr2TnW5yHd9sPa4Ej6Ug3Fo1", "Vq7kP2mWLx9sR4tZ"):
        assert secret not in run.output and secret not in run.junit


def test_pod_run_as_user_overrides_a_root_image(run_readiness, leaky_image: Built) -> None:
    files = {"deployment/kubernetes/app.yaml": deployment("acr.io/leaky-agent:2.0.0", "runAsUser: 10001", 8000)}
    run = run_image(run_readiness, leaky_image.docker_archive, files=files)
    assert run.status(f"SEC-IMAGE-NON-ROOT[{AGENT}]") == "passed"
    assert "pod runAsUser 10001 overrides" in run.junit
    files = {"deployment/kubernetes/app.yaml": deployment("acr.io/leaky-agent:2.0.0", "runAsUser: 0", 8000)}
    run = run_image(run_readiness, leaky_image.docker_archive, files=files)
    assert run.status(f"SEC-IMAGE-NON-ROOT[{AGENT}]") == "failed"


def test_user_name_resolved_from_passwd_is_called_out(run_readiness, named_user_image: Built) -> None:
    run = run_image(run_readiness, named_user_image.oci_archive, "--readiness-image=named-agent:3.1")
    assert run.status("SEC-IMAGE-NON-ROOT[image]") == "passed"
    assert "is UID 10001 in /etc/passwd; Kubernetes runAsNonRoot cannot verify a name" in run.junit
    files = {"deployment/kubernetes/app.yaml": deployment("acr.io/named-agent:3.1")}
    run = run_image(run_readiness, named_user_image.docker_archive, files=files)
    assert run.status(f"SEC-IMAGE-NON-ROOT[{AGENT}]") == "failed"
    assert "runAsNonRoot: true with the image's non-numeric User 'agent'" in run.messages[
        f"SEC-IMAGE-NON-ROOT[{AGENT}]"]


@pytest.mark.parametrize(("user", "passwd", "status", "text"), [
    ("0", PASSWD, "failed", "runs as root (User 0)"),
    ("root", PASSWD, "failed", "runs as root (User root)"),
    ("0:0", PASSWD, "failed", "runs as root (User 0:0)"),
    ("", PASSWD, "failed", "runs as root (User unset)"),
    ("toor", b"toor:x:0:0::/:/bin/sh\n", "failed", "is UID 0 in /etc/passwd"),
    ("ghost", PASSWD, "failed", "is not in the image's /etc/passwd"),
    ("10001:10001", PASSWD, "passed", ""),
])
def test_image_users(run_readiness, tmp_path: Path, user: str, passwd: bytes, status: str, text: str) -> None:
    path = builder.docker_save(tmp_path / "i.tar", builder.config(user=user or None), [Layer({"etc/passwd": passwd})])
    run = run_image(run_readiness, path)
    assert run.status("SEC-IMAGE-NON-ROOT[image]") == status
    assert text in run.messages["SEC-IMAGE-NON-ROOT[image]"]


def test_secrets_in_history_labels_and_uncompressed_layers(run_readiness, tmp_path: Path) -> None:
    cfg = builder.config(
        labels={"build.note": "AccountKey=Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFy"},
        history=["RUN |1 API_TOKEN=q8Zk2LmX9vR4tW7pNs3 /bin/sh -c ./build.sh",
                 "/bin/sh -c #(nop)  ENV AZURE_OPENAI_KEY=0123456789abcdef0123456789abcdef"])
    layers = [Layer({"etc/passwd": PASSWD}, compress=False),
              Layer({"app/settings.py": b"password = 'Tr0ub4dor&3xQz9!'\n"}, compress=False)]
    path = builder.docker_save(tmp_path / "i.tar", cfg, layers)
    run = run_image(run_readiness, path)
    message = run.messages["SEC-IMAGE-NO-SECRETS[image]"]
    assert run.status("SEC-IMAGE-NO-SECRETS[image]") == "failed"
    assert "config Labels build.note: azure-storage-connection-string" in message
    assert "history step 1: generic-password-assignment (API_TOKEN=" in message
    assert "history step 2: azure-ai-services-key" in message
    assert "image layer 2 sha256:" in message and "/app/settings.py: generic-password-assignment" in message
    for secret in ("q8Zk2LmX9vR4tW7pNs3", "0123456789abcdef0123456789abcdef", "Tr0ub4dor&3xQz9!"):
        assert secret not in run.output and secret not in run.junit


def test_clean_image_passes_and_counts_what_it_scanned(run_readiness, tmp_path: Path) -> None:
    library = "usr/lib/python3/site-packages/x/test_keys.py"
    layers = [Layer({"etc/passwd": PASSWD, library: b"key = 'AKIAIOSFODNN7EXAMPL3'\n",
                     "app/bin": b"\0\0binary", "app/main.py": b"print('hi')\n"})]
    run = run_image(run_readiness, builder.docker_save(tmp_path / "i.tar", builder.config(), layers))
    assert run.status("SEC-IMAGE-NO-SECRETS[image]") == "passed"
    assert "4 files in the layers: 2 text files scanned, 0 over the size limit, 1 binary, 1 in OS" in run.junit


def test_a_layer_bomb_leaves_the_secret_check_unverified_in_bounded_time(run_readiness, tmp_path: Path) -> None:
    layers = [Layer({"etc/passwd": PASSWD}), builder.bomb_layer(4 * 1024**3)]
    run = run_image(run_readiness, builder.docker_save(tmp_path / "bomb.tar", builder.config(), layers),
                    "--readiness-image-max-layer-bytes=1000000000")
    assert run.status("SEC-IMAGE-NO-SECRETS[image]") == "unverified"
    assert "--readiness-image-max-layer-bytes=1000000000" in run.messages["SEC-IMAGE-NO-SECRETS[image]"]
    assert run.status("SEC-IMAGE-NON-ROOT[image]") == "passed"


def test_truncated_or_missing_archive_is_an_error_naming_it(run_readiness, tmp_path: Path) -> None:
    full = builder.docker_save(tmp_path / "full.tar", builder.config(), [Layer({"etc/passwd": PASSWD})])
    cut = tmp_path / "cut.tar"
    cut.write_bytes(full.read_bytes()[:1500])
    run = run_image(run_readiness, cut)
    for check_id in IMAGE_CHECKS:
        assert run.status(f"{check_id}[image]") == "error", check_id
    assert str(cut) in run.messages["OPS-IMAGE-BUILDS[image]"]
    run = run_image(run_readiness, tmp_path / "absent.tar")
    assert run.status("OPS-IMAGE-BUILDS[image]") == "error"
    assert "cannot read the image archive" in run.messages["OPS-IMAGE-BUILDS[image]"]


def _scanned(run_readiness, tmp_path: Path, report: dict, *extra: str):  # type: ignore[no-untyped-def,type-arg]
    path = builder.docker_save(tmp_path / "i.tar", builder.config(), [Layer({"etc/passwd": PASSWD})])
    from pytest_readiness.sources.image.archive import read_archive

    image_id = read_archive(path).id
    for key in ("ImageID",):
        if report["Metadata"].get(key) == "THIS":
            report["Metadata"][key] = image_id
    written = reports.write(tmp_path / "trivy.json", report)
    return run_image(run_readiness, path, f"--readiness-scan-report={written}", *extra)


@pytest.mark.parametrize(("severities", "status"), [
    (["CRITICAL"], "failed"), (["HIGH"], "failed"), (["MEDIUM"], "passed"), (["LOW"], "passed"), ([], "passed"),
])
def test_vulnerability_gate_per_severity(run_readiness, tmp_path: Path, severities: list[str], status: str,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("READINESS_TODAY", "2026-11-22")
    run = _scanned(run_readiness, tmp_path, reports.for_image("THIS", severities))
    assert run.status("SEC-IMAGE-SCANNED[image]") == status
    if status == "failed":
        listed = f"{severities[0]} CVE-2026-1000 in pkg0 1.0.0: fixed in 1.0.1"
        assert listed in run.messages["SEC-IMAGE-SCANNED[image]"]


def test_threshold_unfixed_and_ignore_file(run_readiness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("READINESS_TODAY", "2026-11-22")
    run = _scanned(run_readiness, tmp_path, reports.for_image("THIS", ["MEDIUM"]), "--readiness-vuln-threshold=MEDIUM")
    assert run.status("SEC-IMAGE-SCANNED[image]") == "failed"
    run = _scanned(run_readiness, tmp_path, reports.for_image("THIS", ["CRITICAL"], fixed=False),
                   "--readiness-vuln-ignore-unfixed")
    assert run.status("SEC-IMAGE-SCANNED[image]") == "passed"
    assert "without a fix ignored" in run.junit
    ignore = tmp_path / "accepted.toml"
    ignore.write_text('[[ignore]]\nid = "CVE-2026-1000"\nreason = "not reachable"\nexpires = 2026-12-01\n')
    run = _scanned(run_readiness, tmp_path, reports.for_image("THIS", ["CRITICAL"]),
                   f"--readiness-vuln-ignore-file={ignore}")
    assert run.status("SEC-IMAGE-SCANNED[image]") == "passed"
    assert "accepted until 2026-12-01" in run.junit
    monkeypatch.setenv("READINESS_TODAY", "2026-12-02")
    run = _scanned(run_readiness, tmp_path, reports.for_image("THIS", ["CRITICAL"], created="2026-12-01T00:00:00Z"),
                   f"--readiness-vuln-ignore-file={ignore}")
    assert run.status("SEC-IMAGE-SCANNED[image]") == "failed"
    assert "its ignore entry expired 2026-12-01" in run.messages["SEC-IMAGE-SCANNED[image]"]


def test_stale_mismatched_and_malformed_reports(run_readiness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("READINESS_TODAY", "2026-11-22")
    run = _scanned(run_readiness, tmp_path, reports.for_image("THIS", [], created="2026-11-01T00:00:00Z"))
    assert run.status("SEC-IMAGE-SCANNED[image]") == "failed"
    assert "stale: created 2026-11-01" in run.messages["SEC-IMAGE-SCANNED[image]"]
    run = _scanned(run_readiness, tmp_path, reports.real("alpine-39"), "--readiness-scan-max-age-days=100000")
    message = run.messages["SEC-IMAGE-SCANNED[image]"]
    assert run.status("SEC-IMAGE-SCANNED[image]") == "failed"
    assert "sha256:055936d3920576da37aa9bc460d70c5f212028bda1c08c0879aedf03d7a66ea1" in message
    assert "CRITICAL CVE-2019-14697 in musl 1.1.20-r4: fixed in 1.1.20-r5" in message
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    path = builder.docker_save(tmp_path / "j.tar", builder.config(), [Layer({"a": b"b"})])
    run = run_image(run_readiness, path, f"--readiness-scan-report={bad}")
    assert run.status("SEC-IMAGE-SCANNED[image]") == "error"
    assert "not valid JSON" in run.messages["SEC-IMAGE-SCANNED[image]"]
    run = run_image(run_readiness, path)
    assert run.status("SEC-IMAGE-SCANNED[image]") == "unverified"
    assert "--readiness-scan-report=PATH" in run.messages["SEC-IMAGE-SCANNED[image]"]


def test_pinning_by_tag_and_digest(run_readiness, tmp_path: Path) -> None:
    path = tmp_path / "oci.tar"
    manifest_digest = builder.oci_archive(path, builder.config(), [Layer({"etc/passwd": PASSWD})])
    cases = {
        "acr.io/msft-agent:latest": ("failed", "moving tag latest"),
        "acr.io/msft-agent": ("failed", "(none: latest)"),
        "acr.io/msft-agent:main": ("failed", "moving tag main"),
        "acr.io/msft-agent:1.4.2": ("passed", ""),
        f"acr.io/msft-agent@{manifest_digest}": ("passed", ""),
        "acr.io/msft-agent@sha256:" + "9" * 64: ("failed", "describe another build"),
    }
    for ref, (status, text) in cases.items():
        files = {"deployment/kubernetes/app.yaml": deployment(ref)}
        run = run_image(run_readiness, path, files=files)
        assert run.status(f"OPS-IMAGE-PINNED[{AGENT}]") == status, ref
        assert text in run.messages[f"OPS-IMAGE-PINNED[{AGENT}]"], ref
    run = run_image(run_readiness, path, files={"deployment/kubernetes/app.yaml": deployment("acr.io/other:1.0")})
    assert run.status("OPS-IMAGE-PINNED[image]") == "unverified"
    assert "no manifest container deploys" in run.messages["OPS-IMAGE-PINNED[image]"]


def test_ports_and_healthcheck_against_the_manifests(run_readiness, tmp_path: Path) -> None:
    cfg = builder.config(exposed=("8080/tcp",), healthcheck=["CMD", "/app/health"])
    path = builder.docker_save(tmp_path / "i.tar", cfg, [Layer({"etc/passwd": PASSWD})])
    run = run_image(run_readiness, path, files={"deployment/kubernetes/app.yaml": deployment("msft-agent:1.4.2",
                                                                                             port=9000)})
    message = run.messages[f"OPS-IMAGE-MATCHES-MANIFESTS[{AGENT}]"]
    assert run.status(f"OPS-IMAGE-MATCHES-MANIFESTS[{AGENT}]") == "failed"
    assert "declares ports [9000], the image exposes [8080]" in message
    run = run_image(run_readiness, path, files={"deployment/kubernetes/app.yaml": deployment("msft-agent:1.4.2",
                                                                                             probes=False)})
    assert run.status(f"OPS-IMAGE-MATCHES-MANIFESTS[{AGENT}]") == "failed"
    assert "Kubernetes ignores HEALTHCHECK" in run.messages[f"OPS-IMAGE-MATCHES-MANIFESTS[{AGENT}]"]


def _stub_trivy(directory: Path, body: str) -> None:
    """A `trivy` on PATH for the --readiness-run-trivy plumbing (arguments, output file, timeout): the real
    scanner cannot be installed offline. It writes a real Trivy report re-pointed at the image."""
    directory.mkdir()
    script = directory / "trivy"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(0o755)


def test_run_trivy_on_the_archive(run_readiness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pytest_readiness.sources.image.archive import read_archive

    monkeypatch.setenv("READINESS_TODAY", "2026-11-22")
    path = builder.docker_save(tmp_path / "i.tar", builder.config(), [Layer({"etc/passwd": PASSWD})])
    report = reports.write(tmp_path / "made.json", reports.for_image(read_archive(path).id, ["CRITICAL"]))
    args = tmp_path / "args.txt"
    _stub_trivy(tmp_path / "bin", f'echo "$@" > {args}\nwhile [ "$1" != "--output" ]; do shift; done\n'
                                  f'cp {report} "$2"\n')
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    run = run_image(run_readiness, path, "--readiness-run-trivy")
    assert run.status("SEC-IMAGE-SCANNED[image]") == "failed"
    assert "CRITICAL CVE-2026-1000" in run.messages["SEC-IMAGE-SCANNED[image]"]
    assert args.read_text().split() == ["image", "--quiet", "--severity", "HIGH,CRITICAL", "--format", "json",
                                        "--output", args.read_text().split()[7], "--input", str(path)]


def test_run_trivy_missing_or_hanging(run_readiness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = builder.docker_save(tmp_path / "i.tar", builder.config(), [Layer({"etc/passwd": PASSWD})])
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    run = run_image(run_readiness, path, "--readiness-run-trivy")
    assert run.status("SEC-IMAGE-SCANNED[image]") == "error"
    assert "trivy is not on PATH" in run.messages["SEC-IMAGE-SCANNED[image]"]
    _stub_trivy(tmp_path / "bin", "exec sleep 30\n")
    run = run_image(run_readiness, path, "--readiness-run-trivy", "--readiness-trivy-timeout=1")
    assert run.status("SEC-IMAGE-SCANNED[image]") == "error"
    assert "did not finish within 1s" in run.messages["SEC-IMAGE-SCANNED[image]"]


USER_CHECK = '''
from pytest_readiness import Evidence, check
from pytest_readiness.sources.image.model import Image


@check("ORG-IMAGE-SMALL", title="Image under 1 kB", category="performance", priority="low", verify="image")
def test_image_small(image: Image, evidence: Evidence) -> None:
    evidence.add(f"{image.name}: {image.size} bytes", image.where())
    assert image.size is not None and image.size < 1024, f"{image} is {image.size} bytes"
'''


def test_a_users_check_takes_the_image_fixture(run_readiness, tmp_path: Path) -> None:
    small = builder.docker_save(tmp_path / "s.tar", builder.config(), [Layer({"a": b"b"}, compress=False)])
    run = run_readiness({"conftest.py": USER_CHECK}, "-k", "test_image_small", f"--readiness-image-archive={small}")
    assert run.status("ORG-IMAGE-SMALL") == "failed"  # an uncompressed tar layer is 10 kB
    assert "bytes" in run.messages["ORG-IMAGE-SMALL"]
    run = run_readiness({"conftest.py": USER_CHECK}, "-k", "test_image_small")
    assert run.status("ORG-IMAGE-SMALL") == "unverified"
    assert "--readiness-image-archive=PATH" in run.messages["ORG-IMAGE-SMALL"]


def _git_project(root: Path) -> str:
    import subprocess

    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.test", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.test", "PATH": "/usr/bin:/bin", "HOME": str(root)}

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True,
                              env=env).stdout.strip()

    (root / "README.md").write_text("x\n")
    git("init", "-q")
    git("add", "README.md")
    git("commit", "-qm", "first")
    git("remote", "add", "origin", "git@github.com:Contoso/msft-agent.git")
    return git("rev-parse", "HEAD")


@pytest.mark.parametrize(("source", "revision", "status", "text"), [
    ("https://github.com/contoso/msft-agent", "HEAD", "passed", "is HEAD"),
    ("https://github.com/contoso/msft-agent", "feedface" * 5, "passed", "not one of its commits"),
    ("https://github.com/someone/else", "feedface" * 5, "failed", "neither that repository"),
])
def test_oci_labels_tie_the_image_to_this_repository(run_readiness, pytester: pytest.Pytester, tmp_path: Path,
                                                      source: str, revision: str, status: str, text: str) -> None:
    head = _git_project(pytester.path)
    labels = {"org.opencontainers.image.source": source,
              "org.opencontainers.image.revision": head if revision == "HEAD" else revision}
    path = builder.docker_save(tmp_path / "i.tar", builder.config(labels=labels), [Layer({"etc/passwd": PASSWD})])
    run = run_image(run_readiness, path)
    assert run.status("OPS-IMAGE-BUILDS[image]") == status
    assert text in (run.junit if status == "passed" else run.messages["OPS-IMAGE-BUILDS[image]"])
