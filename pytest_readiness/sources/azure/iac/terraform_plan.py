"""`terraform show -json` output (a plan, or the state): exact values as the provider computed them,
read instead of the HCL. Values known only after apply are UNKNOWN, except a reference to another
planned resource's `id`, which becomes that resource's ARM id (so private endpoints still point at
their account). Lines point into the JSON file."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pytest_readiness.results import Location
from pytest_readiness.sources.azure.iac import azurerm_map
from pytest_readiness.sources.azure.iac.located_json import JsonProblem, LDict, line_index, loads
from pytest_readiness.sources.azure.model import UNKNOWN, AzureResource, ResourceProblem


def is_plan(data: Any) -> bool:
    return isinstance(data, dict) and "format_version" in data and ("planned_values" in data or "values" in data)


def _modules(module: Any) -> Iterator[LDict]:
    if isinstance(module, LDict):
        yield module
        for child in module.get("child_modules") or []:
            yield from _modules(child)


def _unknown_paths(after_unknown: Any, prefix: str = "") -> Iterator[str]:
    if after_unknown is True:
        yield prefix.rstrip(".")
    elif isinstance(after_unknown, dict):
        for key, value in after_unknown.items():
            yield from _unknown_paths(value, f"{prefix}{key}.")
    elif isinstance(after_unknown, list):
        for position, value in enumerate(after_unknown):
            yield from _unknown_paths(value, f"{prefix}{position}.")


def _put(values: Any, path: str, value: Any) -> None:
    steps = path.split(".")
    node = values
    for step in steps[:-1]:
        node = node[int(step)] if isinstance(node, list) else node.setdefault(step, {})
    if isinstance(node, list):
        node[int(steps[-1])] = value
    else:
        node[steps[-1]] = value


def _references(configuration: Any) -> dict[str, dict[str, list[str]]]:
    """address -> attribute path -> references, from the plan's `configuration` (root module only)."""
    found: dict[str, dict[str, list[str]]] = {}

    def walk(expressions: Any, prefix: str, into: dict[str, list[str]]) -> None:
        if isinstance(expressions, list):
            for position, item in enumerate(expressions):
                walk(item, f"{prefix}{position}.", into)
        elif isinstance(expressions, dict):
            for key, value in expressions.items():
                if isinstance(value, dict) and "references" in value:
                    into[prefix + key] = list(value["references"])
                else:
                    walk(value, f"{prefix}{key}.", into)

    root = (configuration or {}).get("root_module") or {}
    for resource in root.get("resources") or []:
        expressions: dict[str, list[str]] = {}
        walk(resource.get("expressions") or {}, "", expressions)
        found[str(resource.get("address"))] = expressions
    return found


def read_text(text: str, display: str) -> tuple[list[AzureResource], list[ResourceProblem]]:
    try:
        data = loads(text)
    except JsonProblem as problem:
        return [], [ResourceProblem(Location(display, problem.line), problem.message)]
    if not is_plan(data):
        return [], []
    root = (data.get("planned_values") or data.get("values") or {}).get("root_module")
    unknown = {str(c.get("address")): set(_unknown_paths((c.get("change") or {}).get("after_unknown")))
               for c in data.get("resource_changes") or [] if isinstance(c, dict)}
    references = _references(data.get("configuration"))
    planned: list[tuple[LDict, dict[str, Any]]] = []
    for module in _modules(root):
        for raw in module.get("resources") or []:
            if isinstance(raw, LDict) and raw.get("mode", "managed") == "managed" and \
                    raw.get("type") in azurerm_map.ARM_TYPES:
                values = dict(raw.get("values") or {})
                planned.append((raw, values))
    ids = {str(raw.get("address")): azurerm_map.resource_id(str(raw["type"]), values, str(raw.get("address")))
           for raw, values in planned}
    resources: list[AzureResource] = []
    problems: list[ResourceProblem] = []
    for raw, values in planned:
        address = str(raw.get("address"))
        for path in sorted(unknown.get(address, set())):
            target = next((r.rsplit(".id", 1)[0] for r in references.get(address, {}).get(path, [])
                           if r.endswith(".id") and r.rsplit(".id", 1)[0] in ids), None)
            try:
                _put(values, path, ids[target] if target else UNKNOWN)
            except (IndexError, KeyError, TypeError, ValueError, AttributeError):
                values[path.split(".", 1)[0]] = UNKNOWN  # a shape the plan's values do not have: all of it
        lines = {re.sub(r"\[(\d+)\]", r".\1", k.removeprefix("values.")): v
                 for k, v in line_index(raw, "", {}).items() if k.startswith("values.")}
        try:
            resources.append(azurerm_map.to_resource(str(raw["type"]), values, lines, Location(display, raw.line),
                                                     address, source="terraform-plan"))
        except (TypeError, ValueError, AttributeError, KeyError, IndexError) as error:
            problems.append(ResourceProblem(Location(display, raw.line),
                                            f"{address}: values of an unexpected type ({error})"))
    azurerm_map.attach_relations(resources)
    return resources, problems
