"""The cluster-only checks and the static workload checks, run by `pytest --readiness` against the loopback
Kubernetes API emulator through the real kubernetes client and a kubeconfig file."""

from __future__ import annotations

import base64
import math
import secrets
from pathlib import Path

import pytest
import yaml

from pytest_readiness.checklist.test_cluster import error_incidents
from pytest_readiness.sources.kube.cluster import COLLECTED_KINDS, KINDS, SERVICE_ACCOUNT_DIR
from tests.cluster.conftest import (
    CONTEXT,
    NODES,
    NS,
    RunCluster,
    ago,
    as_manifest,
    healthy_companions,
    live_deployment,
    manifest_files,
    restarted,
)
from tests.emulators import kube_objects as k
from tests.emulators.kube_api import KubeApiEmulator

CLUSTER_CHECKS = ("REL-CLUSTER-PODS-READY", "REL-CLUSTER-RESTARTS", "REL-CLUSTER-ZONES", "REL-CLUSTER-PDB-ALLOWS",
                  "REL-CLUSTER-HPA-HEALTHY", "OBS-CLUSTER-LOG-ERRORS", "OPS-CLUSTER-DRIFT",
                  "SEC-CLUSTER-NETWORK-POLICY", "SEC-CLUSTER-SA-TOKEN")
ONLY_CLUSTER = ("-m", "cluster")
ACCOUNT_KEY = base64.b64encode(secrets.token_bytes(64)).decode()  # a fresh storage key, planted in a log
CONNECTION_STRING = (f"DefaultEndpointsProtocol=https;AccountName=agentdata;AccountKey={ACCOUNT_KEY};"
                     "EndpointSuffix=core.windows.net")
GOOD = f"cluster:{CONTEXT}:Deployment/msft-agent"
CANARY = f"cluster:{CONTEXT}:Deployment/msft-agent-canary"
REPO_IMAGE = "acrmsftagentprod.azurecr.io/msft-agent:1.8.2"
CLEAN_LOG = "".join(f"2026-11-25T10:{i:02d}:00Z INFO request served in 212ms, 0 errors in batch\n" for i in range(30))
FAILING_REQUEST_LOG = f"""\
2026-11-25T10:00:01Z INFO agent started on :8000
2026-11-25T10:00:07Z ERROR upstream call failed: {CONNECTION_STRING}
Traceback (most recent call last):
  File "/app/agent/handlers.py", line 88, in answer
    result = await self.model.complete(prompt)
TimeoutError: model call exceeded 30s
2026-11-25T10:00:09Z INFO request served in 198ms
"""
CRASH_LOG = """\
Traceback (most recent call last):
  File "/app/agent/__main__.py", line 12, in <module>
    settings = load_settings()
KeyError: 'AZURE_OPENAI_ENDPOINT'
"""


ORG_CHECK = """
from pytest_readiness import check


@check("ORG-CLUSTER-NODES", title="Three nodes or more", category="reliability", verify="cluster")
def test_three_nodes(cluster_snapshot, evidence):
    nodes = cluster_snapshot.require("Node")
    evidence.add(f"{len(nodes)} nodes in {cluster_snapshot.description}")
    assert len(nodes) >= 3, f"only {len(nodes)} nodes"
"""


def key(check_id: str, target: str) -> str:
    return f"{check_id}[{target}]"


def good_stack(kube_api: KubeApiEmulator) -> dict[str, str]:
    """One healthy agent Deployment in three zones; returns the repo files that deploy it."""
    good = live_deployment()
    kube_api.add_many([*NODES, *good.objects, *healthy_companions(good), k.service_account()])
    for pod in good.pods:
        kube_api.set_logs(NS, pod["metadata"]["name"], "agent", CLEAN_LOG)
    return manifest_files(as_manifest(good.deployment))


def canary_stack(kube_api: KubeApiEmulator) -> dict[str, str]:
    """A canary that fails every cluster check: a crash-looping pod, both pods in one zone, a PDB that allows
    no disruption, an HPA without metrics, errors in its logs, no NetworkPolicy, an API token mounted, and
    an image and readiness probe that differ from the repo."""
    canary = live_deployment("msft-agent-canary", zones=(0, 0), ready=1, automountServiceAccountToken=None,
                             serviceAccountName="msft-agent-canary")
    canary.deployment["spec"]["template"]["spec"]["containers"][0]["securityContext"]["allowPrivilegeEscalation"] = True
    crashing = restarted(canary.pod("p10"), 7, finished=ago(minutes=3), crash_looping=True)
    account = k.service_account("msft-agent-canary")
    del account["automountServiceAccountToken"]
    labels = canary.deployment["spec"]["template"]["metadata"]["labels"]
    kube_api.add_many([
        *canary.objects, account,
        k.pod_disruption_budget("msft-agent-canary", selector_labels=labels, disruptions_allowed=0, expected_pods=2),
        k.horizontal_pod_autoscaler("msft-agent-canary", target="msft-agent-canary", cpu_current=None),
    ])
    kube_api.set_logs(NS, canary.pod("p00")["metadata"]["name"], "agent", FAILING_REQUEST_LOG)
    kube_api.set_logs(NS, crashing["metadata"]["name"], "agent", CRASH_LOG)
    declared = as_manifest(canary.deployment)
    container = declared["spec"]["template"]["spec"]["containers"][0]
    container["image"] = REPO_IMAGE
    container["readinessProbe"]["httpGet"]["path"] = "/ready"
    return manifest_files(declared)


# --- each cluster-only check passes and fails on realistic objects ----------------------------------

def test_a_healthy_workload_passes_and_a_broken_one_fails_every_cluster_check(
        kube_api: KubeApiEmulator, run_cluster: RunCluster) -> None:
    files = {**good_stack(kube_api), **canary_stack(kube_api)}

    run = run_cluster(files)

    assert {c: run.status(key(c, GOOD)) for c in CLUSTER_CHECKS} == dict.fromkeys(CLUSTER_CHECKS, "passed")
    assert {c: run.status(key(c, CANARY)) for c in CLUSTER_CHECKS} == dict.fromkeys(CLUSTER_CHECKS, "failed")
    where = f"cluster:{CONTEXT}/{NS}/Deployment/msft-agent-canary"
    pods = f"cluster:{CONTEXT}/{NS}/Pod/msft-agent-canary-7d9f8c6b5d"
    expected = {
        "REL-CLUSTER-PODS-READY": [f"{pods}-p10: pod msft-agent-canary-7d9f8c6b5d-p10 is Running, Ready=False "
                                   "(agent waiting: CrashLoopBackOff)", "1 available replica(s)"],
        "REL-CLUSTER-RESTARTS": ["container agent: 7 restarts in all", "waiting in CrashLoopBackOff: crash-looping"],
        "REL-CLUSTER-ZONES": [f"{where}: its 2 running pod(s) sit in 1 zone(s) (westeurope-1: 2)"],
        "REL-CLUSTER-PDB-ALLOWS": ["PodDisruptionBudget/msft-agent-canary allows 0 disruption(s) now"],
        "REL-CLUSTER-HPA-HEALTHY": ["ScalingActive is False (FailedGetResourceMetric",
                                    "reports no current value for Resource/cpu"],
        "OBS-CLUSTER-LOG-ERRORS": ["ERROR upstream call failed", "KeyError: 'AZURE_OPENAI_ENDPOINT'", "AccountKey="],
        "OPS-CLUSTER-DRIFT": [f"container agent image: the cluster runs {k.AGENT_IMAGE}, the repo declares "
                              f"{REPO_IMAGE}", "readinessProbe", "deployment/kubernetes/deployment-msft-agent-canary"
                              ".yaml:1"],
        "SEC-CLUSTER-NETWORK-POLICY": [f"{where}: no NetworkPolicy in namespace {NS} selects its pods"],
        "SEC-CLUSTER-SA-TOKEN": ["nor ServiceAccount/msft-agent-canary", "sets automountServiceAccountToken: false"],
    }
    for check_id, parts in expected.items():
        message = run.messages[key(check_id, CANARY)]
        assert all(part in message for part in parts), f"{check_id}: {message}"
    assert ACCOUNT_KEY not in run.output and ACCOUNT_KEY not in run.junit
    assert ACCOUNT_KEY[:24] not in run.output + run.junit  # not even a shortened copy
    assert f"cluster:{CONTEXT}/{NS}/Deployment/msft-agent" in run.junit  # evidence names the live object


def test_static_workload_checks_run_unchanged_on_the_live_workloads(
        kube_api: KubeApiEmulator, run_cluster: RunCluster) -> None:
    files = {**good_stack(kube_api), **canary_stack(kube_api)}

    run = run_cluster(files, "-m", "static")

    assert run.status(f"SEC-NON-ROOT[{GOOD}/agent]") == "passed"
    assert run.status("SEC-NON-ROOT[Deployment/msft-agent/agent]") == "passed"  # the repo's copy, still checked
    assert run.status(f"SEC-NO-PRIV-ESCALATION[{CANARY}/agent]") == "failed"
    assert f"cluster:{CONTEXT}/{NS}/Deployment/msft-agent-canary" in run.messages[
        f"SEC-NO-PRIV-ESCALATION[{CANARY}/agent]"]
    assert run.status(f"REL-PDB[{GOOD}]") == "passed"  # cross-object checks see the cluster's own PDBs
    live_targets = {name.split("[", 1)[1] for name in run.statuses if f"[cluster:{CONTEXT}:" in name}
    assert live_targets and not any("ReplicaSet/" in t or "Pod/" in t for t in live_targets)
    # whole-repo checks see the repo alone: the live copies of its Deployments are no duplicates to them
    assert run.status("OPS-MANIFESTS-VALID") == "passed"


# --- restarts: the heuristic on its edges, and drift of replicas ----------------------------------

def test_restarts_are_judged_over_the_last_hour(kube_api: KubeApiEmulator, run_cluster: RunCluster) -> None:
    steady, young, backing_off, unclear, few = (live_deployment(name, zones=(0,)) for name in
                                                ("steady", "young", "backing-off", "unclear", "few"))
    restarted(steady.pods[0], 4, finished=k.STARTED, reason="OOMKilled")
    restarted(young.pods[0], 5, finished=ago(minutes=2), started=ago(minutes=40))
    restarted(backing_off.pods[0], 6, finished=ago(minutes=10))
    restarted(unclear.pods[0], 9, finished=ago(minutes=20))
    restarted(few.pods[0], 3, finished=ago(minutes=1), started=ago(minutes=5))
    backoff = k.event(backing_off.pods[0], "BackOff", "Back-off restarting failed container agent")
    backoff["lastTimestamp"] = ago(minutes=8)
    stale_backoff = k.event(unclear.pods[0], "BackOff", "Back-off restarting failed container agent")
    kube_api.add_many([*NODES, *(o for w in (steady, young, backing_off, unclear, few) for o in w.objects),
                       backoff, stale_backoff])
    files = manifest_files(as_manifest(steady.deployment, replicas=2), as_manifest(few.deployment))
    files["conftest.py"] = ORG_CHECK  # an organisation's own check on the whole snapshot

    run = run_cluster(files, *ONLY_CLUSTER)

    prefix = f"cluster:{CONTEXT}:Deployment/"
    assert run.of_check("REL-CLUSTER-RESTARTS") == {
        f"REL-CLUSTER-RESTARTS[{prefix}steady]": "passed",
        f"REL-CLUSTER-RESTARTS[{prefix}young]": "failed",
        f"REL-CLUSTER-RESTARTS[{prefix}backing-off]": "failed",
        f"REL-CLUSTER-RESTARTS[{prefix}unclear]": "unverified",
        f"REL-CLUSTER-RESTARTS[{prefix}few]": "passed",
    }
    assert "5 restarts since the pod started" in run.messages[f"REL-CLUSTER-RESTARTS[{prefix}young]"]
    assert "BackOff events in the last hour" in run.messages[f"REL-CLUSTER-RESTARTS[{prefix}backing-off]"]
    assert "kube_pod_container_status_restarts_total" in run.messages[f"REL-CLUSTER-RESTARTS[{prefix}unclear]"]
    assert run.status(f"OPS-CLUSTER-DRIFT[{prefix}steady]") == "failed"
    assert "replicas: the cluster runs 1, the repo declares 2" in run.messages[f"OPS-CLUSTER-DRIFT[{prefix}steady]"]
    assert run.status(f"OPS-CLUSTER-DRIFT[{prefix}few]") == "passed"
    assert run.status(f"OPS-CLUSTER-DRIFT[{prefix}young]") == "unverified"
    assert "is not in the repo's manifests" in run.messages[f"OPS-CLUSTER-DRIFT[{prefix}young]"]
    assert run.status("ORG-CLUSTER-NODES") == "passed"


# --- permissions, pagination, reachability --------------------------------------------------------

def test_a_forbidden_kind_leaves_only_the_checks_that_need_it_unverified(
        kube_api: KubeApiEmulator, run_cluster: RunCluster) -> None:
    files = good_stack(kube_api)
    kube_api.deny("list", "nodes")
    kube_api.deny("list", "networkpolicies", namespace=NS)
    kube_api.deny("get", "pods/log", namespace=NS)

    run = run_cluster(files, *ONLY_CLUSTER)

    denied = {"REL-CLUSTER-ZONES": "no permission to list nodes",
              "SEC-CLUSTER-NETWORK-POLICY": f"no permission to list networkpolicies in namespace {NS}",
              "OBS-CLUSTER-LOG-ERRORS": "no permission to read logs of pod msft-agent-7d9f8c6b5d-"}
    assert {c: run.status(key(c, GOOD)) for c in CLUSTER_CHECKS} == {
        c: "unverified" if c in denied else "passed" for c in CLUSTER_CHECKS}
    for check_id, reason in denied.items():
        assert reason in run.messages[key(check_id, GOOD)]
    assert {r.method for r in kube_api.requests} == {"GET"}


def test_a_forbidden_workload_kind_is_reported_not_skipped_silently(
        kube_api: KubeApiEmulator, run_cluster: RunCluster) -> None:
    files = good_stack(kube_api)
    kube_api.deny("list", "deployments", namespace=NS)

    run = run_cluster(files, *ONLY_CLUSTER)

    target = f"cluster:{CONTEXT}:Deployment"
    assert {c: run.status(key(c, target)) for c in CLUSTER_CHECKS} == dict.fromkeys(CLUSTER_CHECKS, "unverified")
    assert f"no permission to list deployments in namespace {NS}" in run.messages[key("REL-CLUSTER-ZONES", target)]
    assert not any("ReplicaSet/" in name for name in run.statuses)  # its ReplicaSets do not stand in for it


def test_pages_are_followed(kube_api: KubeApiEmulator, run_cluster: RunCluster) -> None:
    files = good_stack(kube_api)
    batch = k.replica_set(k.deployment("batch"))  # not in the cluster: its pods still have a controller
    kube_api.add_many(k.pod(batch, f"f{i:03d}") for i in range(520))  # sorted before msft-agent-...

    run = run_cluster(files, "-m", "cluster and reliability")

    pod_lists = [r for r in kube_api.requests if r.path == f"/api/v1/namespaces/{NS}/pods"]
    assert [bool(r.query.get("continue")) for r in pod_lists] == [False, True]
    assert run.status(key("REL-CLUSTER-PODS-READY", GOOD)) == "passed"  # its pods were on the second page
    assert "pod msft-agent-7d9f8c6b5d-p22 is Running and Ready" in run.junit
    assert not any("batch" in name for name in run.statuses)


@pytest.mark.parametrize("fault", ["stopped-server", "broken-kubeconfig"])
def test_an_unreadable_cluster_fails_fast_and_the_repo_is_still_checked(
        run_readiness, tmp_path: Path, fault: str) -> None:
    with KubeApiEmulator() as stopped:
        kubeconfig = stopped.write_kubeconfig(tmp_path / "kubeconfig", context=CONTEXT)
        url = stopped.url
    reason = f"cannot reach the Kubernetes API server at {url}: connection refused"
    if fault == "broken-kubeconfig":
        kubeconfig.write_text("clusters: [\n  - name: emulator\n")
        reason = f"cannot read kubeconfig {kubeconfig}: line 2: expected the node content, but found '-'"
    good = live_deployment()

    run = run_readiness(manifest_files(as_manifest(good.deployment)), f"--readiness-kubeconfig={kubeconfig}",
                        f"--readiness-kube-context={CONTEXT}")

    unavailable = f"cluster:{CONTEXT}:kube-api"
    assert run.status(key("REL-CLUSTER-PODS-READY", unavailable)) == "error"
    assert reason in run.messages[key("REL-CLUSTER-PODS-READY", unavailable)]
    assert run.status(f"SEC-NON-ROOT[{unavailable}]") == "error"
    assert reason in run.messages[f"SEC-NON-ROOT[{unavailable}]"]
    assert run.status("SEC-NON-ROOT[Deployment/msft-agent/agent]") == "passed"
    assert "INTERNALERROR" not in run.output
    assert run.result.ret == pytest.ExitCode.TESTS_FAILED


def test_a_malformed_manifest_is_an_error_for_the_drift_check_only(
        kube_api: KubeApiEmulator, run_cluster: RunCluster) -> None:
    files = {**good_stack(kube_api), "deployment/kubernetes/broken.yaml": "kind: Service\nmetadata: {name: [\n"}

    run = run_cluster(files, *ONLY_CLUSTER)

    assert run.status(key("OPS-CLUSTER-DRIFT", GOOD)) == "error"
    assert "deployment/kubernetes/broken.yaml:" in run.messages[key("OPS-CLUSTER-DRIFT", GOOD)]
    assert {c: run.status(key(c, GOOD)) for c in CLUSTER_CHECKS if c != "OPS-CLUSTER-DRIFT"} == {
        c: "passed" for c in CLUSTER_CHECKS if c != "OPS-CLUSTER-DRIFT"}


@pytest.mark.parametrize("options", [(), ("kubeconfig",)], ids=["no-options", "kubeconfig-alone"])
def test_without_a_context_no_request_is_sent(kube_api: KubeApiEmulator, kubeconfig: Path, run_readiness,
                                              monkeypatch: pytest.MonkeyPatch, options: tuple[str, ...]) -> None:
    files = {**good_stack(kube_api), "conftest.py": ORG_CHECK}
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))  # a usable kubeconfig, current context and all
    args = [f"--readiness-kubeconfig={kubeconfig}"] if options else []

    run = run_readiness(files, *args)

    assert kube_api.requests == []
    assert run.of_check("REL-CLUSTER-ZONES") == {"REL-CLUSTER-ZONES[no-cluster]": "unverified"}
    message = run.messages["REL-CLUSTER-ZONES[no-cluster]"]
    assert "give --readiness-kube-context" in message
    assert ("alone does not enable them" in message) == bool(options)
    assert not any(":cluster" in name or "[cluster:" in name for name in run.statuses)
    assert run.status("ORG-CLUSTER-NODES") == "unverified"
    assert "give --readiness-kube-context" in run.messages["ORG-CLUSTER-NODES"]


@pytest.mark.skipif(SERVICE_ACCOUNT_DIR.exists(), reason="runs inside a pod: in-cluster config would work here")
def test_in_cluster_outside_a_pod_is_an_error_saying_so(run_readiness) -> None:
    run = run_readiness({}, "--readiness-in-cluster", *ONLY_CLUSTER)

    target = key("REL-CLUSTER-ZONES", "cluster:in-cluster:kube-api")
    assert run.status(target) == "error"
    assert "no in-cluster service account (not running in a pod?)" in run.messages[target]


# --- read-only and bounded --------------------------------------------------------------------------

def test_only_gets_and_as_many_requests_for_the_cluster_checks_as_for_the_whole_checklist(
        kube_api: KubeApiEmulator, run_cluster: RunCluster) -> None:
    files = {**good_stack(kube_api), **canary_stack(kube_api)}

    cluster_only = run_cluster(files, *ONLY_CLUSTER)
    subset = [(r.method, r.path) for r in kube_api.requests]
    kube_api.clear_requests()
    everything = run_cluster(files)
    full = [(r.method, r.path) for r in kube_api.requests]

    assert len(everything.statuses) > 5 * len(cluster_only.statuses)
    assert sorted(full) == sorted(subset)
    assert {method for method, _ in full} == {"GET"}
    logs = [path for _, path in full if path.endswith("/log")]
    assert len(logs) == 5  # one tail per container of each pod: 3 + 2 pods, one container each
    assert len(full) == len(COLLECTED_KINDS) + len(logs)


def test_requests_stay_bounded_at_scale(kube_api: KubeApiEmulator, run_cluster: RunCluster) -> None:
    workloads = [live_deployment(f"svc-{i:02d}", zones=(0, 1, 2) * 3 + (0,)) for i in range(60)]
    kube_api.add_many([*NODES, *(o for w in workloads for o in w.objects)])
    pods = sum(len(w.pods) for w in workloads)

    run = run_cluster({}, *ONLY_CLUSTER)

    assert len(run.of_check("REL-CLUSTER-ZONES")) == 60
    lists = [r for r in kube_api.requests if not r.path.endswith("/log")]
    logs = [r for r in kube_api.requests if r.path.endswith("/log")]
    assert len(lists) == len(KINDS) + math.ceil(pods / 500) - 1  # only Pods need a second page
    assert len(logs) <= 60 * 3  # at most three pods per workload, one container each


# --- pieces ------------------------------------------------------------------------------------------

def test_error_incidents_count_a_stack_trace_once() -> None:
    log = FAILING_REQUEST_LOG + CRASH_LOG + """\
2026-11-25T10:01:00Z INFO retry 0 errors so far
{"level": "error", "msg": "token refresh failed"}
ts=2026-11-25T10:02:00Z level=error msg="redis unavailable"
Exception in thread "worker" java.lang.IllegalStateException: closed
\tat io.agent.Worker.run(Worker.java:42)
2026-11-25T10:03:00Z INFO healthy
"""
    incidents = error_incidents(log)

    assert len(incidents) == 5
    assert incidents[1] == "KeyError: 'AZURE_OPENAI_ENDPOINT'"
    assert incidents[2] == '{"level": "error", "msg": "token refresh failed"}'
    assert error_incidents(CLEAN_LOG) == []


def test_the_documented_role_grants_exactly_what_the_snapshot_reads() -> None:
    documents = list(yaml.safe_load_all((Path(__file__).parents[2] / "docs/rbac/readiness-reader.yaml").read_text()))
    rules = [(rule, doc["kind"]) for doc in documents if doc["kind"] in ("Role", "ClusterRole")
             for rule in doc["rules"]]
    granted = {(resource, verb, kind) for rule, kind in rules for resource in rule["resources"]
               for verb in rule["verbs"]}

    assert {verb for _, verb, _ in granted} <= {"get", "list"}
    for kind in KINDS:
        scope = "Role" if kind.namespaced else "ClusterRole"
        assert (kind.plural, "list", scope) in granted, kind.plural
    assert ("pods/log", "get", "Role") in granted
    assert not any(resource == "secrets" for resource, _, _ in granted)


# --- the log check's options ---------------------------------------------------------------------------

def _log_requests(kube_api: KubeApiEmulator) -> list[dict[str, str]]:
    return [dict(r.query) for r in kube_api.requests if r.path.endswith("/log")]


def test_log_tail_lines_sets_how_far_back_errors_count(kube_api: KubeApiEmulator, run_cluster: RunCluster) -> None:
    files = good_stack(kube_api)
    first = live_deployment().pods[0]["metadata"]["name"]
    kube_api.set_logs(NS, first, "agent", FAILING_REQUEST_LOG + CLEAN_LOG)  # the error is 31+ lines from the end

    default = run_cluster(files, *ONLY_CLUSTER)
    default_tails = {q["tailLines"] for q in _log_requests(kube_api)}
    kube_api.clear_requests()
    short = run_cluster(files, *ONLY_CLUSTER, "--readiness-log-tail-lines=30")

    logs = key("OBS-CLUSTER-LOG-ERRORS", GOOD)
    assert default.status(logs) == "failed"
    assert "errors in recent logs (last 200 lines per container)" in default.messages[logs]
    assert short.status(logs) == "passed"
    assert (default_tails, {q["tailLines"] for q in _log_requests(kube_api)}) == ({"200"}, {"30"})


@pytest.mark.parametrize(("threshold", "status"), [(None, "failed"), ("1", "failed"), ("2", "passed")])
def test_log_error_threshold_sets_how_many_errors_a_tail_may_hold(
        kube_api: KubeApiEmulator, run_cluster: RunCluster, threshold: str | None, status: str) -> None:
    files = good_stack(kube_api)
    first = live_deployment().pods[0]["metadata"]["name"]
    kube_api.set_logs(NS, first, "agent", FAILING_REQUEST_LOG + '{"level": "error", "msg": "cache miss storm"}\n')
    options = [f"--readiness-log-error-threshold={threshold}"] if threshold else []

    run = run_cluster(files, *ONLY_CLUSTER, *options)

    logs = key("OBS-CLUSTER-LOG-ERRORS", GOOD)
    assert run.status(logs) == status
    if status == "failed":
        assert f"2 error(s) above the threshold of {threshold or 0}" in run.messages[logs]


def test_log_options_as_ini_keys(kube_api: KubeApiEmulator, run_cluster: RunCluster) -> None:
    files = good_stack(kube_api)
    first = live_deployment().pods[0]["metadata"]["name"]
    kube_api.set_logs(NS, first, "agent", FAILING_REQUEST_LOG)
    files["pytest.ini"] = "[pytest]\nreadiness_log_error_threshold = 1\nreadiness_log_tail_lines = 50\n"

    run = run_cluster(files, *ONLY_CLUSTER)

    assert run.status(key("OBS-CLUSTER-LOG-ERRORS", GOOD)) == "passed"
    assert {q["tailLines"] for q in _log_requests(kube_api)} == {"50"}


def test_log_pods_bounds_the_tails_read_troubled_pods_first(kube_api: KubeApiEmulator,
                                                            run_cluster: RunCluster) -> None:
    files = good_stack(kube_api)
    crashing = live_deployment().pods[2]
    kube_api.add(restarted(crashing, 5, finished=ago(minutes=3), crash_looping=True))
    kube_api.set_logs(NS, crashing["metadata"]["name"], "agent", CRASH_LOG)

    run = run_cluster(files, *ONLY_CLUSTER, "--readiness-log-pods=1")

    logs = [r.path for r in kube_api.requests if r.path.endswith("/log")]
    assert logs == [f"/api/v1/namespaces/{NS}/pods/{crashing['metadata']['name']}/log"]
    assert run.status(key("OBS-CLUSTER-LOG-ERRORS", GOOD)) == "failed"
    assert "KeyError: 'AZURE_OPENAI_ENDPOINT'" in run.messages[key("OBS-CLUSTER-LOG-ERRORS", GOOD)]


@pytest.mark.parametrize("option", ["--readiness-log-tail-lines=0", "--readiness-log-pods=0",
                                    "--readiness-log-error-threshold=-1"])
def test_log_options_out_of_range_are_usage_errors(run_readiness, option: str) -> None:
    run = run_readiness({}, option)

    assert run.result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"{option.split('=')[0]}: expected an integer of at least" in run.output


# --- a workload kind the cluster will not list, for the static checks --------------------------------

def test_a_forbidden_workload_kind_is_an_unverified_case_of_every_static_workload_check(
        kube_api: KubeApiEmulator, run_cluster: RunCluster) -> None:
    files = good_stack(kube_api)
    kube_api.add(k.stateful_set("redis"))
    kube_api.deny("list", "deployments", namespace=NS)

    run = run_cluster(files, "-m", "static")

    denied = f"cluster:{CONTEXT}:Deployment"
    reason = f"no permission to list deployments in namespace {NS}"
    for check_id in ("SEC-NON-ROOT", "REL-REPLICAS", "REL-PDB", "SEC-NO-PRIV-ESCALATION"):
        assert run.status(key(check_id, denied)) == "unverified", check_id
        assert reason in run.messages[key(check_id, denied)]
    assert run.status(f"SEC-NON-ROOT[cluster:{CONTEXT}:StatefulSet/redis/redis]") in ("passed", "failed")
    assert not any(f"cluster:{CONTEXT}:no-workloads" in name for name in run.statuses)
    assert not any(f"cluster:{CONTEXT}:StatefulSet]" in name for name in run.statuses)  # only the denied kind
    assert run.status("SEC-NON-ROOT[Deployment/msft-agent/agent]") == "passed"  # the repo's copy, unaffected


def test_a_forbidden_related_kind_leaves_a_static_check_unverified_not_failed(
        kube_api: KubeApiEmulator, run_cluster: RunCluster) -> None:
    files = good_stack(kube_api)
    files.update(manifest_files(*healthy_companions(live_deployment(), policy=False)))
    kube_api.deny("list", "poddisruptionbudgets", namespace=NS)

    run = run_cluster(files, "-m", "static")

    assert run.status(key("REL-PDB", GOOD)) == "unverified"
    assert f"no permission to list poddisruptionbudgets in namespace {NS}" in run.messages[key("REL-PDB", GOOD)]
    assert run.status(key("REL-HPA", GOOD)) == "passed"
    assert run.status("REL-PDB[Deployment/msft-agent]") == "passed"  # the repo's own budget



def test_a_kind_the_snapshot_does_not_list_makes_a_check_unverified_not_failed(
        kube_api: KubeApiEmulator, run_cluster: RunCluster) -> None:
    files = good_stack(kube_api)  # the live Deployment has no prometheus.io/scrape annotation
    run = run_cluster(files, "-m", "observability and static")
    live = key("OBS-METRICS-PORT", f"cluster:{CONTEXT}:Deployment/{k.APP}")
    assert run.status(live) == "unverified", run.messages[live]
    assert "does not list PodMonitor or ServiceMonitor" in run.messages[live]
