"""One shape for subnets whatever the source: ARM returns a VNet with its subnets inline and each
subnet as its own resource too, so a declared VNet gets the subnets declared apart (Terraform's
`azurerm_subnet`, an ARM child resource), and a subnet declared inline becomes its own resource."""

from __future__ import annotations

import dataclasses

from pytest_readiness.results import Location
from pytest_readiness.sources.azure.model import AzureResource

VNET = "microsoft.network/virtualnetworks"
SUBNET = "microsoft.network/virtualnetworks/subnets"


def normalize_subnets(resources: list[AzureResource]) -> list[AzureResource]:
    subnets = {r.id.lower(): r for r in resources if r.type.lower() == SUBNET}
    result: list[AzureResource] = []
    for resource in resources:
        if resource.type.lower() != VNET:
            result.append(resource)
            continue
        declared = resource.properties.get("subnets")
        if declared is not None and not isinstance(declared, list):
            result.append(resource)  # unknown (a loop): the subnets declared apart stay resources of their own
            continue
        inline = [s for s in declared or [] if isinstance(s, dict)]
        names = {str(s.get("name", "")).lower() for s in inline}
        own = [s for key, s in subnets.items() if key.startswith(resource.id.lower() + "/subnets/")]
        merged = inline + [{"name": s.name, "id": s.id, "properties": dict(s.properties)}
                           for s in own if s.name.lower() not in names]
        result.append(dataclasses.replace(resource, properties={**resource.properties, "subnets": merged})
                      if merged else resource)
        for position, subnet in enumerate(inline):
            subnet_id = f"{resource.id}/subnets/{subnet.get('name')}"
            if subnet_id.lower() in subnets or not isinstance(subnet.get("name"), str):
                continue
            key = f"properties.subnets[{position}]"
            lines = {path.removeprefix(key + "."): line for path, line in resource.lines.items()
                     if path.startswith(key + ".")}
            result.append(AzureResource(
                type=f"{resource.type}/subnets", id=subnet_id, name=subnet["name"], location="",
                properties=dict(subnet.get("properties") or {}),
                origin=Location(resource.origin.path, resource.lines.get(key, resource.origin.line)),
                source=resource.source, lines=lines))
    return result
