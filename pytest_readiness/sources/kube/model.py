"""The Kubernetes object model shared by the manifests source and the cluster source.

Every check that looks at Kubernetes objects sees `KubeObject`s, whether they were read from
YAML in the repository or listed from a live cluster, so a check runs unchanged on both.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pytest_readiness.results import Location

POD_TEMPLATE_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job")


@dataclass(frozen=True)
class KubeObject:
    body: Mapping[str, Any]
    location: Location
    origin: str = "manifest"  # "manifest" or "cluster"
    # Line of each field in the file it was read from: "spec.template.spec.containers[agent]" -> 42.
    lines: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)

    def location_of(self, path: str) -> Location:
        """The file:line of a field, or the object's own location when it is not known."""
        line = self.lines.get(path)
        return Location(self.location.path, line) if line else self.location

    @property
    def kind(self) -> str:
        return str(self.body.get("kind", ""))

    @property
    def api_version(self) -> str:
        return str(self.body.get("apiVersion", ""))

    @property
    def metadata(self) -> Mapping[str, Any]:
        return self.body.get("metadata") or {}

    @property
    def name(self) -> str:
        return str(self.metadata.get("name", "<unnamed>"))

    @property
    def namespace(self) -> str | None:
        ns = self.metadata.get("namespace")
        return str(ns) if ns else None

    @property
    def labels(self) -> Mapping[str, str]:
        return self.metadata.get("labels") or {}

    @property
    def annotations(self) -> Mapping[str, str]:
        return self.metadata.get("annotations") or {}

    @property
    def spec(self) -> Mapping[str, Any]:
        return self.body.get("spec") or {}

    @property
    def ref(self) -> str:
        """`Kind/name` as used in test ids and messages."""
        return f"{self.kind}/{self.name}"

    def __str__(self) -> str:
        return f"{self.ref} ({self.location})"


@dataclass(frozen=True)
class Workload:
    """An object that carries a pod template (or a bare Pod)."""

    obj: KubeObject

    @property
    def pod_spec_path(self) -> str:
        if self.obj.kind == "Pod":
            return "spec"
        if self.obj.kind == "CronJob":
            return "spec.jobTemplate.spec.template.spec"
        return "spec.template.spec"

    @property
    def pod_template(self) -> Mapping[str, Any]:
        if self.obj.kind == "Pod":
            return {"metadata": self.obj.metadata, "spec": self.obj.spec}
        if self.obj.kind == "CronJob":
            job = (self.obj.spec.get("jobTemplate") or {}).get("spec") or {}
            return job.get("template") or {}
        return self.obj.spec.get("template") or {}

    @property
    def pod_spec(self) -> Mapping[str, Any]:
        return self.pod_template.get("spec") or {}

    @property
    def pod_labels(self) -> Mapping[str, str]:
        return (self.pod_template.get("metadata") or {}).get("labels") or {}

    @property
    def containers(self) -> list[Container]:
        return [Container(self, c) for c in self.pod_spec.get("containers") or []]

    @property
    def init_containers(self) -> list[Container]:
        return [Container(self, c, init=True) for c in self.pod_spec.get("initContainers") or []]

    @property
    def replicas(self) -> int | None:
        if self.obj.kind in ("Deployment", "StatefulSet", "ReplicaSet"):
            value = self.obj.spec.get("replicas", 1)
            return int(value) if isinstance(value, int) else None
        return None

    @property
    def is_serving(self) -> bool:
        """Long-running workloads that serve traffic (not Jobs/CronJobs)."""
        return self.obj.kind not in ("Job", "CronJob")

    @property
    def ref(self) -> str:
        return self.obj.ref

    @property
    def location(self) -> Location:
        return self.obj.location

    def __str__(self) -> str:
        return str(self.obj)


@dataclass(frozen=True)
class Container:
    workload: Workload
    spec: Mapping[str, Any]
    init: bool = False

    @property
    def name(self) -> str:
        return str(self.spec.get("name", "<unnamed>"))

    @property
    def ref(self) -> str:
        return f"{self.workload.ref}/{self.name}"

    @property
    def security_context(self) -> Mapping[str, Any]:
        return self.spec.get("securityContext") or {}

    @property
    def pod_security_context(self) -> Mapping[str, Any]:
        return self.workload.pod_spec.get("securityContext") or {}

    def effective(self, key: str) -> Any:
        """A securityContext field, container level first, then pod level."""
        if key in self.security_context:
            return self.security_context[key]
        return self.pod_security_context.get(key)

    @property
    def location(self) -> Location:
        """The line of this container's entry in the manifest (the workload's line for live objects)."""
        section = "initContainers" if self.init else "containers"
        return self.workload.obj.location_of(f"{self.workload.pod_spec_path}.{section}[{self.name}]")

    def __str__(self) -> str:
        return f"{self.ref} ({self.location})"


def is_workload(obj: KubeObject) -> bool:
    if obj.kind in POD_TEMPLATE_KINDS or obj.kind in ("CronJob", "Pod"):
        return True
    template = obj.spec.get("template")
    return isinstance(template, Mapping) and isinstance(template.get("spec"), Mapping)


def selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """Kubernetes label-selector semantics (matchLabels and matchExpressions).

    An empty selector matches everything (as for a PDB), a missing one matches nothing.
    """
    if selector is None:
        return False
    match_labels = selector.get("matchLabels") or {}
    if any(labels.get(k) != v for k, v in match_labels.items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def workloads(objects: list[KubeObject]) -> Iterator[Workload]:
    for obj in objects:
        if is_workload(obj):
            yield Workload(obj)


@dataclass(frozen=True)
class ParseProblem:
    """A manifest that could not be read: the checks that need it report it as an error."""

    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


@dataclass
class ObjectSet:
    """The Kubernetes objects of one source: the repo's manifests, or a live cluster snapshot."""

    name: str
    objects: list[KubeObject]
    problems: list[ParseProblem]

    def of_kind(self, *kinds: str) -> list[KubeObject]:
        return [o for o in self.objects if o.kind in kinds]

    def covers(self, kind: str) -> bool:
        """Whether this set would hold every object of `kind`: the repo's manifests do; a cluster
        snapshot only for the kinds it listed and was allowed to list."""
        return True

    def workloads(self) -> list[Workload]:
        return list(workloads(self.objects))
