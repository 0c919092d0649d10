"""The static reliability checks, run with `pytest --readiness` on deployment repos written to disk.

Each test writes several workloads, one per case and named after it, so one run decides many cases.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import kubernetes.utils.quantity  # noqa: F401 - loaded once here, not again in every in-process run
import pytest
import yaml

from pytest_readiness.catalog import load_catalog

ONLY_RELIABILITY = ("-m", "reliability and static")
NAMESPACE = "msft-agent"
PER_WORKLOAD = ("REL-REPLICAS", "REL-PDB", "REL-ANTI-AFFINITY", "REL-HPA", "REL-GRACE-PERIOD")
PER_CONTAINER = ("REL-LIVENESS", "REL-READINESS", "REL-STARTUP", "REL-REQUESTS", "REL-LIMITS", "REL-PRESTOP")

GOOD_CONFIG = """
    [agent]
    log_level = "INFO"

    [agent.memory.persistence]
    enabled = true
    backend = "adls"
    account_url = "https://contosoagentdata.dfs.core.windows.net/"
"""

GOOD_CONTAINER: dict[str, Any] = {
    "name": "agent",
    "image": "contosoagentacr.azurecr.io/msft-agent:1.4.2",
    "ports": [{"name": "http", "containerPort": 8080}],
    "livenessProbe": {"httpGet": {"path": "/health/live", "port": 8080}, "initialDelaySeconds": 30},
    "readinessProbe": {"httpGet": {"path": "/health/ready", "port": 8080}, "periodSeconds": 5},
    "startupProbe": {"httpGet": {"path": "/health/live", "port": 8080}, "failureThreshold": 30},
    "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}},
    "lifecycle": {"preStop": {"exec": {"command": ["/bin/sh", "-c", "sleep 10"]}}},
}


def zone_spread(app: str) -> dict[str, Any]:
    term = {"labelSelector": {"matchLabels": {"app": app}}, "topologyKey": "topology.kubernetes.io/zone"}
    return {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 100, "podAffinityTerm": term}]}}


def workload(name: str = "msft-agent", kind: str = "Deployment", replicas: Any = 3,
             containers: list[dict[str, Any]] | None = None, **pod: Any) -> dict[str, Any]:
    """A workload that passes every static reliability check, unless `pod` overrides pod spec fields."""
    pod_spec: dict[str, Any] = {"terminationGracePeriodSeconds": 60, "affinity": zone_spread(name),
                                "containers": containers or [copy.deepcopy(GOOD_CONTAINER)]}
    pod_spec.update(pod)
    pod_spec = {k: v for k, v in pod_spec.items() if v is not None}
    template = {"metadata": {"labels": {"app": name}}, "spec": pod_spec}
    spec: dict[str, Any] = {"selector": {"matchLabels": {"app": name}}, "template": template}
    if replicas is not None:
        spec["replicas"] = replicas
    if kind == "CronJob":
        spec = {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": template}}}
    elif kind == "Pod":
        template["metadata"]["name"] = name
        return {"apiVersion": "v1", "kind": "Pod", "metadata": {**template["metadata"], "namespace": NAMESPACE},
                "spec": pod_spec}
    api = {"Job": "batch/v1", "CronJob": "batch/v1"}.get(kind, "apps/v1")
    return {"apiVersion": api, "kind": kind, "metadata": {"name": name, "namespace": NAMESPACE}, "spec": spec}


def container(name: str, **changes: Any) -> dict[str, Any]:
    """The good container renamed, with fields replaced (None removes a field)."""
    spec = {**copy.deepcopy(GOOD_CONTAINER), "name": name, **changes}
    return {k: v for k, v in spec.items() if v is not None}


def pdb(app: str, name: str | None = None, namespace: str = NAMESPACE, **budget: Any) -> dict[str, Any]:
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": name or app, "namespace": namespace},
            "spec": {**budget, "selector": {"matchLabels": {"app": app}}}}


def hpa(target: str, name: str | None = None, kind: str = "Deployment", **spec: Any) -> dict[str, Any]:
    cpu = {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization",
                                                                     "averageUtilization": 70}}}
    body = {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": kind, "name": target},
            "minReplicas": 2, "maxReplicas": 10, "metrics": [cpu], **spec}
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": name or target, "namespace": NAMESPACE},
            "spec": {k: v for k, v in body.items() if v is not None}}


def manifest_path(obj: dict[str, Any]) -> str:
    return f"deployment/kubernetes/{obj['kind'].lower()}-{obj['metadata']['name']}.yaml"


def repo(*objects: dict[str, Any], config: str | None = GOOD_CONFIG) -> dict[str, str]:
    """A deployment repo: each object in its own manifest (so it starts at line 1) and the agent config."""
    files = {manifest_path(obj): yaml.safe_dump(obj, sort_keys=False) for obj in objects}
    if config is not None:
        files["config/agent.toml"] = config
    return files


def statuses(run: Any, check_id: str, *refs: str) -> dict[str, str]:
    return {ref: run.status(f"{check_id}[{ref}]") for ref in refs}


def message(run: Any, key: str) -> str:
    return str(run.messages[key])


# --- the whole set ------------------------------------------------------------------------------

def test_good_repo_passes_every_static_reliability_check(run_readiness) -> None:
    run = run_readiness(repo(workload(), pdb("msft-agent", minAvailable=1), hpa("msft-agent")), *ONLY_RELIABILITY)
    expected = {f"{c}[Deployment/msft-agent]" for c in PER_WORKLOAD}
    expected |= {f"{c}[Deployment/msft-agent/agent]" for c in PER_CONTAINER}
    expected.add("REL-SESSION-PERSISTENCE")
    assert {key: run.status(key) for key in expected} == dict.fromkeys(expected, "passed")
    static_ids = {c.id for c in load_catalog().values() if c.category == "reliability" and c.verify == "static"}
    assert {key.split("[")[0] for key in expected} == static_ids
    assert "minAvailable=1" in run.junit and "livenessProbe httpGet /health/live port 8080" in run.junit


def test_bare_workload_fails_every_static_check_naming_file_and_line(run_readiness) -> None:
    bare = workload(replicas=1, affinity=None, terminationGracePeriodSeconds=None,
                    containers=[{"name": "agent", "image": "contosoagentacr.azurecr.io/msft-agent:1.4.2"}])
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}
    text = yaml.safe_dump(namespace) + "---\n" + yaml.safe_dump(bare, sort_keys=False)
    line = text.splitlines().index("---") + 2
    config = "[agent]\nlog_level = 'INFO'\n\n[agent.memory.persistence]\nenabled = false\n"
    run = run_readiness({"deployment/kubernetes/app.yaml": text, "config/agent.toml": config}, *ONLY_RELIABILITY)
    container_line = text.splitlines().index("      - name: agent") + 1
    for key, at in [*((f"{c}[Deployment/msft-agent]", line) for c in PER_WORKLOAD),
                    *((f"{c}[Deployment/msft-agent/agent]", container_line) for c in PER_CONTAINER)]:
        assert run.status(key) == "failed", key
        assert f"deployment/kubernetes/app.yaml:{at}" in message(run, key), key
    assert run.status("REL-SESSION-PERSISTENCE") == "failed"
    assert "config/agent.toml:5: agent.memory.persistence.enabled = false" in message(run, "REL-SESSION-PERSISTENCE")
    assert "remediation:" in message(run, "REL-PDB[Deployment/msft-agent]")


# --- replicas -----------------------------------------------------------------------------------

def test_replicas_count_the_hpa_floor_and_skip_what_is_not_replicated(run_readiness) -> None:
    run = run_readiness(repo(
        workload("hpa-raises", replicas=1), hpa("hpa-raises", minReplicas=2),
        workload("hpa-lowers", replicas=3), hpa("hpa-lowers", minReplicas=1),
        workload("unset", replicas=None),
        workload("db", kind="StatefulSet", replicas=2),
        workload("node-agent", kind="DaemonSet", replicas=None),
        workload("migrate", kind="Job", replicas=None),
        workload("debug", kind="Pod"),
        workload("templated", replicas="{{ .Values.replicas }}"),
    ), *ONLY_RELIABILITY)
    assert statuses(run, "REL-REPLICAS", "Deployment/hpa-raises", "Deployment/hpa-lowers", "Deployment/unset",
                    "StatefulSet/db", "DaemonSet/node-agent", "Job/migrate", "Pod/debug",
                    "Deployment/templated") == {
        "Deployment/hpa-raises": "passed", "Deployment/hpa-lowers": "failed", "Deployment/unset": "failed",
        "StatefulSet/db": "passed", "DaemonSet/node-agent": "not_applicable", "Job/migrate": "not_applicable",
        "Pod/debug": "failed", "Deployment/templated": "unverified",
    }
    assert ("minReplicas of HorizontalPodAutoscaler/hpa-lowers "
            "(deployment/kubernetes/horizontalpodautoscaler-hpa-lowers.yaml:1)"
            in message(run, "REL-REPLICAS[Deployment/hpa-lowers]"))
    assert "defaults to 1" in message(run, "REL-REPLICAS[Deployment/unset]")
    assert "render the manifests" in message(run, "REL-REPLICAS[Deployment/templated]")


# --- PodDisruptionBudget ------------------------------------------------------------------------

PDB_CASES: list[tuple[str, int, dict[str, Any], str, str]] = [
    # (workload, replicas, PDB budget, status, message part)
    ("min-one", 3, {"minAvailable": 1}, "passed", ""),
    ("min-all", 3, {"minAvailable": 3}, "failed", "allows no eviction"),
    ("min-half", 3, {"minAvailable": "50%"}, "passed", ""),
    ("min-rounds-up", 4, {"minAvailable": "80%"}, "failed", "allows no eviction"),
    ("max-one", 3, {"maxUnavailable": 1}, "passed", ""),
    ("max-zero", 3, {"maxUnavailable": 0}, "failed", "allows no eviction"),
    ("max-small-percent", 3, {"maxUnavailable": "10%"}, "passed", ""),
    ("max-all", 2, {"maxUnavailable": "100%"}, "failed", "every pod be evicted"),
    ("min-zero", 3, {"minAvailable": 0}, "failed", "every pod be evicted"),
    ("single", 1, {"minAvailable": 1}, "failed", "with 1 replica(s)"),
    ("no-budget", 3, {}, "failed", "exactly one of minAvailable and maxUnavailable"),
    ("bad-value", 3, {"minAvailable": "two"}, "failed", "neither a non-negative integer nor a percentage"),
]


def test_pdb_must_let_one_pod_go_but_not_all(run_readiness) -> None:
    objects = []
    for name, replicas, budget, _, _ in PDB_CASES:
        objects += [workload(name, replicas=replicas), pdb(name, **budget)]
    objects += [workload("hpa-floor", replicas=5), hpa("hpa-floor", minReplicas=2), pdb("hpa-floor", minAvailable=2)]
    run = run_readiness(repo(*objects), *ONLY_RELIABILITY)
    for name, _, _, status, part in PDB_CASES:
        key = f"REL-PDB[Deployment/{name}]"
        assert run.status(key) == status, key
        assert part in message(run, key), key
        if status == "failed":
            assert f"deployment/kubernetes/poddisruptionbudget-{name}.yaml:1" in message(run, key)
    assert run.status("REL-PDB[Deployment/hpa-floor]") == "failed"
    assert "minAvailable=2 with 2 replicas" in message(run, "REL-PDB[Deployment/hpa-floor]")


def test_pdb_must_select_the_pods_in_their_namespace_once(run_readiness) -> None:
    run = run_readiness(repo(
        workload("other-ns"), pdb("other-ns", namespace="elsewhere", minAvailable=1),
        workload("wrong-labels"), pdb("someone-else", minAvailable=1),
        workload("two-budgets"), pdb("two-budgets", minAvailable=1), pdb("two-budgets", "again", maxUnavailable=1),
        workload("templated", replicas="{{ .Values.replicas }}"), pdb("templated", minAvailable=1),
        workload("node-agent", kind="DaemonSet", replicas=None),
        workload("nightly", kind="CronJob"),
    ), *ONLY_RELIABILITY)
    assert statuses(run, "REL-PDB", "Deployment/other-ns", "Deployment/wrong-labels", "Deployment/two-budgets",
                    "Deployment/templated", "DaemonSet/node-agent", "CronJob/nightly") == {
        "Deployment/other-ns": "failed", "Deployment/wrong-labels": "failed", "Deployment/two-budgets": "failed",
        "Deployment/templated": "unverified", "DaemonSet/node-agent": "not_applicable",
        "CronJob/nightly": "not_applicable",
    }
    assert ("deployment/kubernetes/deployment-other-ns.yaml:1): no PodDisruptionBudget selects its pods "
            "(pod labels: app=other-ns)" in message(run, "REL-PDB[Deployment/other-ns]"))
    assert "several PodDisruptionBudgets" in message(run, "REL-PDB[Deployment/two-budgets]")


# --- spreading ----------------------------------------------------------------------------------

def test_pods_must_spread_their_own_pods_across_zones(run_readiness) -> None:
    def anti(app: str, key: str, required: bool = False) -> dict[str, Any]:
        term = {"labelSelector": {"matchLabels": {"app": app}}, "topologyKey": key}
        if required:
            return {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term]}}
        return {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 100, "podAffinityTerm": term}]}}

    spread = [{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "ScheduleAnyway",
               "labelSelector": {"matchLabels": {"app": "zone-spread"}}}]
    run = run_readiness(repo(
        workload("zone-required", affinity=anti("zone-required", "topology.kubernetes.io/zone", required=True)),
        workload("zone-spread", affinity=None, topologySpreadConstraints=spread),
        workload("hostname-only", affinity=anti("hostname-only", "kubernetes.io/hostname")),
        workload("other-pods", affinity=anti("someone-else", "topology.kubernetes.io/zone")),
        workload("none", affinity=None),
        workload("node-agent", kind="DaemonSet", replicas=None, affinity=None),
    ), *ONLY_RELIABILITY)
    assert statuses(run, "REL-ANTI-AFFINITY", "Deployment/zone-required", "Deployment/zone-spread",
                    "Deployment/hostname-only", "Deployment/other-pods", "Deployment/none",
                    "DaemonSet/node-agent") == {
        "Deployment/zone-required": "passed", "Deployment/zone-spread": "passed",
        "Deployment/hostname-only": "failed", "Deployment/other-pods": "failed", "Deployment/none": "failed",
        "DaemonSet/node-agent": "not_applicable",
    }
    assert ("deployment/kubernetes/deployment-hostname-only.yaml:1): pods are spread across nodes"
            in message(run, "REL-ANTI-AFFINITY[Deployment/hostname-only]"))
    assert "selects its own pods" in message(run, "REL-ANTI-AFFINITY[Deployment/other-pods]")


# --- probes -------------------------------------------------------------------------------------

def probes(handler: dict[str, Any]) -> dict[str, Any]:
    return {field: handler for field in ("livenessProbe", "readinessProbe", "startupProbe")}


def test_probes_accept_every_handler_and_reject_empty_ones(run_readiness) -> None:
    handlers = workload("handlers", containers=[
        container("tcp", **probes({"tcpSocket": {"port": 8080}})),
        container("grpc", **probes({"grpc": {"port": 9090}})),
        container("exec", **probes({"exec": {"command": ["cat", "/tmp/healthy"]}})),
    ])
    broken = workload("broken", containers=[
        container("no-handler", livenessProbe={"periodSeconds": 10}),
        container("no-startup", startupProbe=None),
        container("no-port", readinessProbe={"httpGet": {"path": "/health/ready"}}),
        container("no-probes", livenessProbe=None, readinessProbe=None, startupProbe=None),
    ])
    run = run_readiness(repo(handlers, broken, workload("nightly", kind="CronJob")), *ONLY_RELIABILITY)
    for check_id in ("REL-LIVENESS", "REL-READINESS", "REL-STARTUP"):
        refs = [f"Deployment/handlers/{c}" for c in ("tcp", "grpc", "exec")]
        assert set(statuses(run, check_id, *refs).values()) == {"passed"}, check_id
        assert run.status(f"{check_id}[Deployment/broken/no-probes]") == "failed"
        assert run.status(f"{check_id}[CronJob/nightly/agent]") == "not_applicable"
    assert run.status("REL-LIVENESS[Deployment/broken/no-handler]") == "failed"
    assert "needs exactly one handler" in message(run, "REL-LIVENESS[Deployment/broken/no-handler]")
    assert statuses(run, "REL-STARTUP", "Deployment/broken/no-startup") == {"Deployment/broken/no-startup": "failed"}
    assert run.status("REL-LIVENESS[Deployment/broken/no-startup]") == "passed"
    assert run.status("REL-READINESS[Deployment/broken/no-port]") == "failed"
    assert re.search(r"deployment/kubernetes/deployment-broken\.yaml:\d+\): readinessProbe httpGet has no port",
                     message(run, "REL-READINESS[Deployment/broken/no-port]"))


# --- resources ----------------------------------------------------------------------------------

def test_requests_and_limits_need_cpu_and_memory(run_readiness) -> None:
    def resources(requests: dict[str, str] | None = None, limits: dict[str, str] | None = None) -> dict[str, Any]:
        return {"resources": {k: v for k, v in (("requests", requests), ("limits", limits)) if v}}

    full = {"cpu": "500m", "memory": "1Gi"}
    deployment = workload("resources", containers=[
        container("full"),
        container("limits-only", **resources(limits={"cpu": "1", "memory": "2Gi"})),
        container("memory-limit-only", **resources(full, {"memory": "4Gi"})),
        container("request-above-limit", **resources({"cpu": "1", "memory": "2Gi"}, {"cpu": "2", "memory": "1Gi"})),
        container("zero-cpu", **resources({"cpu": "0", "memory": "1Gi"}, {"cpu": "1", "memory": "1Gi"})),
        container("not-a-quantity", **resources({"cpu": "1", "memory": "lots"}, {"cpu": "1", "memory": "lots"})),
        container("none", resources=None),
    ])
    job = workload("migrate", kind="Job", replicas=None, containers=[container("agent", resources=None)])
    run = run_readiness(repo(deployment, job), *ONLY_RELIABILITY)
    names = ("full", "limits-only", "memory-limit-only", "request-above-limit", "zero-cpu", "not-a-quantity", "none")
    requests = {n: run.status(f"REL-REQUESTS[Deployment/resources/{n}]") for n in names}
    limits = {n: run.status(f"REL-LIMITS[Deployment/resources/{n}]") for n in names}
    assert requests == {"full": "passed", "limits-only": "passed", "memory-limit-only": "passed",
                        "request-above-limit": "passed", "zero-cpu": "failed", "not-a-quantity": "failed",
                        "none": "failed"}
    assert limits == {"full": "passed", "limits-only": "passed", "memory-limit-only": "failed",
                      "request-above-limit": "failed", "zero-cpu": "passed", "not-a-quantity": "failed",
                      "none": "failed"}
    assert "copied from its limit" in run.junit
    assert "no cpu limit" in message(run, "REL-LIMITS[Deployment/resources/memory-limit-only]")
    assert "request 2Gi exceeds its limit 1Gi" in message(run, "REL-LIMITS[Deployment/resources/request-above-limit]")
    none = message(run, "REL-REQUESTS[Deployment/resources/none]")
    assert re.search(r"deployment/kubernetes/deployment-resources\.yaml:\d+", none)
    assert "no cpu request" in none and "no memory request" in none
    assert run.status("REL-REQUESTS[Job/migrate/agent]") == "failed"


# --- HPA ----------------------------------------------------------------------------------------

def test_hpa_must_target_the_workload_and_really_scale_it(run_readiness) -> None:
    v1 = {"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler",
          "metadata": {"name": "v1-cpu", "namespace": NAMESPACE},
          "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "v1-cpu"},
                   "minReplicas": 2, "maxReplicas": 6, "targetCPUUtilizationPercentage": 70}}
    no_cpu_request = container("agent", resources={"requests": {"memory": "1Gi"}, "limits": {"memory": "1Gi"}})
    run = run_readiness(repo(
        workload("scaled"), hpa("scaled"),
        workload("v1-cpu"), v1,
        workload("no-hpa"), hpa("msft-agnt", name="typo"),
        workload("low-min"), hpa("low-min", minReplicas=None),
        workload("flat"), hpa("flat", minReplicas=3, maxReplicas=3),
        workload("no-metrics"), hpa("no-metrics", metrics=None),
        workload("no-cpu-request", containers=[no_cpu_request]), hpa("no-cpu-request"),
        workload("two-hpas"), hpa("two-hpas"), hpa("two-hpas", name="second"),
        workload("kind-mismatch"), hpa("kind-mismatch", kind="StatefulSet"),
        workload("node-agent", kind="DaemonSet", replicas=None),
    ), *ONLY_RELIABILITY)
    names = ("scaled", "v1-cpu", "no-hpa", "low-min", "flat", "no-metrics", "no-cpu-request", "two-hpas",
             "kind-mismatch")
    assert {n: run.status(f"REL-HPA[Deployment/{n}]") for n in names} == {
        "scaled": "passed", "v1-cpu": "passed", "no-hpa": "failed", "low-min": "failed", "flat": "failed",
        "no-metrics": "failed", "no-cpu-request": "failed", "two-hpas": "failed", "kind-mismatch": "failed",
    }
    assert run.status("REL-HPA[DaemonSet/node-agent]") == "not_applicable"
    no_hpa = message(run, "REL-HPA[Deployment/no-hpa]")
    assert "deployment/kubernetes/deployment-no-hpa.yaml:1): no HorizontalPodAutoscaler targets it" in no_hpa
    assert "HorizontalPodAutoscaler/typo (deployment/kubernetes/horizontalpodautoscaler-typo.yaml:1) targets " \
           "Deployment/msft-agnt, which is not in the manifests" in no_hpa
    expectations = {"low-min": "minReplicas=1 (default) must be at least 2", "flat": "maxReplicas=3 must be",
                    "no-metrics": "declares no metrics", "no-cpu-request": "container agent sets no cpu request",
                    "two-hpas": "several HPAs"}
    for name, part in expectations.items():
        assert part in message(run, f"REL-HPA[Deployment/{name}]"), name
    assert "horizontalpodautoscaler-flat.yaml:1" in message(run, "REL-HPA[Deployment/flat]")


# --- graceful shutdown --------------------------------------------------------------------------

def test_grace_period_outlasts_the_prestop_hook(run_readiness) -> None:
    sleep_30 = {"preStop": {"exec": {"command": ["/bin/sh", "-c", "sleep 30"]}}}
    run = run_readiness(repo(
        workload("unset", terminationGracePeriodSeconds=None),
        workload("short", terminationGracePeriodSeconds=20),
        workload("sleep-eats-grace", terminationGracePeriodSeconds=30, containers=[container("agent",
                                                                                            lifecycle=sleep_30)]),
        workload("sleep-handler", containers=[container("agent", lifecycle={"preStop": {"sleep": {"seconds": 5}}})]),
        workload("tcp-hook", containers=[container("agent", lifecycle={"preStop": {"tcpSocket": {"port": 8080}}})]),
        workload("empty-exec", containers=[container("agent", lifecycle={"preStop": {"exec": {}}})]),
        workload("no-hook", containers=[container("agent", lifecycle=None)]),
        workload("migrate", kind="Job", replicas=None, terminationGracePeriodSeconds=None,
                 containers=[container("agent", lifecycle=None)]),
    ), *ONLY_RELIABILITY)
    assert statuses(run, "REL-GRACE-PERIOD", "Deployment/unset", "Deployment/short", "Deployment/sleep-eats-grace",
                    "Deployment/sleep-handler", "Job/migrate") == {
        "Deployment/unset": "failed", "Deployment/short": "failed", "Deployment/sleep-eats-grace": "failed",
        "Deployment/sleep-handler": "passed", "Job/migrate": "not_applicable",
    }
    assert "deployment-unset.yaml:1): terminationGracePeriodSeconds is not set" in message(
        run, "REL-GRACE-PERIOD[Deployment/unset]")
    assert "below 30 s" in message(run, "REL-GRACE-PERIOD[Deployment/short]")
    assert "after the 30 s preStop sleep" in message(run, "REL-GRACE-PERIOD[Deployment/sleep-eats-grace]")
    names = ("sleep-handler", "tcp-hook", "empty-exec", "no-hook")
    assert {n: run.status(f"REL-PRESTOP[Deployment/{n}/agent]") for n in names} == {
        "sleep-handler": "passed", "tcp-hook": "failed", "empty-exec": "failed", "no-hook": "failed"}
    assert run.status("REL-PRESTOP[Job/migrate/agent]") == "not_applicable"
    assert "Kubernetes ignores" in message(run, "REL-PRESTOP[Deployment/tcp-hook/agent]")
    assert "exec has no command" in message(run, "REL-PRESTOP[Deployment/empty-exec/agent]")
    assert re.search(r"deployment-no-hook\.yaml:\d+\): no lifecycle\.preStop",
                     message(run, "REL-PRESTOP[Deployment/no-hook/agent]"))


# --- session persistence ------------------------------------------------------------------------

# Enabled and disabled are decided in the good-repo and bare-workload tests above.
@pytest.mark.parametrize(("config", "part"), [
    ("[agent.memory.persistence]\nenabled = 'true'\n",
     "config/agent.toml:2: agent.memory.persistence.enabled = 'true'"),
    ("[agent]\nlog_level = 'INFO'\n", "agent.memory.persistence.enabled is not set: session data is not persisted"),
], ids=["string", "absent"])
def test_session_persistence_needs_a_true_boolean(run_readiness, config: str, part: str) -> None:
    run = run_readiness(repo(workload(), config=config), "-k", "test_session_persistence")
    assert run.status("REL-SESSION-PERSISTENCE") == "failed"
    assert part in message(run, "REL-SESSION-PERSISTENCE")


# --- absent and malformed input -----------------------------------------------------------------

def test_absent_inputs_leave_every_check_unverified(run_readiness) -> None:
    run = run_readiness({"README.md": "# agent\n"}, *ONLY_RELIABILITY)
    for check_id in (*PER_WORKLOAD, *PER_CONTAINER):
        assert run.status(f"{check_id}[no-manifests]") == "unverified", check_id
        assert "--readiness-manifests" in message(run, f"{check_id}[no-manifests]")
    assert run.status("REL-SESSION-PERSISTENCE") == "unverified"
    assert "--readiness-config" in message(run, "REL-SESSION-PERSISTENCE")


def test_manifests_without_a_workload_never_pass(run_readiness) -> None:
    configmap = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "msft-agent-config"}}
    run = run_readiness(repo(configmap, pdb("msft-agent", minAvailable=1), hpa("msft-agent")), *ONLY_RELIABILITY)
    for check_id in (*PER_WORKLOAD, *PER_CONTAINER):
        assert run.status(f"{check_id}[no-workloads]") == "unverified", check_id


def test_malformed_inputs_are_errors_naming_the_line_and_the_rest_still_runs(run_readiness) -> None:
    files = repo(workload(), hpa("msft-agent"), config="[agent.memory.persistence]\nenabled = true\nbackend = \n")
    broken_pdb = "apiVersion: policy/v1\nkind: PodDisruptionBudget\nspec:\n  minAvailable: [1\n"
    files["deployment/kubernetes/pdb.yaml"] = broken_pdb
    run = run_readiness(files, *ONLY_RELIABILITY)
    for check_id in (*PER_WORKLOAD, *PER_CONTAINER):
        key = f"{check_id}[deployment/kubernetes/pdb.yaml]"
        assert run.status(key) == "error", key
        assert "deployment/kubernetes/pdb.yaml:" in message(run, key) and "invalid YAML" in message(run, key)
    # The PDB may be in the unreadable file: no verdict, rather than a false "missing".
    assert run.status("REL-PDB[Deployment/msft-agent]") == "error"
    assert "may be in it" in message(run, "REL-PDB[Deployment/msft-agent]")
    assert run.status("REL-REPLICAS[Deployment/msft-agent]") == "passed"
    assert run.status("REL-HPA[Deployment/msft-agent]") == "passed"
    assert run.status("REL-LIVENESS[Deployment/msft-agent/agent]") == "passed"
    assert run.status("REL-SESSION-PERSISTENCE") == "error"
    assert "config/agent.toml:3" in message(run, "REL-SESSION-PERSISTENCE")


def test_init_containers_are_checked_for_resources_but_not_probes(run_readiness) -> None:
    files = {
        "deployment/kubernetes/job.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, namespace: prod}
            spec:
              replicas: 3
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec:
                  initContainers:
                    - name: migrate
                      image: contosoagentacr.azurecr.io/migrate:1.0
                  containers:
                    - name: web
                      image: contosoagentacr.azurecr.io/web:1.0
        """,
    }
    run = run_readiness(files, "-m", "reliability and static")
    assert run.status("REL-LIVENESS[Deployment/web/migrate]") == "not_applicable"
    assert run.status("REL-PRESTOP[Deployment/web/migrate]") == "not_applicable"
    assert run.status("REL-REQUESTS[Deployment/web/migrate]") == "failed"
    assert run.status("REL-LIVENESS[Deployment/web/web]") == "failed"
