"""The Kubernetes API emulator, driven by the real `kubernetes` client through a kubeconfig file."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import trustme
import yaml
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from tests.emulators import kube_objects as k
from tests.emulators.kube_api import KubeApiEmulator

NS = k.NAMESPACE


@dataclass
class Clients:
    """The client's API objects; typed Any because the tests walk optional model fields freely."""

    core: Any
    apps: Any
    policy: Any
    autoscaling: Any
    networking: Any
    api_client: Any


def connect(kubeconfig: Path) -> Clients:
    api_client: Any = config.new_client_from_config(  # type: ignore[no-untyped-call]
        config_file=str(kubeconfig), persist_config=False
    )
    return Clients(
        client.CoreV1Api(api_client),
        client.AppsV1Api(api_client),
        client.PolicyV1Api(api_client),
        client.AutoscalingV2Api(api_client),
        client.NetworkingV1Api(api_client),
        api_client,
    )


@pytest.fixture
def api() -> Iterator[KubeApiEmulator]:
    with KubeApiEmulator() as emulator:
        yield emulator


@pytest.fixture
def kube(api: KubeApiEmulator, tmp_path: Path) -> Iterator[Clients]:
    clients = connect(api.write_kubeconfig(tmp_path / "kubeconfig", namespace=NS))
    yield clients
    clients.api_client.close()


def status_of(error: pytest.ExceptionInfo[ApiException]) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(error.value.body or "")
    return body


def names(items: list[Any]) -> list[str]:
    return [item.metadata.name for item in items]


def test_discovery_and_version(kube: Clients) -> None:
    version: Any = client.VersionApi(kube.api_client).get_code()
    groups: Any = client.ApisApi(kube.api_client).get_api_versions()
    core_resources = kube.core.get_api_resources()

    assert version.git_version == "v1.30.6"
    assert {g.name for g in groups.groups} == {"apps", "policy", "autoscaling", "networking.k8s.io"}
    assert {"pods", "pods/log", "nodes", "events", "configmaps"} <= {r.name for r in core_resources.resources}


def test_every_builder_is_served_schema_valid_with_its_status(api: KubeApiEmulator, kube: Clients) -> None:
    api.add_many(k.agent_stack())

    pods = {p.metadata.name: p for p in kube.core.list_namespaced_pod(NS).items}
    nodes = kube.core.list_node().items
    pdb = kube.policy.list_namespaced_pod_disruption_budget(NS).items[0]
    hpa = kube.autoscaling.list_namespaced_horizontal_pod_autoscaler(NS).items[0]
    event = kube.core.list_namespaced_event(NS).items[0]

    restarted = pods["msft-agent-7d9f8c6b5d-b7m4t"].status
    assert restarted.container_statuses[0].restart_count == 4
    assert restarted.container_statuses[0].last_state.terminated.reason == "OOMKilled"
    assert {c.type for c in restarted.conditions} >= {"Ready", "ContainersReady", "PodScheduled"}
    assert {p.spec.node_name for p in pods.values()} == set(names(nodes))
    assert sorted(n.metadata.labels["topology.kubernetes.io/zone"] for n in nodes) == list(k.ZONES)
    assert pdb.status.disruptions_allowed == 1
    assert hpa.spec.scale_target_ref.name == "msft-agent" and hpa.spec.max_replicas == 10
    assert hpa.status.current_metrics[0].resource.current.average_utilization == 42
    assert event.involved_object.name == "msft-agent-7d9f8c6b5d-b7m4t" and event.type == "Warning"
    for lister in (kube.apps.list_namespaced_deployment, kube.apps.list_namespaced_replica_set,
                   kube.apps.list_namespaced_stateful_set, kube.apps.list_namespaced_daemon_set,
                   kube.core.list_namespaced_service, kube.core.list_namespaced_service_account,
                   kube.core.list_namespaced_config_map, kube.networking.list_namespaced_ingress,
                   kube.networking.list_namespaced_network_policy):
        assert lister(NS).items, lister.__name__


def test_lists_are_real_list_objects_whose_items_lack_kind(api: KubeApiEmulator, kube: Clients) -> None:
    api.add(k.deployment("web"))

    body = json.loads(kube.apps.list_namespaced_deployment(NS, _preload_content=False).data)

    assert (body["kind"], body["apiVersion"]) == ("DeploymentList", "apps/v1")
    assert int(body["metadata"]["resourceVersion"]) > 0
    assert [item["metadata"]["name"] for item in body["items"]] == ["web"]
    assert "kind" not in body["items"][0] and "apiVersion" not in body["items"][0]
    assert body["items"][0]["metadata"]["resourceVersion"]


def test_pagination_with_limit_and_continue(api: KubeApiEmulator, kube: Clients) -> None:
    api.add_many(k.deployment(f"web-{i}") for i in range(5))

    pages = [kube.apps.list_namespaced_deployment(NS, limit=2)]
    while pages[-1].metadata.var_continue:
        pages.append(kube.apps.list_namespaced_deployment(NS, limit=2, _continue=pages[-1].metadata.var_continue))

    assert [names(p.items) for p in pages] == [["web-0", "web-1"], ["web-2", "web-3"], ["web-4"]]
    assert [p.metadata.remaining_item_count for p in pages] == [3, 1, None]
    assert [r.query.get("limit") for r in api.requests] == ["2", "2", "2"]


def test_a_bad_continue_token_is_a_bad_request(kube: Clients) -> None:
    with pytest.raises(ApiException) as error:
        kube.apps.list_namespaced_deployment(NS, limit=2, _continue="not-a-token")

    assert error.value.status == 400
    assert status_of(error)["reason"] == "BadRequest"


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("app=web", ["a", "b"]),
        ("app==web", ["a", "b"]),
        ("app!=web", ["c", "d", "e"]),
        ("app in (db,cache)", ["c", "d"]),
        ("app notin (web, db)", ["d", "e"]),
        ("legacy", ["d"]),
        ("!legacy", ["a", "b", "c", "e"]),
        ("app=web,tier!=backend", ["a"]),
        ("app in (web),tier in (backend,batch)", ["b"]),
        ("example.com/team=agents", ["e"]),
        ("", ["a", "b", "c", "d", "e"]),
    ],
)
def test_label_selectors(api: KubeApiEmulator, kube: Clients, selector: str, expected: list[str]) -> None:
    labels = {
        "a": {"app": "web", "tier": "frontend"},
        "b": {"app": "web", "tier": "backend"},
        "c": {"app": "db"},
        "d": {"app": "cache", "legacy": "true"},
        "e": {"example.com/team": "agents"},
    }
    api.add_many(k.deployment(name, labels=value) for name, value in labels.items())

    assert names(kube.apps.list_namespaced_deployment(NS, label_selector=selector).items) == expected


def test_an_invalid_label_selector_is_a_bad_request(kube: Clients) -> None:
    with pytest.raises(ApiException) as error:
        kube.apps.list_namespaced_deployment(NS, label_selector="app in web")

    assert error.value.status == 400


def test_field_selectors(api: KubeApiEmulator, kube: Clients) -> None:
    current = k.replica_set(k.deployment())
    api.add_many([k.pod(current, "aaaaa", node_name="node-1"), k.pod(current, "bbbbb", node_name="node-2"),
                  k.deployment("web"), k.deployment("web", "other")])

    by_name = kube.apps.list_deployment_for_all_namespaces(field_selector="metadata.name=web")
    by_namespace = kube.apps.list_deployment_for_all_namespaces(field_selector="metadata.namespace!=other")
    by_node = kube.core.list_namespaced_pod(NS, field_selector="spec.nodeName=node-2")

    assert [(d.metadata.namespace, d.metadata.name) for d in by_name.items] == [(NS, "web"), ("other", "web")]
    assert [d.metadata.namespace for d in by_namespace.items] == [NS]
    assert names(by_node.items) == ["msft-agent-7d9f8c6b5d-bbbbb"]
    with pytest.raises(ApiException) as error:
        kube.apps.list_namespaced_deployment(NS, field_selector="spec.replicas=3")
    assert "field label not supported" in status_of(error)["message"]


def test_namespaced_and_all_namespace_lists(api: KubeApiEmulator, kube: Clients) -> None:
    api.add_many([k.deployment("web"), k.deployment("api", "other")])

    assert names(kube.apps.list_namespaced_deployment(NS).items) == ["web"]
    assert names(kube.apps.list_namespaced_deployment("empty").items) == []
    assert names(kube.apps.list_deployment_for_all_namespaces().items) == ["web", "api"]  # by namespace
    assert api.requests[-1].path == "/apis/apps/v1/deployments"


def test_get_by_name_and_404_status(api: KubeApiEmulator, kube: Clients) -> None:
    api.add(k.deployment("web"))

    found = kube.apps.read_namespaced_deployment("web", NS)
    with pytest.raises(ApiException) as error:
        kube.apps.read_namespaced_deployment("missing", NS)

    assert (found.kind, found.api_version, found.spec.replicas) == ("Deployment", "apps/v1", 3)
    assert error.value.status == 404
    assert status_of(error) == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": 'deployments.apps "missing" not found', "reason": "NotFound",
        "details": {"name": "missing", "group": "apps", "kind": "deployments"}, "code": 404,
    }


def test_denied_list_is_a_403_status_like_the_api_server(api: KubeApiEmulator, kube: Clients) -> None:
    api.add_many([k.deployment("web"), k.deployment("web", "other")])
    api.deny("list", "deployments", namespace=NS)

    with pytest.raises(ApiException) as error:
        kube.apps.list_namespaced_deployment(NS)

    assert error.value.status == 403
    assert status_of(error) == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": 'deployments.apps is forbidden: User "system:serviceaccount:ci:readiness" cannot list '
                   'resource "deployments" in API group "apps" in the namespace "msft-agent"',
        "reason": "Forbidden", "details": {"group": "apps", "kind": "deployments"}, "code": 403,
    }
    assert names(kube.apps.list_namespaced_deployment("other").items) == ["web"]
    assert names(kube.core.list_namespaced_pod(NS).items) == []


def test_denied_cluster_scoped_list(api: KubeApiEmulator, kube: Clients) -> None:
    api.deny("list", "nodes")

    with pytest.raises(ApiException) as error:
        kube.core.list_node()

    assert status_of(error)["message"].endswith('cannot list resource "nodes" in API group "" at the cluster scope')


def test_pod_logs(api: KubeApiEmulator, kube: Clients) -> None:
    current = k.replica_set(k.deployment())
    api.add(k.pod(current, "aaaaa"))
    pod = "msft-agent-7d9f8c6b5d-aaaaa"
    api.set_logs(NS, pod, "agent", "".join(f"line {i}\n" for i in range(10)))

    tail = kube.core.read_namespaced_pod_log(pod, NS, container="agent", tail_lines=3)
    whole = kube.core.read_namespaced_pod_log(pod, NS, since_seconds=60)
    limited = kube.core.read_namespaced_pod_log(pod, NS, container="agent", limit_bytes=7)

    assert tail == "line 7\nline 8\nline 9\n"
    assert whole.count("\n") == 10
    assert limited == "line 0\n"
    assert api.requests[0].query == {"container": "agent", "tailLines": "3"}


@pytest.mark.parametrize(
    ("pod", "query", "status"),
    [
        ("msft-agent-7d9f8c6b5d-aaaaa", {"container": "sidecar"}, 400),
        ("msft-agent-7d9f8c6b5d-aaaaa", {"since_seconds": 0}, 400),
        ("msft-agent-7d9f8c6b5d-aaaaa", {"previous": True}, 400),
        ("missing", {}, 404),
    ],
)
def test_pod_log_errors(api: KubeApiEmulator, kube: Clients, pod: str, query: dict[str, Any], status: int) -> None:
    api.add(k.pod(k.replica_set(k.deployment()), "aaaaa"))

    with pytest.raises(ApiException) as error:
        kube.core.read_namespaced_pod_log(pod, NS, **query)

    assert error.value.status == status


def test_a_pod_with_two_containers_needs_a_container_name(api: KubeApiEmulator, kube: Clients) -> None:
    two = k.deployment(containers=[k.container("agent"), k.container("proxy", "envoyproxy/envoy:v1.31.2")])
    api.add(k.pod(k.replica_set(two), "aaaaa"))

    with pytest.raises(ApiException) as error:
        kube.core.read_namespaced_pod_log("msft-agent-7d9f8c6b5d-aaaaa", NS)

    assert "choose one of: [agent proxy]" in status_of(error)["message"]


def test_denied_pod_logs(api: KubeApiEmulator, kube: Clients) -> None:
    api.add(k.pod(k.replica_set(k.deployment()), "aaaaa"))
    api.deny("get", "pods/log", namespace=NS)

    with pytest.raises(ApiException) as error:
        kube.core.read_namespaced_pod_log("msft-agent-7d9f8c6b5d-aaaaa", NS, container="agent")

    assert error.value.status == 403
    assert 'cannot get resource "pods/log"' in status_of(error)["message"]


def test_logs_of_a_pod_on_a_node_that_stopped_reporting_are_a_kubelet_dial_error(
        api: KubeApiEmulator, kube: Clients) -> None:
    api.add(k.node("aks-agentpool-31207608-vmss000000", ready=False))
    api.add(k.pod(k.replica_set(k.deployment()), "aaaaa", node_name="aks-agentpool-31207608-vmss000000"))

    with pytest.raises(ApiException) as error:
        kube.core.read_namespaced_pod_log("msft-agent-7d9f8c6b5d-aaaaa", NS, container="agent", tail_lines=5)

    status = status_of(error)
    assert error.value.status == 500 and "reason" not in status
    assert status["message"] == ('Get "https://10.224.0.4:10250/containerLogs/msft-agent/msft-agent-7d9f8c6b5d-aaaaa/'
                                 'agent?tailLines=5": dial tcp 10.224.0.4:10250: i/o timeout')


def test_every_write_is_refused_with_405_and_recorded(api: KubeApiEmulator, kube: Clients) -> None:
    api.add(k.deployment("web"))
    writes: list[Callable[[], Any]] = [
        lambda: kube.apps.create_namespaced_deployment(NS, k.deployment("new")),
        lambda: kube.apps.patch_namespaced_deployment("web", NS, {"spec": {"replicas": 1}}),
        lambda: kube.apps.replace_namespaced_deployment("web", NS, k.deployment("web")),
        lambda: kube.apps.delete_namespaced_deployment("web", NS),
    ]

    for write in writes:
        with pytest.raises(ApiException) as error:
            write()
        assert error.value.status == 405
        assert status_of(error)["reason"] == "MethodNotAllowed"

    assert [r.method for r in api.requests] == ["POST", "PATCH", "PUT", "DELETE"]
    assert names(kube.apps.list_namespaced_deployment(NS).items) == ["web"]


def test_a_wrong_token_is_401(api: KubeApiEmulator, tmp_path: Path) -> None:
    path = api.write_kubeconfig(tmp_path / "kubeconfig")
    kubeconfig = yaml.safe_load(path.read_text())
    kubeconfig["users"][0]["user"]["token"] = "not-the-token"
    path.write_text(yaml.safe_dump(kubeconfig))
    kube = connect(path)

    with pytest.raises(ApiException) as error:
        kube.core.list_namespaced_pod(NS)

    assert error.value.status == 401
    kube.api_client.close()


def test_tls_with_the_kubeconfig_certificate_authority(tmp_path: Path) -> None:
    with KubeApiEmulator(tls=trustme.CA()) as api:
        api.add(k.deployment("web"))
        kube = connect(api.write_kubeconfig(tmp_path / "kubeconfig", context="aks-prod"))

        listed = kube.apps.list_namespaced_deployment(NS)
        kube.api_client.close()
        url = api.url

    assert url.startswith("https://127.0.0.1:")
    assert names(listed.items) == ["web"]


def test_a_raw_body_replaces_the_answer_for_its_path(api: KubeApiEmulator, kube: Clients) -> None:
    api.add_many([k.deployment("web"), k.deployment("elsewhere", "other")])
    api.serve_raw(f"/apis/apps/v1/namespaces/{NS}/deployments", b"<html>502 Bad Gateway</html>", "text/html")

    response = kube.apps.list_namespaced_deployment(NS, _preload_content=False)

    assert response.data == b"<html>502 Bad Gateway</html>"
    assert response.headers["Content-Type"].startswith("text/html")
    assert [d.metadata.name for d in kube.apps.list_namespaced_deployment("other").items] == ["elsewhere"]
    assert api.requests[-2].path == f"/apis/apps/v1/namespaces/{NS}/deployments"

