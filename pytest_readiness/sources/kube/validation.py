"""What `kubectl apply --dry-run` would reject in manifests, read statically: documents that are no
object, invalid names, labels and ports, selectors that select nothing, duplicated objects."""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from pytest_readiness.results import Location
from pytest_readiness.sources import reading, yaml_reader
from pytest_readiness.sources.common import port_number
from pytest_readiness.sources.kube.model import KubeObject, Workload, mapping_at, selector_matches

_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
LABEL_NAME_KINDS = ("Service", "Namespace")
SUBDOMAIN_NAME_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod", "ConfigMap",
                        "Secret", "Ingress", "ServiceAccount", "PodDisruptionBudget", "HorizontalPodAutoscaler",
                        "NetworkPolicy", "PersistentVolumeClaim")
SELECTOR_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")
UNNAMED_KINDS = ("Kustomization",)


def node_problems(node: yaml.Node, display: str) -> list[tuple[str, Location]]:
    """What `document_problems` says of one composed document."""
    where = Location(display, node.start_mark.line + 1)
    if isinstance(node, yaml.ScalarNode) and node.value in ("", "null", "~"):
        return []
    if not isinstance(node, yaml.MappingNode):
        return [("the document is not a mapping (a Kubernetes object)", where)]
    keys = {str(k.value) for k, _ in node.value}
    missing = [k for k in ("apiVersion", "kind") if k not in keys]
    if missing and (keys & {"metadata", "spec", "data"} or len(missing) == 1):
        return [(f"the object has no {' and no '.join(missing)}", where)]
    return []


# display -> (text, its document problems), filled by the manifests source as it parses each file, so
# OPS-MANIFESTS-VALID does not parse every manifest a second time. A pure function of the text: a file
# whose text changed is parsed again.
_parsed: dict[str, tuple[str, list[tuple[str, Location]]]] = {}


def remember_document_problems(display: str, text: str, problems: list[tuple[str, Location]]) -> None:
    _parsed[display] = (text, problems)


def document_problems(path: Path, display: str) -> Iterator[tuple[str, Location]]:
    """Documents the manifests source skips silently: not a mapping, or no apiVersion/kind."""
    try:
        text = reading.read_text(path, display)
        known = _parsed.get(display)
        if known is not None and known[0] == text:
            yield from known[1]
            return
        for node in yaml_reader.compose_all(text):
            yield from node_problems(node, display)
    except (reading.Unreadable, yaml.YAMLError):
        return  # reported by the manifests source as a parse problem


def _metadata_problems(obj: KubeObject, metadata: Mapping[str, Any], what: str) -> Iterator[str]:
    for field_name in ("labels", "annotations"):
        values = metadata.get(field_name) or {}
        if not isinstance(values, Mapping):
            yield f"{what}.{field_name} is not a mapping"
            continue
        for key, value in values.items():
            if not isinstance(value, str):
                yield (f"{what}.{field_name}.{key} is {value!r}, not a string: quote it "
                       f"(kubectl rejects a {type(value).__name__} here)")
            elif field_name == "labels" and (len(value) > 63 or not _LABEL_VALUE.match(value)):
                yield f"{what}.labels.{key} = {value!r} is not a valid label value"


def _container_problems(container: Mapping[str, Any], index: int) -> Iterator[str]:
    name = container.get("name")
    where = f"container {name or index}"
    if not isinstance(name, str) or not _DNS_LABEL.match(name):
        yield f"{where}: name {name!r} is missing or not a DNS label"
    if not container.get("image"):
        yield f"{where}: no image"
    for var in container.get("env") or []:
        if not isinstance(var, Mapping) or not var.get("name"):
            yield f"{where}: an env entry has no name"
        elif "value" in var and not isinstance(var["value"], str):
            yield f"{where}: env {var['name']} value {var['value']!r} is not a string: quote it"
    for port in container.get("ports") or []:
        number = port.get("containerPort") if isinstance(port, Mapping) else None
        if not port_number(number):
            yield f"{where}: containerPort {number!r} is not a port number"


def object_problems(obj: KubeObject) -> Iterator[str]:
    name = obj.metadata.get("name") or obj.metadata.get("generateName")
    if obj.kind not in UNNAMED_KINDS and (not isinstance(name, str) or not name):
        yield "metadata.name is missing"
    elif isinstance(name, str) and obj.kind in (*LABEL_NAME_KINDS, *SUBDOMAIN_NAME_KINDS):
        pattern, limit = (_DNS_LABEL, 63) if obj.kind in LABEL_NAME_KINDS else (_DNS_SUBDOMAIN, 253)
        if not pattern.match(name.rstrip("-")) or len(name) > limit:
            yield f"metadata.name {name!r} is not a valid {obj.kind} name (lowercase letters, digits and '-')"
    yield from _metadata_problems(obj, obj.metadata, "metadata")
    if obj.kind in ("ConfigMap", "Secret"):
        for field_name in ("data", "stringData"):
            for key, value in (obj.body.get(field_name) or {}).items():
                if not isinstance(value, str):
                    yield f"{field_name}.{key} is {value!r}, not a string: quote it"
    if obj.kind == "Service" and obj.spec.get("type") != "ExternalName" and obj.spec.get("clusterIP") != "None":
        for port in obj.spec.get("ports") or [None]:
            number = port.get("port") if isinstance(port, Mapping) else None
            if not port_number(number):
                yield f"spec.ports: port {number!r} is missing or not a port number"
    yield from _workload_problems(obj)


def _workload_problems(obj: KubeObject) -> Iterator[str]:
    if obj.kind not in (*SELECTOR_KINDS, "Job", "CronJob", "Pod"):
        return
    workload = Workload(obj)
    if obj.kind in SELECTOR_KINDS:
        selector = obj.spec.get("selector")
        if not selector:
            yield "spec.selector is required"
        elif not selector_matches(selector, workload.pod_labels):
            yield "spec.selector does not match spec.template.metadata.labels"
        yield from _metadata_problems(obj, workload.pod_template.get("metadata") or {}, "spec.template.metadata")
    containers = workload.pod_spec.get("containers")
    if not isinstance(containers, list) or not containers:
        yield "the pod template has no containers"
        return
    names = [c.get("name") for c in containers if isinstance(c, Mapping)]
    if len(names) != len(set(names)):
        yield "two containers have the same name"
    for index, container in enumerate(containers):
        yield from _container_problems(container if isinstance(container, Mapping) else {}, index)


def identity(obj: KubeObject) -> tuple[str, str, str | None, str]:
    return obj.api_version.split("/")[0], obj.kind, obj.namespace, obj.name


def duplicates(objects: Iterable[KubeObject]) -> Iterator[tuple[KubeObject, KubeObject]]:
    """(object, the earlier object it replaces) for every object defined twice."""
    seen: dict[tuple[str, str, str | None, str], KubeObject] = {}
    for obj in objects:
        if identity(obj) in seen and obj.kind not in UNNAMED_KINDS:
            yield obj, seen[identity(obj)]
        seen.setdefault(identity(obj), obj)


def _named_ports(container: Mapping[str, Any]) -> set[str]:
    return {str(p["name"]) for p in container.get("ports") or [] if isinstance(p, Mapping) and p.get("name")}


def probe_port_problems(obj: KubeObject) -> Iterator[str]:
    """Probes whose named port (`port: http`) no port of their container carries: kubelet fails them."""
    if obj.kind not in (*SELECTOR_KINDS, "Job", "CronJob", "Pod"):
        return
    for container in Workload(obj).pod_spec.get("containers") or []:
        if not isinstance(container, Mapping):
            continue
        names = _named_ports(container)
        for probe_key in ("livenessProbe", "readinessProbe", "startupProbe"):
            probe = container.get(probe_key)
            if not isinstance(probe, Mapping):
                continue
            for handler in ("httpGet", "tcpSocket", "grpc"):
                port = (probe.get(handler) or {}).get("port") if isinstance(probe.get(handler), Mapping) else None
                if isinstance(port, str) and not port.isdigit() and port not in names:
                    yield (f"container {container.get('name')} {probe_key}.{handler}.port {port!r} names no port "
                           f"of the container (named ports: {', '.join(sorted(names)) or 'none'})")


def _near(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a == b


class _Neighbours:
    """The objects of one list indexed for `selection_problems`: which namespaces hold a `Kind/name`, and
    the pod labels of the workloads by label, so each HPA and PDB looks up its targets instead of
    scanning every object (a scan per object is quadratic at fleet scale)."""

    def __init__(self, objects: list[KubeObject]) -> None:
        self.objects = tuple(objects)
        self.named: dict[tuple[str, str], list[str | None]] = {}
        self.pods: list[tuple[str | None, Mapping[str, Any]]] = []
        self.by_label: dict[tuple[Any, Any], list[tuple[str | None, Mapping[str, Any]]]] = {}
        for obj in objects:
            self.named.setdefault((obj.kind, obj.name), []).append(obj.namespace)
            if obj.kind in (*SELECTOR_KINDS, "Pod"):
                pod = (obj.namespace, Workload(obj).pod_labels)
                self.pods.append(pod)
                for key, value in pod[1].items():
                    if isinstance(value, str | int | float | bool):
                        self.by_label.setdefault((key, value), []).append(pod)

    def holds(self, objects: list[KubeObject]) -> bool:
        return len(objects) == len(self.objects) and all(map(operator.is_, objects, self.objects))

    def targets(self, kind: Any, name: Any, namespace: str | None) -> bool:
        if not (isinstance(kind, str) and isinstance(name, str)):
            return False  # an object's kind and name are strings: nothing equals another type
        return any(_near(ns, namespace) for ns in self.named.get((kind, name), ()))

    def selects(self, selector: Mapping[str, Any], namespace: str | None) -> bool:
        candidates = self.pods
        match_labels = mapping_at(selector, "matchLabels")
        if match_labels:
            key, value = next(iter(match_labels.items()))
            if isinstance(value, str | int | float | bool):  # a pod it selects carries exactly this label
                candidates = self.by_label.get((key, value), [])
        return any(_near(ns, namespace) and selector_matches(selector, labels) for ns, labels in candidates)


_last: list[_Neighbours] = []


def _neighbours(objects: list[KubeObject]) -> _Neighbours:
    """The index of `objects`, kept for the next call with the same objects (one per object of a list)."""
    if not (_last and _last[0].holds(objects)):
        _last[:] = [_Neighbours(objects)]
    return _last[0]


def selection_problems(obj: KubeObject, objects: list[KubeObject]) -> Iterator[str]:
    """An HPA whose scaleTargetRef names no workload, a PDB or Service whose selector selects no pod."""
    if obj.kind == "HorizontalPodAutoscaler":
        target = obj.spec.get("scaleTargetRef") or {}
        if isinstance(target, Mapping) and not _neighbours(objects).targets(target.get("kind"), target.get("name"),
                                                                            obj.namespace):
            yield (f"spec.scaleTargetRef {target.get('kind')}/{target.get('name')} is not in the manifests: "
                   "it scales nothing")
    elif obj.kind == "PodDisruptionBudget":
        selector = obj.spec.get("selector")
        if isinstance(selector, Mapping) and selector and not _neighbours(objects).selects(selector, obj.namespace):
            yield f"spec.selector {dict(selector)} selects no pod template in the manifests: it protects nothing"
