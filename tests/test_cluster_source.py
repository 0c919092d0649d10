"""The cluster source: `load_snapshot` through a kubeconfig file against the loopback API emulator."""

from __future__ import annotations

import base64
import json
import socket
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import pytest
import trustme
import yaml
from kubernetes.client import Configuration

from pytest_readiness.api import SourceError
from pytest_readiness.sources.kube import cluster
from pytest_readiness.sources.kube.cluster import (
    COLLECTED_KINDS,
    ClusterSnapshot,
    ClusterTarget,
    ClusterUnavailable,
    load_snapshot,
)
from pytest_readiness.sources.kube.model import ObjectSet
from tests.emulators import kube_objects as k
from tests.emulators.kube_api import KubeApiEmulator

NS = k.NAMESPACE
MUST_NOT_LEAK = "value-that-must-not-reach-a-report"
HANG_GUARD = 30  # seconds; a safety net against a hanging load, not a performance assertion
T = TypeVar("T")


@pytest.fixture
def api() -> Iterator[KubeApiEmulator]:
    with KubeApiEmulator() as emulator:
        yield emulator


@pytest.fixture
def kubeconfig(api: KubeApiEmulator, tmp_path: Path) -> Path:
    return api.write_kubeconfig(tmp_path / "kubeconfig", context="aks-prod", namespace=NS)


def target(kubeconfig: Path | str | None, context: str | None = None, namespace: str | None = None) -> ClusterTarget:
    return ClusterTarget(str(kubeconfig) if kubeconfig else None, context, namespace)


def snapshot_of(kubeconfig: Path, *, page_size: int = 500, timeout: float = 10) -> ClusterSnapshot:
    return load_snapshot(target(kubeconfig), page_size=page_size, timeout=timeout)


def bounded(call: Callable[[], T]) -> T:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result(timeout=HANG_GUARD)


def test_every_kind_is_listed_as_cluster_objects(api: KubeApiEmulator, kubeconfig: Path) -> None:
    api.add_many(k.agent_stack())
    api.add(k.deployment("elsewhere", "other"))

    snapshot = snapshot_of(kubeconfig)

    assert isinstance(snapshot, ObjectSet) and snapshot.name == "cluster:aks-prod"
    assert (snapshot.context, snapshot.namespace, snapshot.server) == ("aks-prod", NS, api.url)
    assert snapshot.denied == {}
    assert {kind for kind in COLLECTED_KINDS if snapshot.of_kind(kind)} == set(COLLECTED_KINDS)
    assert all(obj.origin == "cluster" for obj in snapshot.objects)
    assert "elsewhere" not in [d.name for d in snapshot.of_kind("Deployment")]
    assert [w.ref for w in snapshot.workloads()][:4] == [
        "Deployment/msft-agent", "StatefulSet/redis", "DaemonSet/otel-collector", "ReplicaSet/msft-agent-7d9f8c6b5d",
    ]


def test_objects_keep_kind_status_and_a_cluster_location(api: KubeApiEmulator, kubeconfig: Path) -> None:
    api.add_many(k.agent_stack())

    snapshot = snapshot_of(kubeconfig)
    deployment = snapshot.require("Deployment")[0]
    pods = {p.name: p for p in snapshot.require("Pod")}
    node = snapshot.require("Node")[0]
    hpa = snapshot.require("HorizontalPodAutoscaler")[0]

    assert (deployment.kind, deployment.api_version) == ("Deployment", "apps/v1")
    assert str(deployment.location) == "cluster:aks-prod/msft-agent/Deployment/msft-agent"
    assert str(node.location) == "cluster:aks-prod/Node/aks-agentpool-31207608-vmss000000"
    assert node.labels["topology.kubernetes.io/zone"] == "westeurope-1"
    assert pods["msft-agent-7d9f8c6b5d-b7m4t"].body["status"]["containerStatuses"][0]["restartCount"] == 4
    assert snapshot.require("PodDisruptionBudget")[0].body["status"]["disruptionsAllowed"] == 1
    assert hpa.body["status"]["currentMetrics"][0]["resource"]["current"]["averageUtilization"] == 42
    assert hpa.api_version == "autoscaling/v2"
    assert "managedFields" not in deployment.metadata


def test_pagination_lists_everything_with_one_request_per_page(api: KubeApiEmulator, kubeconfig: Path) -> None:
    api.add_many(k.deployment(f"web-{i}") for i in range(5))

    snapshot = snapshot_of(kubeconfig, page_size=2)

    deployment_requests = [r for r in api.requests if r.path.endswith("/deployments")]
    assert [d.name for d in snapshot.of_kind("Deployment")] == [f"web-{i}" for i in range(5)]
    assert len(deployment_requests) == 3
    assert [bool(r.query.get("continue")) for r in deployment_requests] == [False, True, True]
    assert all(r.query["limit"] == "2" for r in api.requests)
    assert snapshot.request_count == len(api.requests) == 3 + len(COLLECTED_KINDS) - 1


def test_looking_objects_up_makes_no_requests(api: KubeApiEmulator, kubeconfig: Path) -> None:
    api.add_many(k.agent_stack())
    snapshot = snapshot_of(kubeconfig)
    listed = len(api.requests)

    for _ in range(50):
        for kind in COLLECTED_KINDS:
            snapshot.require(kind)
        snapshot.workloads()

    assert len(api.requests) == listed == len(COLLECTED_KINDS) == snapshot.request_count


def test_a_denied_kind_is_recorded_and_the_rest_still_load(api: KubeApiEmulator, kubeconfig: Path) -> None:
    api.add_many(k.agent_stack())
    api.deny("list", "deployments", namespace=NS)

    snapshot = snapshot_of(kubeconfig)

    assert snapshot.denied == {"Deployment": "no permission to list deployments in namespace msft-agent"}
    assert snapshot.of_kind("Deployment") == []
    with pytest.raises(ClusterUnavailable, match="no permission to list deployments in namespace msft-agent"):
        snapshot.require("Deployment")
    assert len(snapshot.require("Pod")) == 3
    assert {o.kind for o in snapshot.objects} == set(COLLECTED_KINDS) - {"Deployment"}


def test_denied_nodes_only_mark_nodes(api: KubeApiEmulator, kubeconfig: Path) -> None:
    api.add_many(k.agent_stack())
    api.deny("list", "nodes")

    snapshot = snapshot_of(kubeconfig)

    assert snapshot.denied == {"Node": "no permission to list nodes (cluster-scoped)"}
    assert snapshot.require("Deployment")


def test_an_unknown_kind_is_a_programming_error(api: KubeApiEmulator, kubeconfig: Path) -> None:
    snapshot = snapshot_of(kubeconfig)

    with pytest.raises(ValueError, match="CronJob is not collected"):
        snapshot.require("CronJob")


def test_every_request_is_a_get(api: KubeApiEmulator, kubeconfig: Path) -> None:
    api.add_many(k.agent_stack())

    snapshot = snapshot_of(kubeconfig, page_size=1)
    snapshot.pod_logs(snapshot.require("Pod")[0], "agent")

    assert len(api.requests) > len(COLLECTED_KINDS)
    assert {r.method for r in api.requests} == {"GET"}


def test_config_map_values_are_blanked(api: KubeApiEmulator, kubeconfig: Path) -> None:
    settings = k.config_map("agent-settings", data={"REDIS_PASSWORD": MUST_NOT_LEAK, "LOG_LEVEL": "INFO"})
    settings["binaryData"] = {"cert.der": "dmFsdWUtdGhhdC1tdXN0LW5vdC1yZWFjaC1hLXJlcG9ydA=="}
    settings["metadata"]["annotations"] = {cluster.LAST_APPLIED: json.dumps(settings)}
    api.add(settings)

    snapshot = snapshot_of(kubeconfig)
    config_map = snapshot.require("ConfigMap")[0]

    assert config_map.body["data"] == {"REDIS_PASSWORD": "", "LOG_LEVEL": ""}
    assert config_map.body["binaryData"] == {"cert.der": ""}
    assert config_map.annotations[cluster.LAST_APPLIED] == ""
    assert MUST_NOT_LEAK not in json.dumps([o.body for o in snapshot.objects])


def test_pod_logs_are_a_bounded_tail_fetched_once(api: KubeApiEmulator, kubeconfig: Path) -> None:
    api.add_many(k.agent_stack())
    pod_name = "msft-agent-7d9f8c6b5d-x2k9q"
    api.set_logs(NS, pod_name, "agent", "".join(f"request {i} served\n" for i in range(1000)))
    snapshot = snapshot_of(kubeconfig)
    pod = next(p for p in snapshot.require("Pod") if p.name == pod_name)
    listed = len(api.requests)

    first = snapshot.pod_logs(pod, "agent")
    again = snapshot.pod_logs(pod, "agent")
    short = snapshot.pod_logs(pod, "agent", tail_lines=2)

    assert first == again == "".join(f"request {i} served\n" for i in range(800, 1000))
    assert short == "request 998 served\nrequest 999 served\n"
    log_requests = api.requests[listed:]
    assert [r.path for r in log_requests] == [f"/api/v1/namespaces/{NS}/pods/{pod_name}/log"] * 2
    assert log_requests[0].query == {"container": "agent", "tailLines": "200",
                                     "limitBytes": str(cluster.LOG_LIMIT_BYTES)}
    assert snapshot.request_count == len(api.requests)


def test_denied_pod_logs_raise_once(api: KubeApiEmulator, kubeconfig: Path) -> None:
    api.add_many(k.agent_stack())
    api.deny("get", "pods/log", namespace=NS)
    snapshot = snapshot_of(kubeconfig)
    pod = snapshot.require("Pod")[0]

    for _ in range(3):
        with pytest.raises(ClusterUnavailable, match=f"no permission to read logs of pod {pod.name}"):
            snapshot.pod_logs(pod, "agent")

    assert sum(r.path.endswith("/log") for r in api.requests) == 1


def test_unreachable_server_fails_fast_with_a_clear_message(tmp_path: Path) -> None:
    with KubeApiEmulator() as stopped:
        kubeconfig = stopped.write_kubeconfig(tmp_path / "kubeconfig")
        url = stopped.url

    with pytest.raises(ClusterUnavailable) as error:
        bounded(lambda: snapshot_of(kubeconfig))

    assert str(error.value) == f"cluster: cannot reach the Kubernetes API server at {url}: connection refused"
    assert isinstance(error.value, SourceError)


def test_a_silent_server_times_out_after_one_attempt(tmp_path: Path, api: KubeApiEmulator) -> None:
    accepted: list[socket.socket] = []
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def accept() -> None:
        while True:
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    path = api.write_kubeconfig(tmp_path / "kubeconfig")
    path.write_text(path.read_text().replace(api.url, f"http://127.0.0.1:{port}"))
    try:
        with pytest.raises(ClusterUnavailable, match=r"at http://127\.0\.0\.1:\d+: no response within 0\.3s"):
            bounded(lambda: snapshot_of(path, timeout=0.3))
    finally:
        listener.close()
        for connection in accepted:
            connection.close()

    assert len(accepted) == 1  # no retries


def test_rejected_credentials(api: KubeApiEmulator, kubeconfig: Path) -> None:
    config = yaml.safe_load(kubeconfig.read_text())
    config["users"][0]["user"]["token"] = "expired-token"
    kubeconfig.write_text(yaml.safe_dump(config))

    with pytest.raises(ClusterUnavailable, match="rejected the credentials of context aks-prod"):
        snapshot_of(kubeconfig)

    assert len(api.requests) == 1


def test_missing_kubeconfig_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "kubeconfig"

    with pytest.raises(ClusterUnavailable, match=f"kubeconfig {missing} does not exist"):
        load_snapshot(target(missing))


def test_missing_context_is_named_with_the_available_ones(kubeconfig: Path) -> None:
    with pytest.raises(ClusterUnavailable, match=r"context aks-staging is not in kubeconfig .* \(contexts: aks-prod\)"):
        load_snapshot(target(kubeconfig, context="aks-staging"))


def test_default_loading_rules_follow_kubeconfig_env(
    api: KubeApiEmulator, kubeconfig: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.add(k.deployment("web"))
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))

    snapshot = load_snapshot(target(None))

    assert [d.name for d in snapshot.of_kind("Deployment")] == ["web"]
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig.parent / "absent"))
    with pytest.raises(ClusterUnavailable, match="cannot read kubeconfig"):
        load_snapshot(target(None))


def test_namespace_defaults(api: KubeApiEmulator, tmp_path: Path) -> None:
    api.add_many([k.deployment("in-default", "default"), k.deployment("in-agent")])
    without_namespace = api.write_kubeconfig(tmp_path / "kubeconfig")

    fallback = load_snapshot(target(without_namespace))
    chosen = load_snapshot(target(without_namespace, namespace=NS))

    assert (fallback.namespace, [d.name for d in fallback.of_kind("Deployment")]) == ("default", ["in-default"])
    assert (chosen.namespace, [d.name for d in chosen.of_kind("Deployment")]) == (NS, ["in-agent"])


def test_the_global_client_configuration_is_untouched(api: KubeApiEmulator, kubeconfig: Path) -> None:
    before = Configuration.get_default_copy().host

    snapshot_of(kubeconfig)

    assert Configuration.get_default_copy().host == before != api.url


def test_tls_failure_is_reported(tmp_path: Path) -> None:
    with KubeApiEmulator(tls=trustme.CA()) as api:
        path = api.write_kubeconfig(tmp_path / "kubeconfig")
        config = yaml.safe_load(path.read_text())
        other_ca = trustme.CA().cert_pem.bytes()
        config["clusters"][0]["cluster"]["certificate-authority-data"] = base64.b64encode(other_ca).decode()
        path.write_text(yaml.safe_dump(config))

        with pytest.raises(ClusterUnavailable, match=r"TLS failed.*certificate verify failed"):
            bounded(lambda: load_snapshot(target(path)))


def test_in_cluster_service_account(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ca = trustme.CA()
    with KubeApiEmulator(tls=ca) as api:
        api.add_many(k.agent_stack())
        account = tmp_path / "serviceaccount"
        account.mkdir()
        (account / "token").write_text(api.token)
        (account / "namespace").write_text(NS)
        ca.cert_pem.write_to_path(str(account / "ca.crt"))
        monkeypatch.setattr(cluster, "SERVICE_ACCOUNT_DIR", account)
        monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
        monkeypatch.setenv("KUBERNETES_SERVICE_PORT", api.url.rsplit(":", 1)[1])

        snapshot = load_snapshot(ClusterTarget(None, None, None, in_cluster=True))

    assert (snapshot.context, snapshot.namespace) == ("in-cluster", NS)
    assert snapshot.server.startswith("https://127.0.0.1:")
    assert len(snapshot.require("Pod")) == 3


def test_in_cluster_outside_a_pod(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cluster, "SERVICE_ACCOUNT_DIR", tmp_path)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)

    with pytest.raises(ClusterUnavailable, match="no in-cluster service account"):
        load_snapshot(ClusterTarget(None, None, None, in_cluster=True))


# --- the raw JSON path: what the API server sends is what the checks see --------------------------

def test_objects_are_the_servers_json_not_the_clients_models(api: KubeApiEmulator, kubeconfig: Path) -> None:
    unusual = k.deployment("web")
    unusual["spec"]["newerField"] = {"introducedIn": "v1.99"}  # unknown to the client's models
    del unusual["spec"]["selector"]  # required by the client's models: they would reject the whole list
    api.add(unusual)

    snapshot = snapshot_of(kubeconfig)
    deployment = snapshot.require("Deployment")[0]

    assert snapshot.denied == {}
    assert deployment.spec["newerField"] == {"introducedIn": "v1.99"}
    assert "selector" not in deployment.spec
    assert deployment.metadata["creationTimestamp"].endswith("Z")  # the server's timestamp, as sent
    assert list(deployment.body)[:2] == ["apiVersion", "kind"]


@pytest.mark.parametrize(("body", "problem"), [
    (b"<html><body>502 Bad Gateway</body></html>",
     "an HTML or XML page, not JSON (a proxy or a login page in front of the API server?)"),
    (json.dumps({"kind": "Status", "data": {"REDIS_PASSWORD": MUST_NOT_LEAK}}).encode(),
     "a JSON dict that is not a List of objects"),
    (json.dumps({"kind": "ConfigMapList", "items": [MUST_NOT_LEAK]}).encode(),
     "a JSON dict that is not a List of objects"),
], ids=["html", "not-a-list", "items-not-objects"])
def test_a_body_that_is_no_list_marks_its_kind_unreadable(api: KubeApiEmulator, kubeconfig: Path, body: bytes,
                                                         problem: str) -> None:
    api.add_many(k.agent_stack())
    api.serve_raw(f"/api/v1/namespaces/{NS}/configmaps", body)

    snapshot = snapshot_of(kubeconfig)

    assert snapshot.denied == {"ConfigMap": f"the API server returned configmaps that cannot be read: {problem}"}
    assert MUST_NOT_LEAK not in snapshot.denied["ConfigMap"]
    assert len(snapshot.require("Pod")) == 3
    with pytest.raises(ClusterUnavailable, match="configmaps that cannot be read"):
        snapshot.require("ConfigMap")


def test_a_log_cut_inside_a_character_is_still_text(api: KubeApiEmulator, kubeconfig: Path) -> None:
    api.add_many(k.agent_stack())
    snapshot = snapshot_of(kubeconfig)
    pod = snapshot.require("Pod")[0]
    api.serve_raw(f"/api/v1/namespaces/{NS}/pods/{pod.name}/log", "ERROR café".encode()[:-1], "text/plain")

    assert snapshot.pod_logs(pod, "agent") == "ERROR caf\ufffd"


class _StallingServer:
    """Answers every request with headers and half a JSON body, then holds the connection open or closes it."""

    def __init__(self, close: bool) -> None:
        self.close_early = close
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}"

    def _serve(self) -> None:
        while True:
            try:
                connection = self.listener.accept()[0]
            except OSError:
                return
            self.connections.append(connection)
            request = b""
            while b"\r\n\r\n" not in request:
                request += connection.recv(4096)
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n"
                               b'{"kind": "DeploymentList", "items": [')
            if self.close_early:
                connection.close()

    def stop(self) -> None:
        self.listener.close()
        for connection in self.connections:
            connection.close()


@pytest.mark.parametrize(("close", "problem"), [
    (False, r"no response within 0\.3s"),
    (True, "the connection closed before the response was complete"),
], ids=["stalls", "closes"])
def test_a_body_that_stops_halfway_is_an_unreachable_server(api: KubeApiEmulator, tmp_path: Path, close: bool,
                                                            problem: str) -> None:
    server = _StallingServer(close)
    path = api.write_kubeconfig(tmp_path / "kubeconfig")
    path.write_text(path.read_text().replace(api.url, server.url))
    try:
        with pytest.raises(ClusterUnavailable, match=rf"at {server.url}: {problem}"):
            bounded(lambda: snapshot_of(path, timeout=0.3))
    finally:
        server.stop()

    assert len(server.connections) == 1  # no retries


# --- kubeconfig files that are not kubeconfigs -----------------------------------------------------

@pytest.mark.parametrize(("text", "problem"), [
    ("clusters: [\n  - name: emulator\n", "line 2: expected the node content, but found '-'"),
    ("apiVersion: v1\n\tkind: Config\n", "line 2: found character '\\t' that cannot start any token"),
    ("apiVersion: v1\nkind: Config\ncurrent-context: a\ncurrent-context: [\n", "line 5: expected the node content"),
], ids=["flow", "tab", "unclosed"])
def test_a_kubeconfig_that_is_not_yaml_is_named_with_its_line(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "kubeconfig"
    path.write_text(text)

    with pytest.raises(ClusterUnavailable) as error:
        load_snapshot(target(path))

    assert error.value.reason.startswith(f"cannot read kubeconfig {path}: {problem}")


@pytest.mark.parametrize("text", ["just a sentence\n", "- one\n- two\n", "contexts: 5\ncurrent-context: x\n"],
                         ids=["scalar", "list", "contexts-not-a-list"])
def test_yaml_that_is_not_a_kubeconfig_is_named(tmp_path: Path, text: str) -> None:
    path = tmp_path / "kubeconfig"
    path.write_text(text)

    with pytest.raises(ClusterUnavailable, match=f"cannot read kubeconfig {path}: not a kubeconfig"):
        load_snapshot(target(path))
