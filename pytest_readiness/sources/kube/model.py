"""The Kubernetes object model shared by the manifests source and the cluster source.

Every check that looks at Kubernetes objects sees `KubeObject`s, whether they were read from
YAML in the repository or listed from a live cluster, so a check runs unchanged on both.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from pytest_readiness.results import Location, Problem

POD_TEMPLATE_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job")


def mapping_at(parent: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """`parent[key]` when it is a mapping, else {} (absent, null, or a shape the loader reported)."""
    # `type(...) is dict` first: the loaders give dicts, and an ABC isinstance check costs 5x more.
    value = parent.get(key) if type(parent) is dict or isinstance(parent, Mapping) else None
    return value if type(value) is dict or isinstance(value, Mapping) else {}


def mappings_at(parent: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    """The mapping entries of the list `parent[key]`; [] when absent or not a list."""
    value = parent.get(key) if isinstance(parent, Mapping) else None
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list | tuple) else []


# The objects are read once and never changed, so their derived fields (`kind`, `metadata`, a workload's
# pod template...) are computed once: per-workload checks ask for them thousands of times at fleet scale.
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

    @cached_property
    def kind(self) -> str:
        return str(self.body.get("kind", ""))

    @property
    def api_version(self) -> str:
        return str(self.body.get("apiVersion", ""))

    @cached_property
    def metadata(self) -> Mapping[str, Any]:
        return mapping_at(self.body, "metadata")

    @cached_property
    def name(self) -> str:
        return str(self.metadata.get("name", "<unnamed>"))

    @cached_property
    def namespace(self) -> str | None:
        ns = self.metadata.get("namespace")
        return str(ns) if ns else None

    @property
    def labels(self) -> Mapping[str, str]:
        return mapping_at(self.metadata, "labels")

    @property
    def annotations(self) -> Mapping[str, str]:
        return mapping_at(self.metadata, "annotations")

    @cached_property
    def spec(self) -> Mapping[str, Any]:
        return mapping_at(self.body, "spec")

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

    @cached_property
    def pod_template(self) -> Mapping[str, Any]:
        if self.obj.kind == "Pod":
            return {"metadata": self.obj.metadata, "spec": self.obj.spec}
        if self.obj.kind == "CronJob":
            job = mapping_at(mapping_at(self.obj.spec, "jobTemplate"), "spec")
            return mapping_at(job, "template")
        return mapping_at(self.obj.spec, "template")

    @cached_property
    def pod_spec(self) -> Mapping[str, Any]:
        return mapping_at(self.pod_template, "spec")

    @cached_property
    def pod_labels(self) -> Mapping[str, str]:
        return mapping_at(mapping_at(self.pod_template, "metadata"), "labels")

    @property
    def containers(self) -> list[Container]:
        return [Container(self, c) for c in mappings_at(self.pod_spec, "containers")]

    @property
    def init_containers(self) -> list[Container]:
        return [Container(self, c, init=True) for c in mappings_at(self.pod_spec, "initContainers")]

    @property
    def replicas(self) -> int | None:
        if self.obj.kind in ("Deployment", "StatefulSet", "ReplicaSet"):
            value = self.obj.spec.get("replicas", 1)
            return int(value) if isinstance(value, int) and not isinstance(value, bool) else None
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
        return mapping_at(self.spec, "securityContext")

    @property
    def pod_security_context(self) -> Mapping[str, Any]:
        return mapping_at(self.workload.pod_spec, "securityContext")

    def mapping_field(self, name: str) -> Mapping[str, Any]:
        """A field of the container that is a mapping ({} when absent or of another shape)."""
        return mapping_at(self.spec, name)

    def list_field(self, name: str) -> list[Mapping[str, Any]]:
        """A field of the container that is a list of mappings (ports, env, volumeMounts): [] when absent,
        and only its mapping entries (the loader refuses any other shape)."""
        return mappings_at(self.spec, name)

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
    if selector is None or not isinstance(selector, Mapping):
        return False
    match_labels = mapping_at(selector, "matchLabels")
    if any(labels.get(k) != v for k, v in match_labels.items()):
        return False
    for expr in mappings_at(selector, "matchExpressions"):
        key, op, values = str(expr.get("key")), expr.get("operator"), expr.get("values") or []
        if not isinstance(values, list):
            return False
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def _selector_bucket(obj: KubeObject) -> Hashable:
    """The first matchLabels pair of the object's spec.selector: only pods with that label can match it.
    None: no such pair (an empty selector, expressions only, an unhashable value), so every pod is a candidate."""
    selector = obj.spec.get("selector")
    if not isinstance(selector, Mapping):
        return None
    pair = next(iter(mapping_at(selector, "matchLabels").items()), None)
    try:
        hash(pair)
    except TypeError:
        return None
    return pair


def _everything(obj: KubeObject) -> Hashable:
    return None


def workloads(objects: list[KubeObject]) -> Iterator[Workload]:
    for obj in objects:
        if is_workload(obj):
            yield Workload(obj)


ParseProblem = Problem  # a manifest that could not be read


@dataclass
class ObjectSet:
    """The Kubernetes objects of one source: the repo's manifests, or a live cluster snapshot."""

    name: str
    objects: list[KubeObject]
    problems: list[ParseProblem]
    # Built once per set (rebuilt if objects are added): every check asks for kinds, per workload.
    _kind_index: dict[str, list[KubeObject]] = field(default_factory=dict, init=False, repr=False, compare=False)
    _workload_list: list[Workload] = field(default_factory=list, init=False, repr=False, compare=False)
    _groups: dict[tuple[str, Callable[[KubeObject], Hashable]], dict[Hashable, list[KubeObject]]] = field(
        default_factory=dict, init=False, repr=False, compare=False)
    _indexed: int = field(default=-1, init=False, repr=False, compare=False)

    def _index(self) -> dict[str, list[KubeObject]]:
        if self._indexed != len(self.objects):
            self._kind_index = {}
            for obj in self.objects:
                self._kind_index.setdefault(obj.kind, []).append(obj)
            self._workload_list = list(workloads(self.objects))
            self._groups = {}
            self._indexed = len(self.objects)
        return self._kind_index

    def grouped(self, kind: str, key: Callable[[KubeObject], Hashable]) -> Mapping[Hashable, list[KubeObject]]:
        """The objects of `kind` by `key(obj)`, file order kept in each group; built once per set and key, so
        `key` is a module-level function (a per-workload check asks this once per workload). The objects come
        from `of_kind`, so a set that cannot list a kind (a cluster's 403) says so here too."""
        self._index()
        groups = self._groups.get((kind, key))
        if groups is None:
            groups = {}
            for obj in self.of_kind(kind):
                groups.setdefault(key(obj), []).append(obj)
            self._groups[(kind, key)] = groups
        return groups

    def _in_file_order(self, kind: str, found: list[KubeObject]) -> list[KubeObject]:
        position = {id(obj): n for n, obj in enumerate(self.grouped(kind, _everything)[None])} if found else {}
        return sorted(found, key=lambda obj: position[id(obj)])

    def selecting(self, kind: str, labels: Mapping[str, Any]) -> list[KubeObject]:
        """The objects of `kind` whose spec.selector matches `labels` (a PDB of a workload's pods), in file order."""
        groups = self.grouped(kind, _selector_bucket)
        candidates = list(groups.get(None, ()))
        for pair in labels.items():
            try:
                candidates += groups.get(pair, ())
            except TypeError:  # an unhashable label value: no selector is keyed by it
                continue
        matching = [obj for obj in candidates if selector_matches(obj.spec.get("selector"), labels)]
        return self._in_file_order(kind, matching) if len(matching) > 1 else matching

    def of_kind(self, *kinds: str) -> list[KubeObject]:
        by_kind = self._index()
        if len(kinds) == 1:
            return list(by_kind.get(kinds[0], ()))
        wanted = set(kinds)
        return [o for o in self.objects if o.kind in wanted]

    def covers(self, kind: str) -> bool:
        """Whether this set would hold every object of `kind`: the repo's manifests do; a cluster
        snapshot only for the kinds it listed and was allowed to list."""
        return True

    def workloads(self) -> list[Workload]:
        self._index()
        return list(self._workload_list)
