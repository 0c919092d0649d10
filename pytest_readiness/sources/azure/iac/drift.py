"""Declared vs live: the properties the IaC sets (known values only) that the subscription holds
differently. Resources match by type and name; ids the IaC could only partly know
(`/subscriptions/{subscriptionId}/...`) match any value in the placeholder's place."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pytest_readiness.results import Location
from pytest_readiness.sources.azure.model import UNKNOWN, AzureResource, ResourceSet

_PLACEHOLDER = re.compile(r"\{[^{}/]+\}")  # {subscriptionId}, {principalId of agent-id}


@dataclass(frozen=True)
class Drift:
    resource_type: str
    name: str
    path: str  # "properties.publicNetworkAccess"
    declared: Any
    live: Any
    where: Location  # file:line of the declaration
    live_id: str
    default: str = ""  # set when the declared value is a provider default, not written in the file

    def __str__(self) -> str:
        how = f" ({self.default})" if self.default else ""
        return (f"{self.resource_type}/{self.name}: {self.path} is declared {self.declared!r}{how} at {self.where} "
                f"but is {self.live!r} in {self.live_id}")


def _key(resource: AzureResource) -> tuple[str, str]:
    return resource.type.lower(), resource.name.lower()


def _leaves(value: Any, path: str, depth: int = 0) -> Iterator[tuple[str, Any]]:
    if depth > 20:
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _leaves(item, f"{path}.{key}" if path else str(key), depth + 1)
    elif isinstance(value, list) and value and all(isinstance(i, Mapping) for i in value):
        for position, item in enumerate(value):
            name = item.get("name")
            yield from _leaves(item, f"{path}[{name if isinstance(name, str) else position}]", depth + 1)
    else:
        yield path, value


def _lookup(resource: AzureResource, path: str) -> Any:
    """A leaf path with `[name]` / `[i]` list steps, read from the live resource."""
    value: Any = {"properties": resource.properties, "sku": resource.sku, "identity": resource.identity,
                  "kind": resource.kind}
    for step in re.findall(r"[^.\[\]]+|\[[^\]]*\]", path):
        if step.startswith("["):
            key = step[1:-1]
            if not isinstance(value, list):
                return None
            by_name = [i for i in value if isinstance(i, Mapping) and str(i.get("name", "")).lower() == key.lower()]
            value = by_name[0] if by_name else (value[int(key)] if key.isdigit() and int(key) < len(value) else None)
        elif isinstance(value, Mapping):
            lowered = step.lower()
            value = next((v for k, v in value.items() if str(k).lower() == lowered), None)
        else:
            return None
    return value


def _same(declared: Any, live: Any) -> bool:
    if isinstance(declared, str) and isinstance(live, str):
        if _PLACEHOLDER.search(declared):
            pattern = "".join(".+" if _PLACEHOLDER.fullmatch(part) else re.escape(part)
                              for part in re.split(r"(\{[^{}/]+\})", declared))
            return re.fullmatch(pattern, live, re.IGNORECASE) is not None
        return declared.lower() == live.lower()
    if isinstance(declared, list) and isinstance(live, list):
        return len(declared) == len(live) and all(_same(d, v) for d, v in zip(declared, live, strict=True))
    return bool(declared == live)


@dataclass
class Comparison:
    """One declared resource set against its live counterpart."""

    drifts: list[Drift]
    compared: list[str]  # paths whose declared value was set against the live one
    unknown: list[str]  # paths declared with a value the reader could not resolve
    not_shown: list[str]  # paths declared that the live body does not show (write-only or not returned)


def name_known(resource: AzureResource) -> bool:
    """Whether the declared name is a literal (not an expression, a placeholder or a Terraform address)."""
    return not (resource.name.startswith("[") or "{" in resource.name or resource.name.startswith("azurerm_"))


def counterparts(resource: AzureResource, live: ResourceSet) -> list[AzureResource]:
    """The live resources the declared one may be: same type and name, and the id where the IaC knows it."""
    candidates = [c for c in live.resources if _key(c) == _key(resource)]
    exact = [c for c in candidates if _same(resource.id, c.id)]
    return exact or candidates


def differences(resource: AzureResource, match: AzureResource) -> Comparison:
    tree = {"properties": resource.properties, "sku": resource.sku, "kind": resource.kind,
            "identity": {"type": resource.identity.get("type")} if resource.identity else {}}
    result = Comparison([], [], [], [])
    for path, value in _leaves(tree, ""):
        if value is UNKNOWN or (isinstance(value, list) and UNKNOWN in value):
            result.unknown.append(path)
            continue
        if value is None or value == "":
            continue
        live_value = _lookup(match, path)
        if live_value is None:
            result.not_shown.append(path)
            continue
        result.compared.append(path)
        if not _same(value, live_value):
            result.drifts.append(Drift(resource.type, resource.name, path, value, live_value,
                                       resource.location_of(path), match.id, resource.defaults.get(path, "")))
    return result


def compare(declared: ResourceSet, live: ResourceSet) -> list[Drift]:
    drifts: list[Drift] = []
    for resource in declared.resources:
        candidates = counterparts(resource, live)
        if len(candidates) == 1:
            drifts.extend(differences(resource, candidates[0]).drifts)
    return drifts
