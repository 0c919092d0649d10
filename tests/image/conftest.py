"""Real images built offline with buildah (FROM scratch), and a real Podman service on a unix socket.

Without buildah or podman a test is skipped on a developer's machine, and fails under CI=true
(`.ci/run` installs them): a skipped test there would hide a missing install step.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.processes import spawn, stop_all

PASSWD = b"root:x:0:0:root:/root:/bin/sh\nagent:x:10001:10001::/app:/sbin/nologin\n"


def need(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        reason = f"{tool} is not on PATH (apt-get install {tool})"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: .ci/run installs it, so CI must have it", pytrace=False)
        pytest.skip(reason)
    return found


@dataclass(frozen=True)
class Built:
    """One image built by buildah and exported in each archive format."""

    name: str
    docker_archive: Path
    oci_layout: Path
    oci_archive: Path


class Buildah:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.base = [need("buildah"), "--storage-driver=vfs", "--root", str(root / "storage"),
                     "--runroot", str(root / "run")]

    def run(self, *args: str) -> str:
        done = subprocess.run([*self.base, *args], capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, f"buildah {' '.join(args)} failed:\n{done.stderr}"
        return done.stdout

    def build(self, name: str, containerfile: str, files: dict[str, bytes]) -> Built:
        context = self.root / "ctx" / name.replace("/", "_").replace(":", "_")
        for relative, data in files.items():
            (context / relative).parent.mkdir(parents=True, exist_ok=True)
            (context / relative).write_bytes(data)
        (context / "Containerfile").write_text(containerfile)
        self.run("bud", "--format", "docker", "--isolation", "chroot", "--layers=false", "-t", name,
                 "-f", str(context / "Containerfile"), str(context))
        out = self.root / "out" / context.name
        out.mkdir(parents=True)
        tag = name.rpartition(":")[2]
        self.run("push", name, f"docker-archive:{out / 'docker.tar'}:{name}")
        self.run("push", name, f"oci:{out / 'layout'}:{tag}")
        self.run("push", name, f"oci-archive:{out / 'oci.tar'}:{tag}")
        return Built(name, out / "docker.tar", out / "layout", out / "oci.tar")


@pytest.fixture(scope="session")
def buildah(tmp_path_factory: pytest.TempPathFactory) -> Buildah:
    return Buildah(tmp_path_factory.mktemp("buildah"))


@pytest.fixture(scope="session")
def good_image(buildah: Buildah) -> Built:
    """Non-root numeric user, OCI labels, a port, a healthcheck, no secrets."""
    return buildah.build("localhost/msft-agent:1.4.2", """
FROM scratch
COPY etc/passwd /etc/passwd
COPY app/ /app/
USER 10001
ENV APP_MODE=production
LABEL org.opencontainers.image.source=https://example.test/contoso/msft-agent org.opencontainers.image.revision=0123abc
EXPOSE 8080
HEALTHCHECK CMD ["/app/health"]
""", {"etc/passwd": PASSWD, "app/main.txt": b"the agent\n", "app/config.toml": b"[agent]\nname = 'msft'\n"})


@pytest.fixture(scope="session")
def leaky_image(buildah: Buildah) -> Built:
    """Root (no USER), a token in ENV, a .env file with a password in a layer."""
    return buildah.build("localhost/leaky-agent:2.0.0", """
FROM scratch
COPY app/ /app/
ENV GITHUB_TOKEN=ghp_Zx81Kq0LmB7cVr2TnW5yHd9sPa4Ej6Ug3Fo1
EXPOSE 8000
""", {"app/.env": b"DB_PASSWORD=Vq7kP2mWLx9sR4tZ\n", "app/main.txt": b"agent\n"})


@pytest.fixture(scope="session")
def named_user_image(buildah: Buildah) -> Built:
    return buildah.build("localhost/named-agent:3.1", """
FROM scratch
COPY etc/passwd /etc/passwd
USER agent
""", {"etc/passwd": PASSWD})


@dataclass(frozen=True)
class Podman:
    host: str  # DOCKER_HOST
    log: Path

    def load(self, archive: Path) -> None:
        import docker

        client = docker.DockerClient(base_url=self.host, timeout=60)
        try:
            list(client.api.load_image(archive.read_bytes()))
        finally:
            client.close()


@pytest.fixture(scope="session")
def podman() -> Iterator[Podman]:
    """`podman system service` (root, vfs storage) on a unix socket in a temporary directory (a short
    path: podman refuses a runroot over 50 characters, and a unix socket path is at most 107)."""
    binary = need("podman")
    root = Path(tempfile.mkdtemp(prefix="rdy-pm-", dir="/tmp"))
    socket = root / "podman.sock"
    command = [binary, "--storage-driver=vfs", "--root", str(root / "storage"), "--runroot", str(root / "run"),
               "--tmpdir", str(root / "tmp"), "system", "service", "--time=0", f"unix://{socket}"]
    (root / "tmp").mkdir()
    process = spawn(command, os.environ, root / "podman.log")
    deadline = time.monotonic() + 30
    while not socket.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    if not socket.exists():
        stop_all([process])
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"podman system service did not start: {(root / 'podman.log').read_text()[-2000:]}",
                    pytrace=False)
    try:
        yield Podman(f"unix://{socket}", root / "podman.log")
    finally:
        stop_all([process])
        shutil.rmtree(root, ignore_errors=True)
