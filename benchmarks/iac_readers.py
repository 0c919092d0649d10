"""How the IaC readers scale: N Redis caches (with a private endpoint each) declared as one ARM
template, as Terraform split into files of 50 resources, and as a `terraform show -json` plan.
Prints wall time and peak Python memory (tracemalloc) per reader; asserts nothing.

    python benchmarks/iac_readers.py                # 100 and 1,000 caches
    python benchmarks/iac_readers.py --caches 300
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pytest_readiness.settings  # noqa: E402, F401  (settings first: it imports the IaC options)
from pytest_readiness.sources.azure.iac.declared import load  # noqa: E402

SUBNET = "/subscriptions/s/resourceGroups/agent-rg/providers/Microsoft.Network/virtualNetworks/v/subnets/e"
SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"


def arm(root: Path, caches: int) -> None:
    resources = []
    for i in range(caches):
        resources.append({"type": "Microsoft.Cache/redis", "apiVersion": "2023-08-01",
                          "name": f"[format('{{0}}-cache-{i}', parameters('prefix'))]",
                          "location": "[parameters('location')]",
                          "properties": {"sku": {"name": "Standard", "family": "C", "capacity": 1},
                                         "enableNonSslPort": False, "minimumTlsVersion": "1.2",
                                         "publicNetworkAccess": "Disabled"}})
        resources.append({"type": "Microsoft.Network/privateEndpoints", "apiVersion": "2023-04-01",
                          "name": f"pe-{i}", "location": "[parameters('location')]",
                          "properties": {"privateLinkServiceConnections": [{"name": "redis", "properties": {
                              "privateLinkServiceId": f"[resourceId('Microsoft.Cache/redis', "
                                                      f"format('{{0}}-cache-{i}', parameters('prefix')))]",
                              "groupIds": ["redisCache"]}}]}})
    template = {"$schema": SCHEMA, "contentVersion": "1.0.0.0",
                "parameters": {"prefix": {"type": "string", "defaultValue": "agent"},
                               "location": {"type": "string", "defaultValue": "westeurope"}},
                "resources": resources}
    (root / "infra").mkdir(parents=True)
    (root / "infra" / "main.json").write_text(json.dumps(template, indent=2))


def terraform(root: Path, caches: int) -> None:
    (root / "terraform").mkdir(parents=True)
    (root / "terraform" / "variables.tf").write_text('variable "tls" {\n  default = "1.2"\n}\n')
    for start in range(0, caches, 50):
        blocks = []
        for i in range(start, min(start + 50, caches)):
            blocks.append(f'''resource "azurerm_redis_cache" "c{i}" {{
  name                = "agent-cache-{i}"
  location            = "westeurope"
  resource_group_name = "agent-rg"
  capacity            = 1
  family              = "C"
  sku_name            = "Standard"
  minimum_tls_version = var.tls
}}

resource "azurerm_private_endpoint" "pe{i}" {{
  name                = "pe-{i}"
  location            = "westeurope"
  resource_group_name = "agent-rg"
  subnet_id           = "{SUBNET}"

  private_service_connection {{
    name                           = "redis"
    private_connection_resource_id = azurerm_redis_cache.c{i}.id
    subresource_names              = ["redisCache"]
    is_manual_connection           = false
  }}
}}
''')
        (root / "terraform" / f"caches_{start // 50}.tf").write_text("\n".join(blocks))


def plan(root: Path, caches: int) -> None:
    resources = [{"address": f"azurerm_redis_cache.c{i}", "mode": "managed", "type": "azurerm_redis_cache",
                  "name": f"c{i}", "values": {"name": f"agent-cache-{i}", "location": "westeurope",
                                              "resource_group_name": "agent-rg", "capacity": 1, "family": "C",
                                              "sku_name": "Standard", "minimum_tls_version": "1.2",
                                              "non_ssl_port_enabled": False,
                                              "public_network_access_enabled": False}}
                 for i in range(caches)]
    (root / "terraform").mkdir(parents=True)
    (root / "terraform" / "tfplan.json").write_text(json.dumps(
        {"format_version": "1.2", "planned_values": {"root_module": {"resources": resources}}}, indent=2))


def measure(name: str, make: object, caches: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        make(root, caches)  # type: ignore[operator]
        size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
        tracemalloc.start()
        started = time.perf_counter()
        declared = load(root)
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"{name:10} {caches:6} caches  {size / 1024:8.0f} KiB  {len(declared.resources):6} resources  "
              f"{len(declared.problems):3} problems  {seconds:7.2f} s  {peak / 1024 / 1024:7.1f} MiB peak")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--caches", type=int, action="append")
    counts = parser.parse_args().caches or [100, 1000]
    for caches in counts:
        for name, make in (("arm", arm), ("plan", plan), ("terraform", terraform)):
            measure(name, make, caches)


if __name__ == "__main__":
    main()
