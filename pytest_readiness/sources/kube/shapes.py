"""The shape of every Kubernetes field a check reads, enforced when an object is loaded.

An object with a field of the wrong type (`ports: "8080"`, `containers: [null]`, `cpu: .nan`) is not
handed to the checks: it becomes a problem at that field's line ("spec.template.spec.containers[0].ports
must be a list, got a string"), and the file's other objects are still checked. Only what the API
server itself would refuse is refused; null stands for an absent field, as it does for the API server.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

NAME_LIMIT = 253  # DNS subdomain, the longest name the API server accepts
VALUE_LIMIT = 64 * 1024  # a label or annotation value: far above the API server's 256 KiB total, per value


def describe(value: Any) -> str:
    """A value's type as a message names it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"


@dataclass(frozen=True)
class ShapeProblem:
    path: str  # with list positions: spec.template.spec.containers[0].ports
    line_key: str  # as manifests.line_index keys it: spec.template.spec.containers[agent].ports
    message: str


Shape = Callable[[Any, str, str], Iterator[ShapeProblem]]


def _problem(path: str, key: str, message: str) -> Iterator[ShapeProblem]:
    yield ShapeProblem(path, key, f"{path} {message}")


def scalar(limit: int = VALUE_LIMIT) -> Shape:
    def check(value: Any, path: str, key: str) -> Iterator[ShapeProblem]:
        if value is None:
            return
        if isinstance(value, Mapping | list | tuple):
            yield from _problem(path, key, f"must be a single value, got {describe(value)}")
        elif isinstance(value, float) and not math.isfinite(value):
            yield from _problem(path, key, f"must be a finite value, got {value}")
        elif isinstance(value, str) and len(value) > limit:
            yield from _problem(path, key, f"must be at most {limit} characters, got {len(value)}")

    return check


def templated(value: Any) -> bool:
    """An unrendered Helm value (`replicas: "{{ .Values.replicas }}"`): the checks say to render it."""
    return isinstance(value, str) and "{{" in value


def integer(value: Any, path: str, key: str) -> Iterator[ShapeProblem]:
    if value is not None and not templated(value) and (isinstance(value, bool) or not isinstance(value, int)):
        yield from _problem(path, key, f"must be an integer, got {describe(value)}")


def int_or_string(value: Any, path: str, key: str) -> Iterator[ShapeProblem]:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | str)):
        yield from _problem(path, key, f"must be an integer or a string, got {describe(value)}")


def boolean(value: Any, path: str, key: str) -> Iterator[ShapeProblem]:
    if value is not None and not templated(value) and not isinstance(value, bool):
        yield from _problem(path, key, f"must be true or false, got {describe(value)}")


def quantity(value: Any, path: str, key: str) -> Iterator[ShapeProblem]:
    """A resource quantity: 500m, 1Gi, 2, 0.5; a string that is no quantity ("lots") is the checks' to judge."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        yield from _problem(path, key, f"must be a quantity like 500m or 1Gi, got {describe(value)}")
    elif isinstance(value, float) and not math.isfinite(value):
        yield from _problem(path, key, f"must be a quantity like 500m or 1Gi, got {value}")
    elif isinstance(value, str) and len(value) > 256:
        yield from _problem(path, key, f"must be a quantity like 500m or 1Gi, got a string of {len(value)} characters")


def mapping(fields: Mapping[str, Shape] | None = None, values: Shape | None = None) -> Shape:
    """A mapping; `fields` checks the named keys, `values` every value."""

    def check(value: Any, path: str, key: str) -> Iterator[ShapeProblem]:
        if value is None:
            return
        if not isinstance(value, Mapping):
            yield from _problem(path, key, f"must be a mapping, got {describe(value)}")
            return
        for name, item in value.items():
            if not isinstance(name, str):
                yield from _problem(path, key, f"keys must be strings, got {describe(name)} {str(name)[:40]!r}")
                return
            shape = (fields or {}).get(name) or values
            if shape is not None:
                yield from shape(item, f"{path}.{name}", f"{key}.{name}")

    return check


def listing(items: Shape | None = None) -> Shape:
    """A list; `items` checks each entry (entries keyed by their `name` for line numbers, as line_index does)."""

    def check(value: Any, path: str, key: str) -> Iterator[ShapeProblem]:
        if value is None:
            return
        if not isinstance(value, list | tuple):
            yield from _problem(path, key, f"must be a list, got {describe(value)}")
            return
        for position, item in enumerate(value):
            name = item.get("name") if isinstance(item, Mapping) else None
            label = name if isinstance(name, str | int) and not isinstance(name, bool) else position
            if items is not None:
                yield from items(item, f"{path}[{position}]", f"{key}[{label}]")

    return check


def _not_null(shape: Shape) -> Shape:
    def check(value: Any, path: str, key: str) -> Iterator[ShapeProblem]:
        if value is None:
            yield from _problem(path, key, "must be a mapping, got null")
        else:
            yield from shape(value, path, key)

    return check


def _entries(fields: Mapping[str, Shape] | None = None) -> Shape:
    """A list of mappings (every entry must be a mapping, null included)."""
    return listing(_not_null(mapping(fields or {})))


STRINGS = mapping(values=scalar())
NAME = scalar(NAME_LIMIT)
METADATA = mapping({"name": NAME, "namespace": NAME, "generateName": NAME, "labels": STRINGS,
                    "annotations": STRINGS, "uid": scalar(), "ownerReferences": _entries()})
SELECTOR = mapping({"matchLabels": STRINGS,
                    "matchExpressions": _entries({"key": scalar(), "operator": scalar(), "values": listing(scalar())})})
PROBE = mapping({"httpGet": mapping({"path": scalar(), "port": int_or_string, "httpHeaders": _entries()}),
                 "tcpSocket": mapping({"port": int_or_string}), "grpc": mapping({"port": integer}),
                 "exec": mapping({"command": listing(scalar())}), "initialDelaySeconds": integer,
                 "periodSeconds": integer, "timeoutSeconds": integer, "failureThreshold": integer,
                 "successThreshold": integer})
_TERMS = {"requiredDuringSchedulingIgnoredDuringExecution": _entries({"labelSelector": SELECTOR}),
          "preferredDuringSchedulingIgnoredDuringExecution": _entries({"podAffinityTerm": mapping(
              {"labelSelector": SELECTOR, "topologyKey": scalar()})})}
AFFINITY = mapping({"podAntiAffinity": mapping(_TERMS), "podAffinity": mapping(_TERMS), "nodeAffinity": mapping()})
RESOURCES = mapping({"limits": mapping(values=quantity), "requests": mapping(values=quantity)})
SECURITY_CONTEXT = mapping({"capabilities": mapping({"add": listing(scalar()), "drop": listing(scalar())}),
                            "runAsUser": integer, "runAsGroup": integer, "runAsNonRoot": boolean,
                            "privileged": boolean, "allowPrivilegeEscalation": boolean,
                            "readOnlyRootFilesystem": boolean, "seccompProfile": mapping(), "fsGroup": integer})
CONTAINER = _not_null(mapping({
    "name": NAME, "image": scalar(), "imagePullPolicy": scalar(),
    "ports": _entries({"containerPort": integer, "name": scalar(), "protocol": scalar()}),
    "env": _entries({"name": scalar(), "value": scalar(), "valueFrom": mapping(values=mapping())}),
    "envFrom": _entries({"configMapRef": mapping(), "secretRef": mapping()}),
    "resources": RESOURCES, "securityContext": SECURITY_CONTEXT,
    "livenessProbe": PROBE, "readinessProbe": PROBE, "startupProbe": PROBE,
    "volumeMounts": _entries({"name": scalar(), "mountPath": scalar(), "readOnly": boolean}),
    "command": listing(scalar()), "args": listing(scalar()),
    "lifecycle": mapping({"preStop": mapping(), "postStart": mapping()}),
}))
POD_SPEC = mapping({
    "containers": listing(CONTAINER), "initContainers": listing(CONTAINER), "ephemeralContainers": listing(CONTAINER),
    "volumes": _entries({"csi": mapping(), "secret": mapping(), "configMap": mapping(),
                         "projected": mapping({"sources": _entries()})}),
    "securityContext": SECURITY_CONTEXT, "affinity": AFFINITY,
    "tolerations": _entries(), "topologySpreadConstraints": _entries({"labelSelector": SELECTOR}),
    "nodeSelector": STRINGS, "imagePullSecrets": _entries(), "serviceAccountName": NAME,
    "serviceAccount": NAME, "automountServiceAccountToken": boolean, "hostNetwork": boolean,
    "hostPID": boolean, "hostIPC": boolean, "terminationGracePeriodSeconds": integer, "priorityClassName": scalar(),
})
TEMPLATE = mapping({"metadata": METADATA, "spec": POD_SPEC})
WORKLOAD_SPEC = mapping({"replicas": integer, "selector": SELECTOR, "template": TEMPLATE,
                         "strategy": mapping({"type": scalar(), "rollingUpdate": mapping()}),
                         "minReadySeconds": integer, "revisionHistoryLimit": integer})
SPECS: Mapping[str, Shape] = {
    **dict.fromkeys(("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"), WORKLOAD_SPEC),
    "CronJob": mapping({"schedule": scalar(), "jobTemplate": mapping({"spec": WORKLOAD_SPEC})}),
    "Pod": POD_SPEC,
    "PodDisruptionBudget": mapping({"selector": SELECTOR, "minAvailable": int_or_string,
                                    "maxUnavailable": int_or_string}),
    "HorizontalPodAutoscaler": mapping({"scaleTargetRef": mapping({"kind": scalar(), "name": scalar()}),
                                        "minReplicas": integer, "maxReplicas": integer, "metrics": _entries()}),
    "Service": mapping({"selector": STRINGS, "ports": _entries({"port": integer, "targetPort": int_or_string}),
                        "type": scalar()}),
    "Ingress": mapping({"tls": _entries({"hosts": listing(scalar()), "secretName": scalar()}),
                        "rules": _entries({"host": scalar(), "http": mapping({"paths": _entries()})})}),
    "NetworkPolicy": mapping({"podSelector": SELECTOR, "ingress": _entries({"from": _entries(), "ports": _entries()}),
                              "egress": _entries({"to": _entries(), "ports": _entries()}),
                              "policyTypes": listing(scalar())}),
    "PrometheusRule": mapping({"groups": _entries({"rules": _entries({"alert": scalar(), "expr": scalar()})})}),
    "ServiceMonitor": mapping({"selector": SELECTOR, "endpoints": _entries()}),
    "PodMonitor": mapping({"selector": SELECTOR, "podMetricsEndpoints": _entries()}),
}
DATA = mapping(values=scalar(1 << 62))
TOP: Mapping[str, Shape] = {"apiVersion": scalar(NAME_LIMIT), "kind": scalar(NAME_LIMIT), "metadata": METADATA}


def problems(body: Mapping[str, Any]) -> Iterator[ShapeProblem]:
    """Every wrong shape among the fields the checks read, in field order."""
    for name, shape in TOP.items():
        yield from shape(body.get(name), name, name)
    kind = body.get("kind")
    spec = SPECS.get(kind) if isinstance(kind, str) else None
    if spec is not None:
        yield from spec(body.get("spec"), "spec", "spec")
    if kind in ("ConfigMap", "Secret"):
        for name in ("data", "stringData", "binaryData"):
            yield from DATA(body.get(name), name, name)


def first_problem(body: Mapping[str, Any]) -> ShapeProblem | None:
    return next(problems(body), None)
