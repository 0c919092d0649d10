"""Start the reference agent service as a real subprocess (`python -m agent_service`) on 127.0.0.1."""

from __future__ import annotations

import json
import os
import secrets
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme

from tests.processes import spawn, stop_all

SERVICE_DIR = Path(__file__).resolve().parents[2] / "conftest_examples" / "reference_service"
STARTUP_DEADLINE_SECONDS = 10.0
ServiceConfig = dict[str, dict[str, Any]]


def to_toml(config: ServiceConfig) -> str:
    lines: list[str] = []
    for table, values in config.items():
        lines.append(f"[{table}]")
        for key, value in values.items():
            rendered = str(value).lower() if isinstance(value, bool) else json.dumps(value)
            lines.append(f"{key} = {rendered}")
        lines.append("")
    return "\n".join(lines)


@dataclass
class RunningService:
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    verify: ssl.SSLContext | bool = True

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, verify=self.verify, timeout=5.0)

    @property
    def port(self) -> int:
        return int(self.base_url.rsplit(":", 1)[1])


@dataclass(frozen=True)
class Secrets:
    jwt_secret: str = field(repr=False)
    api_keys: tuple[str, ...] = field(repr=False)


@pytest.fixture(scope="session")
def service_secrets() -> Secrets:
    return Secrets(secrets.token_urlsafe(48), (secrets.token_urlsafe(24), secrets.token_urlsafe(24)))


@pytest.fixture(scope="session")
def certificate_authority() -> trustme.CA:
    return trustme.CA()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def service_env(service_secrets: Secrets) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("AGENT_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SERVICE_DIR), env.get("PYTHONPATH")]))
    env["AGENT_JWT_SECRET"] = service_secrets.jwt_secret
    env["AGENT_API_KEYS"] = ",".join(service_secrets.api_keys)
    return env


def wait_until_live(service: RunningService) -> None:
    deadline = time.monotonic() + STARTUP_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            break
        try:
            with service.client() as client:
                if client.get("/health/live").status_code == 200:
                    return
        except httpx.TransportError:
            time.sleep(0.05)
    log = service.log_path.read_text(errors="replace")[-4000:]
    raise RuntimeError(f"reference service did not become live (exit={service.process.poll()}):\n{log}")


@pytest.fixture(scope="session")
def launch_service(
    tmp_path_factory: pytest.TempPathFactory, service_secrets: Secrets
) -> Iterator[Callable[..., RunningService]]:
    """Factory: start a service with a config; every service it started is stopped at session end."""
    started: list[subprocess.Popen[bytes]] = []

    def launch(
        config: ServiceConfig,
        *,
        extra_args: Sequence[str] = (),
        verify: ssl.SSLContext | bool = True,
    ) -> RunningService:
        workdir = tmp_path_factory.mktemp("reference-service")
        config_path = workdir / "agent.toml"
        config_path.write_text(to_toml(config))
        log_path = workdir / "service.log"
        port = free_port()
        scheme = "https" if "--certfile" in extra_args else "http"
        command = [sys.executable, "-m", "agent_service", "--config", str(config_path)]
        command += ["--host", "127.0.0.1", "--port", str(port), *extra_args]
        process = spawn(command, service_env(service_secrets), log_path)
        started.append(process)
        service = RunningService(f"{scheme}://127.0.0.1:{port}", process, log_path, verify)
        wait_until_live(service)
        return service

    yield launch
    stop_all(started)


@pytest.fixture
def service_package(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Make `agent_service` importable in this process; returns its parent directory."""
    monkeypatch.syspath_prepend(str(SERVICE_DIR))
    return SERVICE_DIR
