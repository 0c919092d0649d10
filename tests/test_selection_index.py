"""OPS-MANIFESTS-VALID's selection checks (an HPA that scales nothing, a PDB that selects no pod) look their
targets up in an index of the object list: they give what a scan of every object gives, on any objects."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_readiness.results import Location
from pytest_readiness.sources.kube import validation
from pytest_readiness.sources.kube.model import KubeObject, ObjectSet, Workload, selector_matches


def scanned(obj: KubeObject, objects: list[KubeObject]) -> Iterator[str]:
    """The definition: every object in the namespace (or cluster-wide) is a candidate."""
    near = [o for o in objects if o.namespace is None or obj.namespace is None or o.namespace == obj.namespace]
    if obj.kind == "HorizontalPodAutoscaler":
        target = obj.spec.get("scaleTargetRef") or {}
        if isinstance(target, Mapping) and not any(o.kind == target.get("kind") and o.name == target.get("name")
                                                   for o in near):
            yield (f"spec.scaleTargetRef {target.get('kind')}/{target.get('name')} is not in the manifests: "
                   "it scales nothing")
    elif obj.kind == "PodDisruptionBudget":
        selector = obj.spec.get("selector")
        pods = [Workload(o).pod_labels for o in near if o.kind in (*validation.SELECTOR_KINDS, "Pod")]
        if isinstance(selector, Mapping) and selector and not any(selector_matches(selector, p) for p in pods):
            yield f"spec.selector {dict(selector)} selects no pod template in the manifests: it protects nothing"


names = st.sampled_from(["api", "worker", "web"])
namespaces = st.sampled_from([None, "prod", "dev"])
label_values = st.one_of(st.sampled_from(["api", "worker", "web", "1"]), st.none(), st.integers(0, 2), st.booleans(),
                         st.lists(st.just("api"), max_size=1))
labels = st.dictionaries(st.sampled_from(["app", "tier", "team"]), label_values, max_size=3)
expressions = st.lists(st.fixed_dictionaries({
    "key": st.sampled_from(["app", "tier"]),
    "operator": st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist"]),
    "values": st.one_of(st.lists(st.sampled_from(["api", "web"]), max_size=2), st.just("api")),
}), max_size=2)
selectors = st.one_of(st.none(), st.just({}), st.just("app=api"),
                      st.fixed_dictionaries({}, optional={"matchLabels": st.one_of(labels, st.just([])),
                                                          "matchExpressions": expressions}))
targets = st.one_of(st.none(), st.just("Deployment/api"), st.fixed_dictionaries({}, optional={
    "kind": st.sampled_from(["Deployment", "StatefulSet", "Service", 7]), "name": st.one_of(names, st.just(["api"]))}))


def body(kind: str, name: str, namespace: str | None, spec: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {"apiVersion": "v1", "kind": kind, "metadata": metadata, "spec": spec}


workloads = st.builds(lambda kind, name, ns, pod_labels: body(kind, name, ns, {"template": {
    "metadata": {"labels": pod_labels}, "spec": {"containers": [{"name": "app"}]}}}),
    st.sampled_from(["Deployment", "StatefulSet", "Job"]), names, namespaces, labels)
pods = st.builds(lambda name, ns, pod_labels: {**body("Pod", name, ns, {}), "metadata": {
    "name": name, "labels": pod_labels, **({"namespace": ns} if ns else {})}}, names, namespaces, labels)
hpas = st.builds(lambda name, ns, target: body("HorizontalPodAutoscaler", name, ns, {"scaleTargetRef": target}),
                 names, namespaces, targets)
pdbs = st.builds(lambda name, ns, selector: body("PodDisruptionBudget", name, ns, {"selector": selector}),
                 names, namespaces, selectors)
services = st.builds(lambda name, ns: body("Service", name, ns, {}), names, namespaces)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(workloads, pods, hpas, pdbs, services), max_size=12))
def test_the_index_gives_what_a_scan_of_every_object_gives(bodies: list[dict[str, Any]]) -> None:
    objects = [KubeObject(b, Location(f"m{n}.yaml", 1)) for n, b in enumerate(bodies)]
    for obj in objects:
        assert list(validation.selection_problems(obj, objects)) == list(scanned(obj, objects))


def test_a_changed_list_is_indexed_again() -> None:
    deployment = KubeObject(body("Deployment", "api", "prod", {"template": {"metadata": {"labels": {"app": "api"}}}}),
                            Location("d.yaml", 1))
    pdb = KubeObject(body("PodDisruptionBudget", "api", "prod", {"selector": {"matchLabels": {"app": "api"}}}),
                     Location("p.yaml", 1))
    hpa = KubeObject(body("HorizontalPodAutoscaler", "api", "prod",
                          {"scaleTargetRef": {"kind": "Deployment", "name": "api"}}), Location("h.yaml", 1))
    objects = [deployment, pdb, hpa]
    assert list(validation.selection_problems(pdb, objects)) == []
    assert list(validation.selection_problems(hpa, objects)) == []
    objects[0] = KubeObject(body("Deployment", "web", "prod", {"template": {"metadata": {"labels": {"app": "web"}}}}),
                            Location("d.yaml", 1))  # same length, another object
    assert [p.split(" ")[0] for p in validation.selection_problems(pdb, objects)] == ["spec.selector"]
    assert [p.split(" ")[0] for p in validation.selection_problems(hpa, objects)] == ["spec.scaleTargetRef"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(workloads, pods, hpas, pdbs, services), max_size=12), labels)
def test_a_sets_selecting_index_gives_what_a_scan_gives(bodies: list[dict[str, Any]],
                                                        pod_labels: dict[str, Any]) -> None:
    objects = ObjectSet("repo", [KubeObject(b, Location(f"m{n}.yaml", 1)) for n, b in enumerate(bodies)], [])
    for workload_labels in [pod_labels, *(w.pod_labels for w in objects.workloads())]:
        scan = [o for o in objects.objects if o.kind == "PodDisruptionBudget"
                and selector_matches(o.spec.get("selector"), workload_labels)]
        assert objects.selecting("PodDisruptionBudget", workload_labels) == scan


def test_a_sets_groups_are_built_again_when_objects_are_added() -> None:
    def target(obj: KubeObject) -> str:
        return str((obj.spec.get("scaleTargetRef") or {}).get("name"))

    hpa = body("HorizontalPodAutoscaler", "api", "prod", {"scaleTargetRef": {"kind": "Deployment", "name": "api"}})
    objects = ObjectSet("repo", [KubeObject(hpa, Location("h.yaml", 1))], [])
    assert [o.name for o in objects.grouped("HorizontalPodAutoscaler", target)["api"]] == ["api"]
    objects.objects.append(KubeObject({**hpa, "metadata": {"name": "api-2", "namespace": "prod"}},
                                      Location("h.yaml", 9)))
    assert [o.name for o in objects.grouped("HorizontalPodAutoscaler", target)["api"]] == ["api", "api-2"]
    objects.objects.append(KubeObject(body("PodDisruptionBudget", "api", "prod",
                                           {"selector": {"matchLabels": {"app": "api"}}}), Location("p.yaml", 1)))
    assert [o.name for o in objects.selecting("PodDisruptionBudget", {"app": "api", "tier": "web"})] == ["api"]
    assert objects.selecting("PodDisruptionBudget", {"app": "web"}) == []
