"""The case folders (tests/cases/<CHECK-ID>/<outcome>-<name>/), each run with `pytest --readiness`.

One parametrized driver: each case is the smallest repo (and, for cluster checks, the smallest set of
live objects) that gives its check one outcome. See tests/case_folders.py for the layout.
"""

from __future__ import annotations

import ast
import re
import subprocess
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_readiness.catalog import load_catalog
from tests.case_azure import arm_ca, arm_ca_file, azure_args, azure_clients_loaded, emulated_arm  # noqa: F401
from tests.case_folders import (
    CASES,
    OUTCOMES,
    Case,
    all_check_functions,
    automated_check_ids,
    check_functions,
    discover,
)
from tests.case_image import image_input, podman  # noqa: F401  (fixture: engine cases)
from tests.conftest import ReadinessRun
from tests.live.conftest import (  # noqa: F401  (fixtures: the live targets)
    launch_redis,
    launch_service,
    make_token,
    service_secrets,
    stub_server,
    tls_files,
)

ALL_CASES = discover()  # READINESS_CASES limits the cases run, not the completeness tests below
EVERY_CASE = discover("")
CONTEXT = "cases"  # a result of a cluster case is keyed `cluster:cases:<Kind>/<name>`
NAMESPACE = "msft-agent"


_AGO = re.compile(r"@@AGO:(\d+)@@")


def _snapshot_text(path: Path) -> str:
    now = datetime.now(UTC)
    return _AGO.sub(lambda m: (now - timedelta(minutes=int(m.group(1)))).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session", autouse=True)
def http_client_loaded() -> None:
    """httpx's lazily imported transport modules (and redis's), loaded once before any pytester snapshot:
    pytester drops modules first imported during a test, and a re-imported httpcore raises exception classes
    that the httpx already loaded does not map (a refused connection would escape as httpcore.ConnectError)."""
    import http.server
    import threading

    import httpx
    import redis  # noqa: F401

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with httpx.Client(timeout=30) as client:
            client.get(f"http://127.0.0.1:{server.server_address[1]}/nothing-here")
        with pytest.raises(httpx.TransportError), httpx.Client(timeout=30) as client:
            server.shutdown()
            server.server_close()
            client.get(f"http://127.0.0.1:{server.server_address[1]}/")
    finally:
        server.server_close()


@pytest.fixture(scope="session")
def kube_client_loaded(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The kubernetes client's lazily imported modules, loaded once in this process (see tests/cluster)."""
    from pytest_readiness.sources.kube.cluster import ClusterTarget, load_snapshot
    from tests.emulators import kube_objects
    from tests.emulators.kube_api import KubeApiEmulator

    with KubeApiEmulator() as api:
        api.add_many(kube_objects.agent_stack())
        kubeconfig = api.write_kubeconfig(tmp_path_factory.mktemp("warm") / "kubeconfig")
        load_snapshot(ClusterTarget(str(kubeconfig), None, None)).close()


@pytest.fixture
def emulated_cluster(tmp_path: Path, kube_client_loaded: None) -> Iterator[Callable[[Case], tuple[str, ...]]]:
    """Serves a case's snapshot from a fresh emulator (one per call: cases never see each other's objects)."""
    from tests.emulators.kube_api import KubeApiEmulator

    with ExitStack() as running:
        def serve(case: Case) -> tuple[str, ...]:
            api = running.enter_context(KubeApiEmulator())
            for path in case.cluster:
                api.add_many(o for o in yaml.safe_load_all(_snapshot_text(path)) if o)
            namespace = str(case.settings.get("namespace", NAMESPACE))
            for (pod, container), text in case.pod_logs().items():
                api.set_logs(namespace, pod, container, text)
            for denial in case.settings.get("deny", []):  # "list events": that verb on that resource is a 403
                api.deny(*str(denial).split())
            kubeconfig = api.write_kubeconfig(tmp_path / f"kubeconfig-{id(api)}", context=CONTEXT)
            return (f"--readiness-kubeconfig={kubeconfig}", f"--readiness-kube-context={CONTEXT}",
                    f"--readiness-namespace={namespace}")

        yield serve


# The live targets are subprocesses on a loaded machine: time limits a case is not about are generous.
GENEROUS = ("--readiness-timeout=30", "--readiness-health-max-seconds=30", "--readiness-latency-p95-seconds=60")


def _stub_routes(path: Path) -> dict[str, Any]:
    routes: dict[str, Any] = {}
    for route, spec in tomllib.loads(path.read_text(encoding="utf-8")).items():
        headers = {"content-type": spec.get("type", "application/json"), **spec.get("headers", {})}
        first = (int(spec.get("status", 200)), headers, str(spec.get("body", "")).encode())
        if "after" in spec:
            then = (int(spec["then_status"]), first[1], str(spec.get("then_body", "")).encode())
            routes[route] = lambda count, a=int(spec["after"]), f=first, t=then: t if count > a else f
        else:
            routes[route] = first
    return routes


def live_args(case: Case, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Starts the live target a case names (reference service, stub server, redis-server); its arguments."""
    settings = case.settings
    args: list[str] = []
    if "service" in settings:
        spec = settings["service"]
        config = (case.folder / str(spec.get("config", "service.toml"))).read_text(encoding="utf-8")
        service = request.getfixturevalue("launch_service")(config, https=bool(spec.get("https", False)))
        make_token = request.getfixturevalue("make_token")
        for number, variable in enumerate(spec.get("users", [])):
            monkeypatch.setenv(variable, make_token(f"{case.name}-user-{number}"))
        for variable in spec.get("keys", []):
            monkeypatch.setenv(variable, request.getfixturevalue("service_secrets").api_key)
        misses, hits = spec.get("warm", (0, 0))
        if misses or hits:
            _warm(service, make_token(f"{case.name}-warm"), int(misses), int(hits))
        args += [*GENEROUS, f"--readiness-url={service.url}"]
        if service.ca is not None and spec.get("trust", True):
            args.append(f"--readiness-ca-bundle={service.ca}")
    if (case.folder / "stub.toml").exists():
        stub = request.getfixturevalue("stub_server")(_stub_routes(case.folder / "stub.toml"))
        url = stub.url.replace("http://", f"{settings.get('stub_scheme', 'http')}://")
        args += [*GENEROUS, f"--readiness-url={url}"]
    if "redis" in settings:
        args += _redis(settings["redis"], request, monkeypatch)
    return args


def _warm(service: Any, token: str, misses: int, hits: int) -> None:
    questions = [f"what is readiness, part {number}?" for number in range(misses)]
    with service.client() as client:
        for number in range(misses + hits):
            answer = client.post("/api/question", json={"question": questions[number % misses]},
                                 headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 200, answer.text


def _redis(spec: dict[str, Any], request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    import secrets

    tls = bool(spec.get("tls", False))
    password = secrets.token_urlsafe(24) if spec.get("password_env") else ""
    server = request.getfixturevalue("launch_redis")(*spec.get("args", []), tls=tls, password=password)
    ca = request.getfixturevalue("tls_files").ca
    options: dict[str, Any] = {"password": password or None}
    if tls:
        options["ssl_ca_certs"] = str(ca)
    hits, misses = spec.get("lookups", (0, 0))
    client = server.client(**options)
    client.set("answer:hello", "world")
    for _ in range(int(hits)):
        client.get("answer:hello")
    for number in range(int(misses)):
        client.get(f"answer:missing-{number}")
    args = ["--readiness-timeout=30", f"--readiness-redis-url={server.url}"]
    if tls:
        args.append(f"--readiness-ca-bundle={ca}")
    if password:
        monkeypatch.setenv(str(spec["password_env"]), password)
        args.append(f"--readiness-redis-password-env={spec['password_env']}")
    return args


def run_case(case: Case, run_readiness: Callable[..., ReadinessRun], request: pytest.FixtureRequest) -> str | None:
    """Run one case; what is wrong with its outcome, or None when the check gave what the folder says."""
    function = " or ".join(name for _, name in all_check_functions()[case.check_id])
    args: list[str] = []
    if case.settings.get("git"):  # a git work tree: the repo source lists what git tracks or would track
        project: Path = request.getfixturevalue("pytester").path
        subprocess.run(["git", "init", "-q", str(project)], check=True, capture_output=True, timeout=60)
    if case.cluster:
        args += request.getfixturevalue("emulated_cluster")(case)
    with pytest.MonkeyPatch.context() as monkeypatch:
        args += live_args(case, request, monkeypatch) + azure_args(case, request, monkeypatch)
        files, image_args = image_input(case, case.files(), request, monkeypatch)
        return _judge(case, run_readiness(files, "-k", function, *args, *image_args, *case.args))


def _judge(case: Case, run: ReadinessRun) -> str | None:
    results = run.of_check(case.check_id)
    if case.target is not None:
        results = {k: v for k, v in results.items() if k == f"{case.check_id}[{case.target}]"}
    if not results:
        return f"{case.check_id} did not run:\n{run.output[-3000:]}"
    wrong = {key: f"{status}: {run.messages[key][:600]}" for key, status in results.items() if status != case.outcome}
    if wrong:
        return f"expected {case.outcome} for every result of {case.check_id}: {wrong}"
    report = "\n".join(run.messages[key] for key in results) if case.outcome != "passed" else _evidence(run, case)
    missing = [line for line in case.expected if not line.startswith("!") and line not in report]
    if missing:
        return f"not in the report of {case.name}: {missing}\n{report[-3000:]}"
    unwanted = [line[1:] for line in case.expected if line.startswith("!") and line[1:] in report]
    if unwanted:
        return f"in the report of {case.name}, and must not be: {unwanted}\n{report[-3000:]}"
    return None


def _evidence(run: ReadinessRun, case: Case) -> str:
    """The evidence the case's check recorded in the JUnit XML (another check that -k selects has its own)."""
    lines = []
    for testcase in ET.fromstring(run.junit).iter("testcase"):
        properties = [(p.get("name"), p.get("value") or "") for p in testcase.iter("property")]
        if ("readiness_id", case.check_id) in properties:
            lines += [value for name, value in properties if name == "evidence"]
    return "\n".join(lines)


@pytest.mark.parametrize("case", ALL_CASES, ids=[c.name for c in ALL_CASES])
def test_case(case: Case, run_readiness: Callable[..., ReadinessRun], request: pytest.FixtureRequest) -> None:
    problem = run_case(case, run_readiness, request)
    assert problem is None, problem


def test_every_automated_check_has_a_pass_and_a_fail_case() -> None:
    by_check: dict[str, set[str]] = {}
    for case in EVERY_CASE:
        by_check.setdefault(case.check_id, set()).add(case.outcome)
    lacking = {check_id: sorted({"passed", "failed"} - by_check.get(check_id, set()))
               for check_id in automated_check_ids() if not {"passed", "failed"} <= by_check.get(check_id, set())}
    assert not lacking, f"checks lacking cases in tests/cases/: {lacking}"


# Fixtures every run has: a check taking only these reads no optional input.
ALWAYS_PRESENT = frozenset({"repo", "readiness_settings", "evidence", "request", "pytestconfig"})
# Checks that read an optional input but need no unverified case, each with the reason.
NO_UNVERIFIED_CASE = {
    "OBS-DASHBOARDS": "reads the repo; the manifests it takes through `request` are one more place to look, "
                      "so their absence leaves a verdict, not an unknown",
}


def _reads_optional_input(check_id: str) -> bool:
    module, name = check_functions()[check_id]
    tree = ast.parse(module.read_text(encoding="utf-8"))
    function = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)
    calls_unverified = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "unverified"
                           for n in ast.walk(function))
    arguments = {a.arg for a in function.args.args}
    return calls_unverified or bool(arguments - ALWAYS_PRESENT) or "request" in arguments


def test_every_check_that_reads_an_optional_input_has_an_unverified_case() -> None:
    outcomes: dict[str, set[str]] = {}
    for case in EVERY_CASE:
        outcomes.setdefault(case.check_id, set()).add(case.outcome)
    lacking = [check_id for check_id in automated_check_ids() if check_id not in NO_UNVERIFIED_CASE
               and _reads_optional_input(check_id) and "unverified" not in outcomes.get(check_id, set())]
    assert lacking == [], f"add tests/cases/<ID>/unverified-<name>/ for {lacking}"
    assert _reads_optional_input("SEC-NON-ROOT") and not _reads_optional_input("OPS-CI-BUILD")


def test_every_case_folder_names_a_catalog_check_and_an_outcome() -> None:
    catalog = load_catalog()
    functions = check_functions()
    for folder in (p for p in CASES.iterdir() if p.is_dir() and not p.name.startswith("_")):
        assert folder.name in catalog and folder.name in functions, f"{folder.name} is no automated check"
        for case in folder.iterdir():
            assert case.name.split("-", 1)[0] in OUTCOMES, f"{case}: prefix one of {sorted(OUTCOMES)}"
            assert any(p.is_file() for p in case.rglob("*")), f"{case} is empty"
