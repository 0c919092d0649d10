"""Reliability: the seed's High Availability, Health Checks, Resource Management, Graceful Shutdown and
Backup & Recovery sections, read from the repository's manifests and agent config.

Checks: REL-REPLICAS, REL-PDB, REL-ANTI-AFFINITY, REL-LIVENESS, REL-READINESS, REL-STARTUP, REL-REQUESTS,
REL-LIMITS, REL-HPA, REL-GRACE-PERIOD, REL-PRESTOP, REL-SESSION-PERSISTENCE.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pytest

from pytest_readiness import Evidence, SourceError, check, not_applicable, unverified
from pytest_readiness.sources.common import integer
from pytest_readiness.sources.kube.locate import same_namespace
from pytest_readiness.sources.kube.model import Container, KubeObject, ObjectSet, Workload, selector_matches
from pytest_readiness.sources.repo.agent_config import AgentConfig
from pytest_readiness.sources.repo.config_keys import PERSISTENCE

ZONE_KEYS = ("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone")
HOSTNAME_KEY = "kubernetes.io/hostname"
PROBE_HANDLERS = ("httpGet", "tcpSocket", "grpc", "exec")
PRESTOP_HANDLERS = ("exec", "httpGet", "sleep")
MIN_GRACE_SECONDS = 30
EPHEMERAL_PATH = re.compile(r"^(?:file://)?/(?:tmp|var/tmp|dev/shm|run/user)(?:/|$)")
_PERCENT = re.compile(r"(\d+)%")
_SLEEP = re.compile(r"\bsleep\s+(\d+)s?\b")


# --- what kind of workload this is --------------------------------------------------------------

def _require_serving(workload: Workload) -> None:
    if not workload.is_serving:
        not_applicable(f"{workload.ref} runs to completion and serves no traffic")


def _require_replicated(workload: Workload) -> None:
    """Replica count, PDBs, HPAs and spreading concern workloads that run N interchangeable pods."""
    _require_serving(workload)
    if workload.obj.kind == "DaemonSet":
        not_applicable(f"{workload.ref} runs one pod per node: its node pool decides how many and where")
    if workload.obj.kind == "Pod":
        not_applicable(f"{workload.ref} is a bare Pod that nothing replicates (see REL-REPLICAS)")


def _require_complete(objects: ObjectSet, missing: str) -> None:
    """A missing related object may sit in a manifest that could not be read: no verdict then."""
    if objects.problems:
        first = objects.problems[0]
        raise SourceError(str(first.location), f"{first.message} (so {missing} may be in it)")


# --- HPAs and replica counts --------------------------------------------------------------------

def _target_ref(hpa: KubeObject) -> str:
    target = hpa.spec.get("scaleTargetRef") or {}
    return f"{target.get('kind')}/{target.get('name')}"


def _hpas_targeting(workload: Workload, objects: ObjectSet) -> list[KubeObject]:
    return [hpa for hpa in objects.grouped("HorizontalPodAutoscaler", _target_ref).get(workload.ref, ())
            if same_namespace(hpa, workload.obj)]


def _replica_floor(workload: Workload, objects: ObjectSet, evidence: Evidence) -> tuple[int | None, str]:
    """The fewest pods the workload runs, and what says so: its HPA's minReplicas, else spec.replicas."""
    hpas = _hpas_targeting(workload, objects)
    if hpas:
        declared = hpas[0].spec.get("minReplicas", 1)
        evidence.add(f"{hpas[0].ref} scales {workload.ref} from minReplicas={declared}", hpas[0].location)
        return integer(declared), f"minReplicas of {hpas[0]}"
    declared = workload.obj.spec.get("replicas", 1)
    default = "" if "replicas" in workload.obj.spec else " (not set: Kubernetes defaults to 1)"
    evidence.add(f"{workload.ref}: replicas={declared}{default}", workload.location)
    return integer(declared), f"spec.replicas{default}, no HPA targets it"


@check("REL-REPLICAS")
def test_multiple_replicas(workload: Workload, kube_objects: ObjectSet, evidence: Evidence) -> None:
    _require_serving(workload)
    if workload.obj.kind == "DaemonSet":
        not_applicable(f"{workload.ref} runs one pod per node: its node pool decides the count")
    assert workload.obj.kind != "Pod", (
        f"{workload}: a bare Pod is a single replica that nothing reschedules; run it as a Deployment"
    )
    floor, source = _replica_floor(workload, kube_objects, evidence)
    if floor is None:
        unverified(f"{workload}: the replica count is not an integer (a template?): render the manifests")
    if floor < 2:
        _require_complete(kube_objects, f"an HPA for {workload.ref}")
    assert floor >= 2, f"{workload}: runs as few as {floor} replica(s) ({source}); production needs at least 2"


# --- PodDisruptionBudget ------------------------------------------------------------------------

def _scaled(value: Any, replicas: int) -> int | None:
    """An IntOrString budget in pods; percentages round up, as the disruption controller does."""
    if integer(value) is not None and value >= 0:
        return int(value)
    match = _PERCENT.fullmatch(value) if isinstance(value, str) else None
    return math.ceil(int(match.group(1)) * replicas / 100) if match else None


def _budget_problem(pdb: KubeObject, replicas: int) -> str | None:
    min_available, max_unavailable = pdb.spec.get("minAvailable"), pdb.spec.get("maxUnavailable")
    if (min_available is None) == (max_unavailable is None):
        return "must set exactly one of minAvailable and maxUnavailable"
    field, value = ("minAvailable", min_available) if min_available is not None else ("maxUnavailable",
                                                                                        max_unavailable)
    pods = _scaled(value, replicas)
    if pods is None:
        return f"{field}={value!r} is neither a non-negative integer nor a percentage"
    allowed = max(replicas - pods, 0) if field == "minAvailable" else min(pods, replicas)
    if replicas < 2:
        return f"with {replicas} replica(s) no budget can both keep a pod up and let a node drain"
    if allowed == 0:
        return f"{field}={value!r} with {replicas} replicas allows no eviction: drains and upgrades hang"
    if allowed >= replicas:
        return f"{field}={value!r} with {replicas} replicas lets every pod be evicted at once"
    return None


@check("REL-PDB")
def test_pod_disruption_budget(workload: Workload, kube_objects: ObjectSet, evidence: Evidence) -> None:
    _require_replicated(workload)
    budgets = [pdb for pdb in kube_objects.selecting("PodDisruptionBudget", workload.pod_labels)
               if same_namespace(pdb, workload.obj)]
    if not budgets:
        _require_complete(kube_objects, f"a PodDisruptionBudget for {workload.ref}")
    labels = ", ".join(f"{k}={v}" for k, v in workload.pod_labels.items()) or "none"
    assert budgets, f"{workload}: no PodDisruptionBudget selects its pods (pod labels: {labels})"
    for pdb in budgets:
        evidence.add(f"{pdb.ref} selects {workload.ref}: minAvailable={pdb.spec.get('minAvailable')} "
                     f"maxUnavailable={pdb.spec.get('maxUnavailable')}", pdb.location)
    if len(budgets) > 1:
        names = ", ".join(str(pdb) for pdb in budgets)
        pytest.fail(f"{workload}: its pods match several PodDisruptionBudgets ({names}); the eviction API "
                    "refuses to evict such pods", pytrace=False)
    replicas, _ = _replica_floor(workload, kube_objects, evidence)
    if replicas is None:
        unverified(f"{workload}: the replica count is not an integer, so the budget cannot be weighed")
    problem = _budget_problem(budgets[0], replicas)
    assert problem is None, f"{budgets[0]}: {problem}"


# --- spreading across zones ---------------------------------------------------------------------

def _selects_own_pods(term: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    selector = term.get("labelSelector")
    if selector is None and term.get("matchLabelKeys"):
        selector = {}  # matchLabelKeys take their values from the pod's own labels
    return selector_matches(selector, labels)


def _spread_keys(workload: Workload) -> list[tuple[str, str]]:
    """(how, topologyKey) of every rule that spreads the workload's own pods."""
    spec, labels = workload.pod_spec, workload.pod_labels
    anti = (spec.get("affinity") or {}).get("podAntiAffinity") or {}
    terms = [*(anti.get("requiredDuringSchedulingIgnoredDuringExecution") or []),
             *((t or {}).get("podAffinityTerm") or {} for t in
               anti.get("preferredDuringSchedulingIgnoredDuringExecution") or [])]
    found = [("podAntiAffinity", str(t.get("topologyKey"))) for t in terms if _selects_own_pods(t, labels)]
    found += [("topologySpreadConstraints", str(c.get("topologyKey")))
              for c in spec.get("topologySpreadConstraints") or [] if _selects_own_pods(c, labels)]
    return found


@check("REL-ANTI-AFFINITY")
def test_spread_across_zones(workload: Workload, evidence: Evidence) -> None:
    _require_replicated(workload)
    rules = _spread_keys(workload)
    for how, key in rules:
        deprecated = " (deprecated label; prefer topology.kubernetes.io/zone)" if key == ZONE_KEYS[1] else ""
        evidence.add(f"{workload.ref}: {how} on {key}{deprecated}", workload.location)
    keys = {key for _, key in rules}
    if keys & set(ZONE_KEYS):
        return
    if HOSTNAME_KEY in keys:
        pytest.fail(f"{workload}: pods are spread across nodes ({HOSTNAME_KEY}) but not across zones; "
                    "one zone outage takes down every replica", pytrace=False)
    pytest.fail(f"{workload}: no podAntiAffinity or topologySpreadConstraints on topology.kubernetes.io/zone "
                "selects its own pods", pytrace=False)


# --- probes -------------------------------------------------------------------------------------

def _handler_problem(handler: Mapping[str, Any], allowed: tuple[str, ...]) -> tuple[str, str | None]:
    """The handler's description and what is wrong with it, if anything."""
    kinds = [h for h in allowed if h in handler]
    if len(kinds) != 1:
        return "", f"needs exactly one handler of {', '.join(allowed)}, has {kinds or 'none'}"
    kind = kinds[0]
    body = handler[kind] if isinstance(handler[kind], Mapping) else {}
    if kind == "exec":
        return f"exec {body.get('command')}", None if body.get("command") else "exec has no command"
    if kind == "sleep":
        seconds = integer(body.get("seconds"))
        return f"sleep {seconds}s", None if seconds and seconds > 0 else "sleep needs positive seconds"
    shown = f"{kind} {body.get('path', '')} port {body.get('port')}".replace("  ", " ")
    return shown, None if body.get("port") is not None else f"{kind} has no port"


def _require_long_running(container: Container) -> None:
    """Init containers run to completion, except native sidecars (restartPolicy: Always)."""
    _require_serving(container.workload)
    if container.init and container.spec.get("restartPolicy") != "Always":
        not_applicable(f"{container.ref} is an init container: it runs to completion")


def _check_probe(container: Container, field: str, evidence: Evidence) -> None:
    _require_long_running(container)
    probe = container.spec.get(field)
    assert probe is not None, f"{container}: no {field}"
    shown, problem = _handler_problem(probe if isinstance(probe, Mapping) else {}, PROBE_HANDLERS)
    evidence.add(f"{container.ref}: {field} {shown}".rstrip(), container.location)
    assert problem is None, f"{container}: {field} {problem}"


@check("REL-LIVENESS")
def test_liveness_probe(container: Container, evidence: Evidence) -> None:
    _check_probe(container, "livenessProbe", evidence)


@check("REL-READINESS")
def test_readiness_probe(container: Container, evidence: Evidence) -> None:
    _check_probe(container, "readinessProbe", evidence)


@check("REL-STARTUP")
def test_startup_probe(container: Container, evidence: Evidence) -> None:
    _check_probe(container, "startupProbe", evidence)


# --- resources ----------------------------------------------------------------------------------

def _quantity(value: Any) -> Decimal | None:
    from pytest_readiness.sources.kube.quantity import parse_quantity

    try:
        return parse_quantity(value)
    except (ValueError, TypeError, ArithmeticError):
        return None


def _resources(container: Container, section: str) -> Mapping[str, Any]:
    return (container.spec.get("resources") or {}).get(section) or {}


@check("REL-REQUESTS")
def test_resource_requests(container: Container, evidence: Evidence) -> None:
    requests, limits = _resources(container, "requests"), _resources(container, "limits")
    for resource in ("cpu", "memory"):
        value = requests.get(resource, limits.get(resource))
        if value is None:
            evidence.finding(f"{container.ref}: no {resource} request", container.location)
            continue
        defaulted = " (copied from its limit by Kubernetes)" if resource not in requests else ""
        evidence.add(f"{container.ref}: {resource} request {value}{defaulted}", container.location)
        amount = _quantity(value)
        if amount is None or amount <= 0:
            evidence.finding(f"{container.ref}: {resource} request {value!r} is not a positive quantity",
                             container.location)
    evidence.fail_if_findings(f"{container}: resource requests incomplete")


@check("REL-LIMITS")
def test_resource_limits(container: Container, evidence: Evidence) -> None:
    requests, limits = _resources(container, "requests"), _resources(container, "limits")
    for resource in ("cpu", "memory"):
        if resource not in limits:
            evidence.finding(f"{container.ref}: no {resource} limit", container.location)
            continue
        evidence.add(f"{container.ref}: {resource} limit {limits[resource]}", container.location)
        limit, request = _quantity(limits[resource]), _quantity(requests.get(resource, limits[resource]))
        if limit is None or limit <= 0:
            evidence.finding(f"{container.ref}: {resource} limit {limits[resource]!r} is not a positive "
                             "quantity", container.location)
        elif request is not None and request > limit:
            evidence.finding(f"{container.ref}: {resource} request {requests[resource]} exceeds its limit "
                             f"{limits[resource]} (the API server rejects this)", container.location)
    evidence.fail_if_findings(f"{container}: resource limits incomplete")


# --- HorizontalPodAutoscaler --------------------------------------------------------------------

def _metric_problems(hpa: KubeObject, workload: Workload) -> list[str]:
    if hpa.api_version == "autoscaling/v1":
        utilized = ["cpu"] if hpa.spec.get("targetCPUUtilizationPercentage") is not None else []
    else:
        metrics = hpa.spec.get("metrics") or []
        utilized = [str((m.get("resource") or {}).get("name")) for m in metrics
                    if m.get("type") == "Resource"
                    and ((m.get("resource") or {}).get("target") or {}).get("type") == "Utilization"]
        if not metrics:
            return ["declares no metrics (state the one it scales on, e.g. CPU utilization)"]
    if hpa.api_version == "autoscaling/v1" and not utilized:
        return ["sets no targetCPUUtilizationPercentage"]
    return [
        f"scales on {name} utilization but container {c.name} sets no {name} request"
        for name in utilized for c in workload.containers
        if name not in _resources(c, "requests") and name not in _resources(c, "limits")
    ]


def _hpa_problems(hpa: KubeObject, workload: Workload) -> list[str]:
    low, high = hpa.spec.get("minReplicas", 1), hpa.spec.get("maxReplicas")
    problems = []
    if integer(low) is None or low < 2:
        problems.append(f"minReplicas={low!r}" + (" (default)" if "minReplicas" not in hpa.spec else "")
                        + " must be at least 2")
    if integer(high) is None or (integer(low) is not None and high <= low):
        problems.append(f"maxReplicas={high!r} must be an integer above minReplicas={low!r}")
    return problems + _metric_problems(hpa, workload)


@check("REL-HPA")
def test_horizontal_pod_autoscaler(workload: Workload, kube_objects: ObjectSet, evidence: Evidence) -> None:
    _require_replicated(workload)
    hpas = _hpas_targeting(workload, kube_objects)
    if not hpas:
        _require_complete(kube_objects, f"an HPA for {workload.ref}")
        targets = {w.ref for w in kube_objects.workloads()}
        hint = "".join(f"\n  {hpa} targets {_target_ref(hpa)}, which is not in the manifests"
                       for hpa in kube_objects.of_kind("HorizontalPodAutoscaler")
                       if _target_ref(hpa) not in targets)
        pytest.fail(f"{workload}: no HorizontalPodAutoscaler targets it{hint}", pytrace=False)
    if len(hpas) > 1:
        pytest.fail(f"{workload}: several HPAs target it ({', '.join(map(str, hpas))}); they fight over "
                    "the replica count", pytrace=False)
    hpa = hpas[0]
    evidence.add(f"{hpa.ref} targets {workload.ref}: minReplicas={hpa.spec.get('minReplicas')} "
                 f"maxReplicas={hpa.spec.get('maxReplicas')}", hpa.location)
    for problem in _hpa_problems(hpa, workload):
        evidence.finding(f"{hpa.ref}: {problem}", hpa.location)
    evidence.fail_if_findings(f"{hpa}: does not scale {workload.ref} as the checklist requires")


# --- graceful shutdown --------------------------------------------------------------------------

def _prestop_seconds(container: Container) -> int:
    """How long the preStop hook holds the container before SIGTERM (0 when it cannot be told)."""
    hook = ((container.spec.get("lifecycle") or {}).get("preStop")) or {}
    if "sleep" in hook:
        return integer((hook.get("sleep") or {}).get("seconds")) or 0
    command = " ".join(str(part) for part in (hook.get("exec") or {}).get("command") or [])
    return max((int(s) for s in _SLEEP.findall(command)), default=0)


@check("REL-GRACE-PERIOD")
def test_termination_grace_period(workload: Workload, evidence: Evidence) -> None:
    _require_serving(workload)
    grace = workload.pod_spec.get("terminationGracePeriodSeconds")
    assert grace is not None, (
        f"{workload}: terminationGracePeriodSeconds is not set (the implicit default is 30 s)"
    )
    evidence.add(f"{workload.ref}: terminationGracePeriodSeconds={grace}", workload.location)
    assert integer(grace) is not None and grace >= MIN_GRACE_SECONDS, (
        f"{workload}: terminationGracePeriodSeconds={grace!r} is below {MIN_GRACE_SECONDS} s"
    )
    sleeps = {c.name: _prestop_seconds(c) for c in workload.containers}
    for name, seconds in sleeps.items():
        if seconds:
            evidence.add(f"{workload.ref}/{name}: preStop holds {seconds} s", workload.location)
    longest = max(sleeps.values(), default=0)
    assert grace > longest, (
        f"{workload}: terminationGracePeriodSeconds={grace} leaves no time after the {longest} s preStop "
        "sleep: the process is killed before it finishes in-flight requests"
    )


@check("REL-PRESTOP")
def test_prestop_hook(container: Container, evidence: Evidence) -> None:
    _require_long_running(container)
    hook = (container.spec.get("lifecycle") or {}).get("preStop")
    assert hook is not None, f"{container}: no lifecycle.preStop hook"
    if "tcpSocket" in hook:  # a mapping: the manifests source refuses any other lifecycle.preStop
        pytest.fail(f"{container}: preStop uses tcpSocket, which Kubernetes ignores as a hook", pytrace=False)
    shown, problem = _handler_problem(hook, PRESTOP_HANDLERS)
    evidence.add(f"{container.ref}: preStop {shown}".rstrip(), container.location)
    assert problem is None, f"{container}: preStop {problem}"


# --- backup & recovery --------------------------------------------------------------------------

@check("REL-SESSION-PERSISTENCE")
def test_session_persistence(agent_config: AgentConfig, evidence: Evidence) -> None:
    for key in ("enabled", "backend", "account_url"):
        evidence.add(agent_config.describe(f"{PERSISTENCE}.{key}"))
    assert agent_config.get(f"{PERSISTENCE}.enabled") is True, (
        f"{agent_config.describe(f'{PERSISTENCE}.enabled')}: session data is not persisted, so a lost "
        "pod or cache loses it"
    )
    section = agent_config.section(PERSISTENCE) or {}
    for key, value in section.items():
        if isinstance(value, str) and EPHEMERAL_PATH.match(value.strip()):
            pytest.fail(f"{agent_config.where(f'{PERSISTENCE}.{key}')}: {PERSISTENCE}.{key} = {value!r} is the pod's "
                        "scratch space: it is gone when the pod restarts, so this is no persistence (use blob, a "
                        "database or a PersistentVolume)", pytrace=False)

