"""Real targets for the live checks: the reference service in a subprocess, stub HTTP servers, redis-server.

Everything listens on 127.0.0.1 on a free port and is stopped at the end of the session.
"""

from __future__ import annotations

import http.server
import os
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import trustme

from tests.processes import spawn, stop_all

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVICE_DIR = REPO_ROOT / "conftest_examples" / "reference_service"
ISSUER = "https://login.microsoftonline.com/contoso-tenant/v2.0"
AUDIENCE = "api://msft-agent"
DEADLINE_SECONDS = 60.0  # start-up on a loaded 2-core CI machine; a healthy start takes well under 1 s
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class TLSFiles:
    cert: Path
    key: Path
    ca: Path


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    """A trustme CA and a certificate for 127.0.0.1 and localhost, as PEM files."""
    folder = tmp_path_factory.mktemp("tls")
    authority = trustme.CA()
    issued = authority.issue_cert("127.0.0.1", "localhost")
    files = TLSFiles(folder / "cert.pem", folder / "key.pem", folder / "ca.pem")
    issued.cert_chain_pems[0].write_to_path(str(files.cert))
    issued.private_key_pem.write_to_path(str(files.key))
    authority.cert_pem.write_to_path(str(files.ca))
    return files


@dataclass
class Service:
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    ca: Path | None = None

    def client(self) -> httpx.Client:
        verify = ssl.create_default_context(cafile=str(self.ca)) if self.ca else True
        return httpx.Client(base_url=self.url, verify=verify, timeout=30.0)


@dataclass(frozen=True)
class ServiceSecrets:
    jwt_secret: str = field(repr=False)
    api_key: str = field(repr=False)


@pytest.fixture(scope="session")
def service_secrets() -> ServiceSecrets:
    return ServiceSecrets(secrets.token_urlsafe(48), secrets.token_urlsafe(24))


@pytest.fixture(scope="session")
def make_token(service_secrets: ServiceSecrets) -> Callable[[str], str]:
    """A valid JWT for the reference service; a new subject is a new user with a fresh rate window."""

    def make(subject: str) -> str:
        claims = {"sub": subject, "iss": ISSUER, "aud": AUDIENCE, "exp": int(time.time()) + 600}
        return jwt.encode(claims, service_secrets.jwt_secret, algorithm="HS256")

    return make


def _wait_live(service: Service) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline and service.process.poll() is None:
        try:
            with service.client() as client:
                if client.get("/health/live").status_code == 200:
                    return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"reference service did not start:\n{service.log.read_text(errors='replace')[-3000:]}")


@pytest.fixture(scope="session")
def launch_service(
    tmp_path_factory: pytest.TempPathFactory, service_secrets: ServiceSecrets, tls_files: TLSFiles
) -> Iterator[Callable[..., Service]]:
    """Factory: `launch(toml_text, https=False, tls_min="1.2")` starts `python -m agent_service`."""
    started: list[subprocess.Popen[bytes]] = []
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENT_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SERVICE_DIR), env.get("PYTHONPATH")]))
    env["AGENT_JWT_SECRET"] = service_secrets.jwt_secret
    env["AGENT_API_KEYS"] = service_secrets.api_key

    def launch(toml: str, *, https: bool = False, tls_min: str = "1.2") -> Service:
        folder = tmp_path_factory.mktemp("service")
        (folder / "agent.toml").write_text(toml)
        port = free_port()
        command = [sys.executable, "-m", "agent_service", "--config", str(folder / "agent.toml"),
                   "--host", "127.0.0.1", "--port", str(port)]
        if https:
            command += ["--certfile", str(tls_files.cert), "--keyfile", str(tls_files.key)]
            command += ["--tls-min-version", tls_min]
        log = folder / "service.log"
        process = spawn(command, env, log)
        started.append(process)
        scheme = "https" if https else "http"
        service = Service(f"{scheme}://127.0.0.1:{port}", process, log, tls_files.ca if https else None)
        _wait_live(service)
        return service

    yield launch
    stop_all(started)


# --- stub HTTP servers --------------------------------------------------------------------------

Route = tuple[int, dict[str, str], bytes]


@dataclass
class StubServer:
    """A threaded HTTP/1.0 server answering fixed routes; counts requests and connections."""

    routes: dict[str, Route | Callable[[int], Route]]
    requests: list[str] = field(default_factory=list)
    connections: int = 0
    server: http.server.ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, method: str, path: str) -> Route:
        self.requests.append(f"{method} {path}")
        route = self.routes.get(f"{method} {path}") or self.routes.get(path)
        if route is None:
            return 404, {"content-type": "text/plain"}, b"not found"
        return route(len(self.requests)) if callable(route) else route


def _handler(stub: StubServer) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def setup(self) -> None:
            stub.connections += 1
            super().setup()

        def _respond(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            if length:
                self.rfile.read(length)
            status, headers, body = stub.answer(self.command, self.path)
            self.send_response(status)
            for name, value in {"content-length": str(len(body)), **headers}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _respond

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def stub_server() -> Iterator[Callable[[dict[str, Any]], StubServer]]:
    servers: list[http.server.ThreadingHTTPServer] = []

    def start(routes: dict[str, Any]) -> StubServer:
        stub = StubServer(routes)
        stub.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(stub))
        stub.server.daemon_threads = True
        threading.Thread(target=stub.server.serve_forever, daemon=True).start()
        servers.append(stub.server)
        return stub

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port whose connections are accepted by the kernel and never answered."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield listener.getsockname()[1]


# --- redis-server -------------------------------------------------------------------------------


@dataclass
class RedisServer:
    url: str
    process: subprocess.Popen[bytes]

    def client(self, **options: Any) -> Any:
        import redis

        return redis.Redis.from_url(self.url, socket_timeout=5, **options)


@pytest.fixture(scope="session")
def launch_redis(tmp_path_factory: pytest.TempPathFactory, tls_files: TLSFiles) -> Iterator[Callable[..., RedisServer]]:
    """Factory: `launch(*args, tls=False, conf="")` starts redis-server on a free port in a tmpdir."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (.ci/run installs it with apt-get)")
    started: list[subprocess.Popen[bytes]] = []

    def launch(*args: str, tls: bool = False, conf: str = "", password: str = "") -> RedisServer:
        folder = tmp_path_factory.mktemp("redis")
        (folder / "redis.conf").write_text(conf)
        port = free_port()
        command: list[str] = [binary, str(folder / "redis.conf"), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no", "--dir", str(folder)]
        if tls:
            command += ["--port", "0", "--tls-port", str(port), "--tls-cert-file", str(tls_files.cert),
                        "--tls-key-file", str(tls_files.key), "--tls-ca-cert-file", str(tls_files.ca),
                        "--tls-auth-clients", "no"]
        else:
            command += ["--port", str(port)]
        if password:
            command += ["--requirepass", password]
        process = subprocess.Popen([*command, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started.append(process)
        server = RedisServer(f"{'rediss' if tls else 'redis'}://127.0.0.1:{port}/0", process)
        _wait_redis(server, password, tls_files.ca if tls else None)
        return server

    yield launch
    for process in started:
        process.terminate()
        process.wait(timeout=5)


def _wait_redis(server: RedisServer, password: str, ca: Path | None) -> None:
    import redis

    options: dict[str, Any] = {"password": password or None}
    if ca is not None:
        options["ssl_ca_certs"] = str(ca)
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline and server.process.poll() is None:
        try:
            if server.client(**options).ping():
                return
        except redis.exceptions.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError(f"redis-server did not start (exit {server.process.poll()})")
