"""One Azure resource model for every Azure check, whatever the source.

Properties are in ARM's REST shape (camelCase, as ARM returns them and as ARM templates declare
them). A live resource comes from the SDK model's `as_dict()` / `serialize(keep_readonly=True)`;
a declared one from an ARM template, compiled Bicep or Terraform mapped onto the same shape.
Checks read this model, never an SDK object, so the same check runs on all of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from pytest_readiness.results import Location, Problem


class _Unknown:
    """A declared value the reader could not resolve (an ARM expression, a Terraform reference)."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        raise TypeError("an unknown value has no truth value: test `is UNKNOWN` first")


UNKNOWN: Final = _Unknown()
ABSENT: Final = None  # a property the resource does not set


@dataclass(frozen=True)
class AzureResource:
    type: str  # "Microsoft.Cache/redis", as ARM spells it
    id: str  # the ARM resource id; for a declared resource, the id it will have where it can be known
    name: str
    location: str
    properties: Mapping[str, Any]
    origin: Location  # live: Location(resource id); declared: Location(file, line)
    source: str = "arm"  # "arm" (live), "arm-template", "bicep", "terraform"
    kind: str = ""
    sku: Mapping[str, Any] = field(default_factory=dict)
    identity: Mapping[str, Any] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    # "properties.publicNetworkAccess" -> "azurerm default: public_network_access_enabled = true"
    defaults: Mapping[str, str] = field(default_factory=dict, compare=False)
    # "properties.minimumTlsVersion" -> line of the attribute in the file it was declared in
    lines: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)
    # a property declared in another file than the resource (a Terraform association): path -> file:line
    elsewhere: Mapping[str, Location] = field(default_factory=dict, compare=False, repr=False)

    @property
    def ref(self) -> str:
        """The parametrization id: `Microsoft.Cache/redis/agent-cache`."""
        return f"{self.type}/{self.name}"

    @property
    def live(self) -> bool:
        return self.source == "arm"

    def get(self, path: str) -> Any:
        """A dotted path from the resource's top level (`properties.minimumTlsVersion`, `sku.name`):
        the value, None when absent, or UNKNOWN when declared with an expression nobody resolved."""
        value: Any = {"properties": self.properties, "sku": self.sku, "identity": self.identity,
                      "kind": self.kind, "tags": self.tags, "location": self.location}
        for step in path.split("."):
            if value is UNKNOWN:
                return UNKNOWN
            if not isinstance(value, Mapping):
                return None
            value = _get_case_insensitive(value, step)
        return value

    def location_of(self, path: str) -> Location:
        """file:line of a declared property where known, else the resource's own origin."""
        if path in self.elsewhere:
            return self.elsewhere[path]
        line = self.lines.get(path)
        return Location(self.origin.path, line) if line else self.origin

    def is_type(self, resource_type: str) -> bool:
        return self.type.lower() == resource_type.lower()


def _get_case_insensitive(mapping: Mapping[str, Any], key: str) -> Any:
    if key in mapping:
        return mapping[key]
    lowered = key.lower()
    return next((v for k, v in mapping.items() if isinstance(k, str) and k.lower() == lowered), None)


ResourceProblem = Problem  # a resource or file that could not be read; the others are still checked


@dataclass
class ResourceSet:
    """The resources of one source: the live subscription, or the IaC files of the repo."""

    name: str  # "azure:<subscription>" or "iac"
    resources: list[AzureResource] = field(default_factory=list)
    problems: list[ResourceProblem] = field(default_factory=list)
    # resource types this source could list; a type it could not (403) maps to the reason
    unreadable: dict[str, str] = field(default_factory=dict)
    # inputs present but not read for want of a tool or a fetch (Bicep CLI, registry modules): unverified
    unverified: list[ResourceProblem] = field(default_factory=list)

    def of_type(self, resource_type: str) -> list[AzureResource]:
        return [r for r in self.resources if r.is_type(resource_type)]

    def by_id(self, resource_id: str) -> AzureResource | None:
        lowered = resource_id.lower()
        return next((r for r in self.resources if r.id.lower() == lowered), None)
