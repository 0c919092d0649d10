"""The environment the manifests give each serving container: literal env values, ConfigMap-sourced values,
and the names of variables set from Secrets (whose values the manifests do not hold)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pytest_readiness.results import Location
from pytest_readiness.sources.kube.model import KubeObject, ObjectSet


@dataclass(frozen=True)
class EnvSetting:
    name: str
    value: str
    container: str
    where: Location


def _configmap(objects: ObjectSet, name: Any, near: KubeObject) -> KubeObject | None:
    return next((cm for cm in objects.of_kind("ConfigMap") if cm.name == name
                 and (cm.namespace is None or near.namespace is None or cm.namespace == near.namespace)), None)


def container_env(objects: ObjectSet) -> Iterator[EnvSetting]:
    """Literal env values and ConfigMap-sourced values of every serving container in `objects`."""
    for workload in objects.workloads():
        if not workload.is_serving:
            continue
        for container in workload.containers:
            for source in container.spec.get("envFrom") or []:
                ref = (source or {}).get("configMapRef") or {}
                cm = _configmap(objects, ref.get("name"), workload.obj) if ref else None
                if cm is None:
                    continue
                for key, value in (cm.body.get("data") or {}).items():
                    yield EnvSetting(f"{source.get('prefix', '')}{key}", str(value), container.ref, cm.location)
            for var in container.spec.get("env") or []:
                if "value" in var:
                    yield EnvSetting(str(var.get("name")), str(var["value"]), container.ref, container.location)
                    continue
                ref = ((var.get("valueFrom") or {}).get("configMapKeyRef")) or {}
                cm = _configmap(objects, ref.get("name"), workload.obj) if ref else None
                if cm is not None and ref.get("key") in (cm.body.get("data") or {}):
                    value = cm.body["data"][ref["key"]]
                    yield EnvSetting(str(var.get("name")), str(value), container.ref, cm.location)


def env_named(objects: ObjectSet | None, names: tuple[str, ...]) -> list[EnvSetting]:
    return [s for s in container_env(objects) if s.name in names] if objects is not None else []




def secret_env(objects: ObjectSet) -> Iterator[EnvSetting]:
    """Variables of serving containers set from a Secret (`secretKeyRef`): the name is known, not the value."""
    for workload in objects.workloads():
        if workload.is_serving:
            for container in workload.containers:
                for var in container.spec.get("env") or []:
                    if isinstance(var, dict) and (var.get("valueFrom") or {}).get("secretKeyRef"):
                        yield EnvSetting(str(var.get("name")), "", container.ref, container.location)


def env_set(objects: ObjectSet | None, names: tuple[str, ...]) -> list[EnvSetting]:
    """Every setting of one of `names`, literal, from a ConfigMap or from a Secret."""
    if objects is None:
        return []
    return [s for s in (*container_env(objects), *secret_env(objects)) if s.name in names]
