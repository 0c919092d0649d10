"""Declared vs live: a property the IaC sets (and knows) that the subscription holds differently."""

from __future__ import annotations

import json
from pathlib import Path

from pytest_readiness.results import Location
from pytest_readiness.sources.azure.iac.arm_template import read_text
from pytest_readiness.sources.azure.iac.drift import compare
from pytest_readiness.sources.azure.model import AzureResource, ResourceSet

from .conftest import DATA

# The declared side of the REST examples' cache1 and testnsg, as a team would write them.
TEMPLATE = """{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "parameters": {
    "redisVersion": {
      "type": "string"
    }
  },
  "resources": [
    {
      "type": "Microsoft.Cache/redis",
      "apiVersion": "2024-11-01",
      "name": "cache1",
      "location": "East US",
      "properties": {
        "sku": {
          "name": "Premium",
          "family": "P",
          "capacity": 3
        },
        "enableNonSslPort": false,
        "publicNetworkAccess": "Disabled",
        "redisVersion": "[parameters('redisVersion')]",
        "minimumTlsVersion": "1.2"
      }
    },
    {
      "type": "Microsoft.Network/networkSecurityGroups",
      "apiVersion": "2025-05-01",
      "name": "testnsg",
      "location": "westus",
      "properties": {
        "securityRules": [
          {
            "name": "rule1",
            "properties": {
              "protocol": "*",
              "sourcePortRange": "*",
              "destinationPortRange": "443",
              "sourceAddressPrefix": "*",
              "destinationAddressPrefix": "*",
              "access": "Allow",
              "priority": 130,
              "direction": "Inbound"
            }
          }
        ]
      }
    }
  ]
}
"""


def _live(*files: str) -> ResourceSet:
    """Each example's body as the live source models it: ARM's own REST shape."""
    resources = []
    for name in files:
        body = json.loads((DATA / "live" / name).read_text())["responses"]["200"]["body"]
        resources.append(AzureResource(type=body["type"], id=body["id"], name=body["name"],
                                       location=body.get("location", ""), properties=body["properties"],
                                       origin=Location(body["id"]), sku=body.get("sku", {})))
    return ResourceSet("azure:subid", resources)


def _declared() -> ResourceSet:
    return ResourceSet("iac", read_text(TEMPLATE, "infra/main.json").resources)


def test_declared_values_that_differ_from_live_are_drift() -> None:
    drifts = compare(_declared(), _live("RedisCacheGet.json", "NetworkSecurityGroupGet.json"))
    found = {(d.name, d.path): (d.declared, d.live, d.where) for d in drifts}
    assert found == {
        ("cache1", "properties.enableNonSslPort"): (False, True, Location("infra/main.json", 21)),
        ("cache1", "properties.publicNetworkAccess"): ("Disabled", "Enabled", Location("infra/main.json", 22)),
        ("testnsg", "properties.securityRules[rule1].properties.destinationPortRange"):
            ("443", "80", Location("infra/main.json", 39)),
    }
    text = str(next(d for d in drifts if d.path == "properties.publicNetworkAccess"))
    assert "declared 'Disabled'" in text and "'Enabled'" in text and "infra/main.json:22" in text
    assert "/providers/Microsoft.Cache/Redis/cache1" in text  # the live id, in ARM's own casing


def test_unknown_absent_and_equal_values_are_no_drift() -> None:
    drifts = compare(_declared(), _live("RedisCacheGet.json"))
    paths = {d.path for d in drifts}
    assert "properties.redisVersion" not in paths  # unknown declared: nothing to compare
    assert "properties.minimumTlsVersion" not in paths  # the live body does not show it
    assert not any(p.startswith("properties.sku") for p in paths)  # equal


def test_resources_only_on_one_side_are_not_drift() -> None:
    assert compare(_declared(), ResourceSet("azure:empty")) == []
    assert compare(ResourceSet("iac"), _live("RedisCacheGet.json")) == []


def test_placeholder_ids_match_the_live_ids(tmp_path: Path) -> None:
    declared = read_text(TEMPLATE.replace('"minimumTlsVersion": "1.2"', '"subnetId": "[resourceId('
                                          "'Microsoft.Network/virtualNetworks/subnets', 'v', 's')]\""),
                         "infra/main.json").resources
    live = _live("RedisCacheGet.json").resources[0]
    subnet = "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/v/subnets/"
    same = AzureResource(**{**live.__dict__, "properties": {**live.properties, "subnetId": subnet + "s"}})
    other = AzureResource(**{**live.__dict__, "properties": {**live.properties, "subnetId": subnet + "t"}})
    assert not [d for d in compare(ResourceSet("iac", declared), ResourceSet("a", [same])) if "subnet" in d.path]
    assert [d.path for d in compare(ResourceSet("iac", declared), ResourceSet("a", [other]))
            if "subnet" in d.path] == ["properties.subnetId"]
