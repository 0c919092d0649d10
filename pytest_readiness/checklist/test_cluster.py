"""Checks only a live cluster can answer: pod health, restarts, zones, disruption budgets, autoscalers,
logs, drift from the repo, network policies and API tokens. One test per top-level live workload.

The static workload checks of the other modules also run on the live workloads (ids prefixed
`cluster:<context>:`); these are the ones that need a cluster's status, nodes, events or logs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pytest_readiness import Evidence, check, not_applicable, unverified
from pytest_readiness.secrets import mask_in_text
from pytest_readiness.settings import Settings
from pytest_readiness.sources.kube.cluster_fixtures import LiveWorkload
from pytest_readiness.sources.kube.model import Container, KubeObject, ObjectSet, Workload, selector_matches

HOUR = timedelta(hours=1)
MAX_RESTARTS_PER_HOUR = 3  # the seed's alert: more than 3 restarts in an hour
MIN_AVAILABLE = 2
ZONE_LABELS = ("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone")
USES_API_ANNOTATION = "readiness.io/uses-kubernetes-api"
LOG_LINES_SHOWN = 3
LOG_LINE_WIDTH = 160
PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
PROBE_DEFAULTS = {"initialDelaySeconds": 0, "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1,
                  "failureThreshold": 3}
_TEMPLATED = re.compile(r"\$\{|\$\(|\{\{|<[^<>]+>")
_ERROR_LINE = re.compile(
    r"\b(?:ERROR|CRITICAL|FATAL|PANIC|SEVERE)\b"
    r"""|(?i:["'](?:level|severity|levelname|log\.level)["']\s*:\s*["'](?:error|err|critical|fatal|panic)["'])"""
    r"|(?i:\blevel=[\"']?(?:error|err|critical|fatal|panic)\b)"
    r"|\b(?:[A-Z]\w*)?Exception\b"
)
_TRACEBACK = re.compile(r"^\s*Traceback \(most recent call last\):")


# --- small readers -----------------------------------------------------------------------------

def _status(obj: KubeObject) -> Mapping[str, Any]:
    status = obj.body.get("status")
    return status if isinstance(status, Mapping) else {}


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _conditions(obj: KubeObject) -> dict[str, Mapping[str, Any]]:
    return {str(c.get("type")): c for c in _status(obj).get("conditions") or [] if isinstance(c, Mapping)}


def _fail_unless(condition: object, message: str) -> None:
    """Fail with `message` alone: with thousands of live objects in reach, pytest's own failure report (source
    and argument values of every frame) would cost far more than the check."""
    if not condition:
        pytest.fail(message, pytrace=False)


def _require(live: LiveWorkload, kind: str) -> list[KubeObject]:
    """The live objects of `kind`; unverified (with the API server's reason) when they could not be listed."""
    if kind in live.snapshot.denied:
        unverified(f"{live.snapshot.denied[kind]}: {kind} is needed to check {live.ref}")
    return live.of_kind(kind)


def _pods(live: LiveWorkload) -> list[KubeObject]:
    _require(live, "Pod")
    return live.pods()


def _require_replicated(live: LiveWorkload) -> None:
    if live.obj.kind == "DaemonSet":
        not_applicable(f"{live.ref} runs one pod per node: its node pool decides how many and where")
    if live.obj.kind == "Pod":
        not_applicable(f"{live.ref} is a bare Pod that nothing replicates (see REL-CLUSTER-PODS-READY)")


def _is_ready(pod: KubeObject) -> bool:
    return _status(pod).get("phase") == "Running" and (_conditions(pod).get("Ready") or {}).get("status") == "True"


def _container_statuses(pod: KubeObject) -> list[Mapping[str, Any]]:
    return [s for s in _status(pod).get("containerStatuses") or [] if isinstance(s, Mapping)]


def _waiting_reasons(pod: KubeObject) -> list[str]:
    reasons = []
    for status in _container_statuses(pod):
        waiting = (status.get("state") or {}).get("waiting")
        if isinstance(waiting, Mapping):
            reasons.append(f"{status.get('name')} waiting: {waiting.get('reason', 'unknown reason')}")
    return reasons


# --- pods running and ready --------------------------------------------------------------------

def _available(live: LiveWorkload) -> tuple[int, int]:
    """(available, wanted) replicas as the workload's controller reports them."""
    status = _status(live.obj)
    if live.obj.kind == "DaemonSet":
        return _count(status.get("numberAvailable")) or 0, _count(status.get("desiredNumberScheduled")) or 0
    if live.obj.kind == "Pod":
        return int(_is_ready(live.obj)), 1
    available = _count(status.get("availableReplicas"))
    if available is None:
        available = _count(status.get("readyReplicas")) or 0
    return available, _count(live.obj.spec.get("replicas")) or 0


@check("REL-CLUSTER-PODS-READY")
def test_pods_running_and_ready(cluster_workload: LiveWorkload, evidence: Evidence) -> None:
    live = cluster_workload
    pods = _pods(live)
    for pod in pods:
        phase = _status(pod).get("phase", "Unknown")
        if phase == "Failed" and _status(pod).get("reason") == "Evicted":
            evidence.add(f"pod {pod.name} was evicted earlier and replaced (delete it to tidy up)", pod.location)
        elif _is_ready(pod):
            evidence.add(f"pod {pod.name} is Running and Ready", pod.location)
        else:
            ready = (_conditions(pod).get("Ready") or {}).get("status", "Unknown")
            detail = "; ".join(_waiting_reasons(pod))
            evidence.finding(f"pod {pod.name} is {phase}, Ready={ready}" + (f" ({detail})" if detail else ""),
                             pod.location)
    available, wanted = _available(live)
    evidence.add(f"{live.ref}: {available} available of {wanted} wanted", live.location)
    if not pods:
        evidence.finding(f"{live.ref} has no pods", live.location)
    if live.obj.kind == "DaemonSet":
        if available < wanted:
            evidence.finding(f"only {available} of {wanted} scheduled pods are available", live.location)
    elif live.obj.kind == "Pod":
        evidence.finding(f"{live.ref} is a bare Pod: a single replica that nothing reschedules", live.location)
    elif available < MIN_AVAILABLE:
        evidence.finding(f"{available} available replica(s); production needs at least {MIN_AVAILABLE}",
                         live.location)
    evidence.fail_if_findings(f"{live}: pods not all running and ready")


# --- restarts in the last hour -----------------------------------------------------------------

def _backoff_events(live: LiveWorkload, pod: KubeObject, container: str, since: datetime) -> list[KubeObject]:
    """The kubelet's "Back-off restarting failed container" events for one container since `since`."""
    found = []
    for event in live.events_of(pod):
        involved = event.body.get("involvedObject") or {}
        if event.body.get("reason") != "BackOff":
            continue
        field_path = str(involved.get("fieldPath") or "")
        if field_path and f"{{{container}}}" not in field_path:
            continue
        series = event.body.get("series") or {}
        when = _time(event.body.get("lastTimestamp")) or _time(series.get("lastObservedTime")) or _time(
            event.body.get("eventTime"))
        if when is not None and when >= since:
            found.append(event)
    return found


def _restart_verdict(live: LiveWorkload, pod: KubeObject, status: Mapping[str, Any],
                     now: datetime) -> tuple[bool | None, str]:
    """Whether a container restarted more than 3 times in the last hour: True, False or None (cannot tell).

    The API keeps a lifetime restartCount and the last termination only, so: more than 3 restarts in all
    and the last one within the hour fails when the pod itself started within the hour (every restart
    fell in it), or the container is crash-looping now (waiting in CrashLoopBackOff, or a BackOff event
    within the hour: the kubelet backs off only while restarts follow each other within minutes).
    """
    name = str(status.get("name"))
    restarts = _count(status.get("restartCount")) or 0
    terminated = (status.get("lastState") or {}).get("terminated") or {}
    last = _time(terminated.get("finishedAt"))
    reason = f" ({terminated['reason']})" if terminated.get("reason") else ""
    if restarts <= MAX_RESTARTS_PER_HOUR:
        return False, f"{restarts} restart(s) in all"
    if last is not None and last < now - HOUR:
        return False, f"{restarts} restarts in all, the last{reason} at {last:%Y-%m-%d %H:%M} UTC, over an hour ago"
    started = _time(_status(pod).get("startTime"))
    when = f"the last{reason} at {last:%H:%M} UTC" if last else "the last one not recorded"
    if started is not None and started >= now - HOUR:
        return True, f"{restarts} restarts since the pod started at {started:%H:%M} UTC, {when}"
    waiting = ((status.get("state") or {}).get("waiting") or {}).get("reason")
    backoffs = _backoff_events(live, pod, name, now - HOUR)
    if last is not None and (waiting == "CrashLoopBackOff" or backoffs):
        signal = "waiting in CrashLoopBackOff" if waiting == "CrashLoopBackOff" else "BackOff events in the last hour"
        return True, f"{restarts} restarts in all, {when}, {signal}: crash-looping"
    return None, (f"{restarts} restarts in all, {when}; how many fell in the last hour is not recorded in the "
                  "API (see kube_pod_container_status_restarts_total in Prometheus)")


@check("REL-CLUSTER-RESTARTS")
def test_pods_not_restarting(cluster_workload: LiveWorkload, evidence: Evidence) -> None:
    live = cluster_workload
    now = datetime.now(UTC)
    undecided = []
    pods = _pods(live)
    if "Event" in live.snapshot.denied:
        evidence.add(f"events not read ({live.snapshot.denied['Event']}): judged from container statuses only")
    for pod in pods:
        for status in _container_statuses(pod):
            verdict, detail = _restart_verdict(live, pod, status, now)
            line = f"pod {pod.name} container {status.get('name')}: {detail}"
            if verdict:
                evidence.finding(line, pod.location)
            else:
                evidence.add(line, pod.location)
                if verdict is None:
                    undecided.append(line)
    evidence.fail_if_findings(f"{live}: containers restarted more than {MAX_RESTARTS_PER_HOUR} times in the last hour")
    if not pods:
        unverified(f"{live} has no pods to judge restarts by (see REL-CLUSTER-PODS-READY)")
    if undecided:
        unverified(f"{live}: cannot tell restarts in the last hour: " + "; ".join(undecided))


# --- zones ------------------------------------------------------------------------------------

@check("REL-CLUSTER-ZONES")
def test_pods_spread_across_zones(cluster_workload: LiveWorkload, evidence: Evidence) -> None:
    live = cluster_workload
    _require_replicated(live)
    pods = [p for p in _pods(live) if _status(p).get("phase") == "Running" and p.spec.get("nodeName")]
    nodes = {n.name: n for n in _require(live, "Node")}
    zones: dict[str, list[str]] = {}
    for pod in pods:
        node = nodes.get(str(pod.spec["nodeName"]))
        zone = next((node.labels[key] for key in ZONE_LABELS if node and key in node.labels), None)
        if node is None:
            evidence.add(f"pod {pod.name} runs on node {pod.spec['nodeName']}, which is not listed", pod.location)
        elif zone is None:
            evidence.add(f"pod {pod.name} runs on node {node.name}, which has no zone label", node.location)
        else:
            zones.setdefault(zone, []).append(pod.name)
    placed = ", ".join(f"{zone}: {len(names)}" for zone, names in sorted(zones.items())) or "none"
    evidence.add(f"{live.ref}: running pods per zone: {placed}", live.location)
    _fail_unless(pods, f"{live}: no running pod to place in a zone (see REL-CLUSTER-PODS-READY)")
    _fail_unless(len(zones) >= 2, f"{live}: its {len(pods)} running pod(s) sit in {len(zones)} zone(s) ({placed}): "
                 "one zone outage takes it down")


# --- disruption budget, autoscaler ------------------------------------------------------------

@check("REL-CLUSTER-PDB-ALLOWS")
def test_pdb_allows_disruption(cluster_workload: LiveWorkload, evidence: Evidence) -> None:
    live = cluster_workload
    _require_replicated(live)
    budgets = [pdb for pdb in _require(live, "PodDisruptionBudget")
               if selector_matches(pdb.spec.get("selector"), live.workload.pod_labels)]
    _fail_unless(budgets, f"{live}: no PodDisruptionBudget in the cluster selects its pods")
    unreported = []
    for pdb in budgets:
        status = _status(pdb)
        allowed = _count(status.get("disruptionsAllowed"))
        counts = ", ".join(f"{key}={status.get(key)}" for key in ("currentHealthy", "desiredHealthy", "expectedPods"))
        if allowed is None or not status.get("observedGeneration"):
            unreported.append(str(pdb))
        elif allowed < 1:
            evidence.finding(f"{pdb.ref} allows {allowed} disruption(s) now ({counts}): a node drain would hang",
                             pdb.location)
        else:
            evidence.add(f"{pdb.ref} allows {allowed} disruption(s) now ({counts})", pdb.location)
    evidence.fail_if_findings(f"{live}: its PodDisruptionBudget blocks voluntary disruptions")
    if unreported:
        unverified(f"the disruption controller has not reported status for {', '.join(unreported)} yet")


def _metric_key(metric: Mapping[str, Any]) -> str:
    kind = str(metric.get("type", ""))
    body = metric.get(kind[:1].lower() + kind[1:]) or {}
    name = body.get("name") or (body.get("metric") or {}).get("name")
    return f"{kind}/{name}"


@check("REL-CLUSTER-HPA-HEALTHY")
def test_hpa_healthy(cluster_workload: LiveWorkload, evidence: Evidence) -> None:
    live = cluster_workload
    _require_replicated(live)
    hpas = [hpa for hpa in _require(live, "HorizontalPodAutoscaler")
            if (hpa.spec.get("scaleTargetRef") or {}).get("kind") == live.obj.kind
            and (hpa.spec.get("scaleTargetRef") or {}).get("name") == live.obj.name]
    _fail_unless(hpas, f"{live}: no HorizontalPodAutoscaler in the cluster targets it")
    if len(hpas) > 1:
        evidence.finding(f"several HPAs target it ({', '.join(h.ref for h in hpas)}): they fight over the "
                         "replica count", live.location)
    for hpa in hpas:
        conditions = _conditions(hpa)
        for kind in ("AbleToScale", "ScalingActive"):
            condition = conditions.get(kind)
            if condition is None:
                evidence.finding(f"{hpa.ref} reports no {kind} condition", hpa.location)
            elif condition.get("status") != "True":
                evidence.finding(f"{hpa.ref}: {kind} is {condition.get('status')} ({condition.get('reason')}: "
                                 f"{condition.get('message')})", hpa.location)
        current = {_metric_key(m) for m in _status(hpa).get("currentMetrics") or [] if isinstance(m, Mapping)}
        declared = [_metric_key(m) for m in hpa.spec.get("metrics") or [] if isinstance(m, Mapping)]
        missing = [key for key in declared if key not in current]
        if missing or not current:
            evidence.finding(f"{hpa.ref} reports no current value for {', '.join(missing) or 'any metric'}",
                             hpa.location)
        status = _status(hpa)
        evidence.add(f"{hpa.ref}: {status.get('currentReplicas')} replicas, current metrics: "
                     f"{', '.join(sorted(current)) or 'none'}", hpa.location)
    evidence.fail_if_findings(f"{live}: its HorizontalPodAutoscaler is not healthy")


# --- logs -------------------------------------------------------------------------------------

def error_incidents(text: str) -> list[str]:
    """Error lines and stack traces in a log; a stack trace and the error line it follows count once.

    Returns the line that best names each incident (the exception line of a Python traceback).
    """
    incidents: list[str] = []
    lines = text.splitlines()
    open_incident = False  # indented lines and a traceback right after an error line belong to it
    index = 0
    while index < len(lines):
        line = lines[index]
        if _TRACEBACK.match(line):
            index += 1
            while index < len(lines) and (lines[index][:1].isspace() or not lines[index].strip()):
                index += 1
            closing = lines[index].strip() if index < len(lines) else line.strip()
            if not open_incident:
                incidents.append(closing)
            open_incident = True
            index += 1
            continue
        if open_incident and line[:1].isspace():
            index += 1
            continue
        open_incident = bool(_ERROR_LINE.search(line))
        if open_incident:
            incidents.append(line.strip())
        index += 1
    return incidents


def _shown(line: str) -> str:
    """A log line fit for a report: secrets masked first, then shortened (so no secret is cut in half)."""
    masked = mask_in_text(line)
    return masked if len(masked) <= LOG_LINE_WIDTH else masked[: LOG_LINE_WIDTH - 1] + "…"


def _log_sample(pods: list[KubeObject], limit: int) -> list[KubeObject]:
    """At most `limit` running pods, the troubled ones (not ready, most restarts) first."""
    running = [p for p in pods if _status(p).get("phase") == "Running"]

    def trouble(pod: KubeObject) -> tuple[bool, int]:
        return _is_ready(pod), -sum(_count(s.get("restartCount")) or 0 for s in _container_statuses(pod))

    return sorted(running, key=trouble)[:limit]


def _containers(pod: KubeObject) -> Iterator[str]:
    for container in pod.spec.get("containers") or []:
        if isinstance(container, Mapping) and container.get("name"):
            yield str(container["name"])


@check("OBS-CLUSTER-LOG-ERRORS")
def test_logs_free_of_errors(cluster_workload: LiveWorkload, readiness_settings: Settings,
                             evidence: Evidence) -> None:
    from pytest_readiness.sources.kube.cluster import ClusterUnavailable

    live = cluster_workload
    tail, threshold = readiness_settings.log_tail_lines, readiness_settings.log_error_threshold
    pods = _log_sample(_pods(live), readiness_settings.log_pods)
    if not pods:
        unverified(f"{live}: no running pod to read logs from (see REL-CLUSTER-PODS-READY)")
    read, unread = 0, []
    for pod in pods:
        for name in _containers(pod):
            try:
                text = live.snapshot.pod_logs(pod, name, tail)
            except ClusterUnavailable as exc:
                if exc.reason.startswith("no permission"):
                    unverified(exc.reason)
                unread.append(f"container {name} of pod {pod.name}: {exc.reason}")
                evidence.add(unread[-1], pod.location)
                continue
            read += 1
            incidents = error_incidents(text)
            lines = len(text.splitlines())
            evidence.add(f"container {name} of pod {pod.name}: {len(incidents)} error line(s) or stack trace(s) "
                         f"in its last {lines} log line(s)", pod.location)
            if len(incidents) > threshold:
                shown = " | ".join(_shown(i) for i in incidents[:LOG_LINES_SHOWN])
                more = f" (and {len(incidents) - LOG_LINES_SHOWN} more)" if len(incidents) > LOG_LINES_SHOWN else ""
                evidence.finding(f"container {name} of pod {pod.name}: {len(incidents)} error(s) above the "
                                 f"threshold of {threshold}: {shown}{more}", pod.location)
    evidence.fail_if_findings(f"{live}: errors in recent logs (last {tail} lines per container)")
    if not read:
        unverified(f"{live}: no container log could be read: " + "; ".join(unread))


# --- drift from the repo ----------------------------------------------------------------------

def _declared(live: LiveWorkload, manifests: ObjectSet) -> Workload | None:
    same = [w for w in manifests.workloads() if (w.obj.kind, w.obj.name) == (live.obj.kind, live.obj.name)]
    exact = [w for w in same if w.obj.namespace == live.obj.namespace]
    unplaced = [w for w in same if w.obj.namespace is None]
    candidates = exact or unplaced
    return candidates[0] if candidates else None


def _by_name(containers: list[Container]) -> dict[str, Container]:
    return {c.name: c for c in containers}


def _probe(spec: Any) -> Any:
    """A probe as the API server stores it: defaults filled in, so `{}` and the defaults compare equal."""
    if not isinstance(spec, Mapping):
        return spec
    probe = {**PROBE_DEFAULTS, **{k: v for k, v in spec.items() if v is not None}}
    if isinstance(probe.get("httpGet"), Mapping):
        probe["httpGet"] = {"scheme": "HTTP", **{k: v for k, v in probe["httpGet"].items() if v is not None}}
    return probe


def _hpa_managed(live: LiveWorkload, manifests: ObjectSet) -> bool:
    hpas = manifests.of_kind("HorizontalPodAutoscaler")
    if "HorizontalPodAutoscaler" not in live.snapshot.denied:
        hpas += live.of_kind("HorizontalPodAutoscaler")
    return any((h.spec.get("scaleTargetRef") or {}).get("kind") == live.obj.kind
               and (h.spec.get("scaleTargetRef") or {}).get("name") == live.obj.name for h in hpas)


def _compare_containers(live: Workload, declared: Workload, evidence: Evidence) -> None:
    for init in (False, True):
        running = _by_name(live.init_containers if init else live.containers)
        wanted = _by_name(declared.init_containers if init else declared.containers)
        section = "init container" if init else "container"
        for name in sorted(set(running) ^ set(wanted)):
            where = "runs in the cluster only" if name in running else "is in the repo only"
            evidence.finding(f"{section} {name} {where}", declared.location)
        for name in sorted(set(running) & set(wanted)):
            image, declared_image = running[name].spec.get("image"), wanted[name].spec.get("image")
            if isinstance(declared_image, str) and _TEMPLATED.search(declared_image):
                evidence.add(f"{section} {name}: the repo's image {declared_image} is a template: not compared",
                             declared.location)
            elif image != declared_image:
                evidence.finding(f"{section} {name} image: the cluster runs {image}, the repo declares "
                                 f"{declared_image}", declared.location)
            else:
                evidence.add(f"{section} {name} image {image} as in the repo", declared.location)
            for probe in PROBES:
                if _probe(running[name].spec.get(probe)) != _probe(wanted[name].spec.get(probe)):
                    evidence.finding(f"{section} {name} {probe}: the cluster has {running[name].spec.get(probe)}, "
                                     f"the repo declares {wanted[name].spec.get(probe)}", declared.location)


@check("OPS-CLUSTER-DRIFT")
def test_no_drift_from_repo(cluster_workload: LiveWorkload, manifests: ObjectSet, evidence: Evidence) -> None:
    live = cluster_workload
    declared = _declared(live, manifests)
    if declared is None:
        unverified(f"{live.ref} runs in {live.snapshot.description} but is not in the repo's manifests: nothing "
                   "to compare it with (point --readiness-manifests at the manifests that deploy it)")
    evidence.add(f"{live.ref} compared with {declared}", declared.location)
    _compare_containers(live.workload, declared, evidence)
    if _hpa_managed(live, manifests):
        evidence.add(f"{live.ref}: replicas not compared, an HPA manages them", live.location)
    elif live.workload.replicas != declared.replicas:  # both None for a DaemonSet or a Pod
        evidence.finding(f"replicas: the cluster runs {live.workload.replicas}, the repo declares "
                         f"{declared.replicas}", declared.location)
    evidence.fail_if_findings(f"{live} has drifted from {declared.location}")


# --- network policy, service account token ----------------------------------------------------

@check("SEC-CLUSTER-NETWORK-POLICY")
def test_network_policy_selects_pods(cluster_workload: LiveWorkload, evidence: Evidence) -> None:
    live = cluster_workload
    labels = live.workload.pod_labels
    selecting = [p for p in _require(live, "NetworkPolicy")
                 if selector_matches(p.spec.get("podSelector") or {}, labels)]
    shown = ", ".join(f"{k}={v}" for k, v in labels.items()) or "none"
    _fail_unless(selecting, f"{live}: no NetworkPolicy in namespace {live.snapshot.namespace} selects its pods "
                            f"({shown})")
    ingress = []
    for policy in selecting:
        types = policy.spec.get("policyTypes") or ["Ingress"]
        evidence.add(f"{policy.ref} selects its pods (policyTypes {', '.join(types)})", policy.location)
        if "Ingress" not in types:
            continue
        ingress.append(policy)
        for rule in policy.spec.get("ingress") or []:
            if isinstance(rule, Mapping) and not rule.get("from"):
                if not rule.get("ports"):
                    evidence.finding(f"{policy.ref} admits ingress from anywhere on every port (a rule with no "
                                     "from and no ports)", policy.location)
                else:
                    ports = ", ".join(str(p.get("port", "all")) for p in rule["ports"] if isinstance(p, Mapping))
                    evidence.add(f"{policy.ref} admits any source on port(s) {ports}", policy.location)
    if not ingress:
        evidence.finding(f"the policies selecting it ({', '.join(p.ref for p in selecting)}) do not restrict "
                         "ingress (no Ingress in policyTypes)", live.location)
    evidence.fail_if_findings(f"{live}: ingress to its pods is not restricted")


@check("SEC-CLUSTER-SA-TOKEN")
def test_no_unused_api_token(cluster_workload: LiveWorkload, evidence: Evidence) -> None:
    live = cluster_workload
    workload = live.workload
    annotations = {**workload.obj.annotations, **((workload.pod_template.get("metadata") or {}).get("annotations")
                                                   or {})}
    if str(annotations.get(USES_API_ANNOTATION, "")).lower() == "true":
        not_applicable(f"{live.ref} declares that it talks to the Kubernetes API ({USES_API_ANNOTATION}: \"true\")")
    on_pod = workload.pod_spec.get("automountServiceAccountToken")
    account = str(workload.pod_spec.get("serviceAccountName") or workload.pod_spec.get("serviceAccount") or "default")
    evidence.add(f"{live.ref}: pod automountServiceAccountToken={on_pod}, ServiceAccount {account}", live.location)
    if on_pod is False:
        return
    _fail_unless(on_pod is not True, f"{live}: its pod template sets automountServiceAccountToken: true, so every "
                 f"pod carries a Kubernetes API token it does not use (annotate {USES_API_ANNOTATION}: \"true\" if it "
                 "does)")
    accounts = [a for a in _require(live, "ServiceAccount") if a.name == account]
    if not accounts:
        unverified(f"ServiceAccount {account} of {live.ref} is not in namespace {live.snapshot.namespace}")
    on_account = accounts[0].body.get("automountServiceAccountToken")
    evidence.add(f"{accounts[0].ref}: automountServiceAccountToken={on_account}", accounts[0].location)
    _fail_unless(on_account is False, f"{live}: neither its pod template nor {accounts[0]} sets "
                 "automountServiceAccountToken: false, so every pod carries a Kubernetes API token it does not use "
                 f"(annotate {USES_API_ANNOTATION}: \"true\" if it does)")
