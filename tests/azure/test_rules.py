"""The Azure checks on the resource model directly, as a declared source (ARM template, Bicep, Terraform)
produces it: a value nobody resolved is unverified (never passed), a provider default that decided is named,
and relations declared only in code (a private endpoint pointing at the account) count."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_readiness.api import Evidence, Unverified
from pytest_readiness.checklist import test_azure as checks
from pytest_readiness.results import Location
from pytest_readiness.sources.azure import rules
from pytest_readiness.sources.azure.model import UNKNOWN, AzureResource, ResourceSet

FILE = "infra/main.tf"


def declared(rtype: str, name: str, line: int = 10, **properties: Any) -> AzureResource:
    return AzureResource(type=rtype, id=f"/subscriptions/s/resourceGroups/rg/providers/{rtype}/{name}", name=name,
                         location="swedencentral", properties=properties, origin=Location(FILE, line),
                         source="terraform", lines={f"properties.{k}": line + 1 + i for i, k in enumerate(properties)})


def test_an_unresolved_value_is_unverified_never_passed() -> None:
    account = declared(rules.OPENAI, "oai", disableLocalAuth=UNKNOWN)
    with pytest.raises(Unverified, match=r"properties\.disableLocalAuth not known before deployment"):
        checks.test_openai_keys_disabled(account, Evidence())


def test_a_definite_failure_wins_over_an_unknown_value() -> None:
    cache = declared(rules.REDIS, "cache", minimumTlsVersion=UNKNOWN, enableNonSslPort=True)
    with pytest.raises(pytest.fail.Exception, match="enableNonSslPort = True: the plain-text port 6379 is open"):
        checks.test_tls_12_enforced(cache, Evidence())


def test_a_provider_default_is_named_in_the_evidence_with_file_and_line() -> None:
    account = AzureResource(
        type=rules.OPENAI, id="oai", name="oai", location="", properties={}, origin=Location(FILE, 3),
        source="terraform", defaults={"properties.publicNetworkAccess": "azurerm default: "
                                      "public_network_access_enabled = true"})
    evidence = Evidence()
    with pytest.raises(pytest.fail.Exception, match="publicNetworkAccess = 'Enabled' with no default-deny firewall"):
        checks.test_public_network_access_disabled(account, evidence)
    notes = [str(e) for e in evidence.items]
    assert any("azurerm default: public_network_access_enabled = true" in n for n in notes), notes
    assert all(e.location == Location(FILE, 3) for e in evidence.findings)


def test_a_failure_points_at_the_declared_line() -> None:
    vault = declared(rules.VAULT, "kv", line=40, enableSoftDelete=True, enablePurgeProtection=False,
                     enableRbacAuthorization=True)
    evidence = Evidence()
    with pytest.raises(pytest.fail.Exception):
        checks.test_vault_protected(vault, evidence)
    assert [str(f.location) for f in evidence.findings] == [f"{FILE}:42"]


def test_a_declared_private_endpoint_towards_the_account_counts() -> None:
    account = declared(rules.STORAGE, "st")
    endpoint = declared(rules.PRIVATE_ENDPOINT, "pe-st", privateLinkServiceConnections=[
        {"name": "blob", "properties": {"privateLinkServiceId": account.id.upper(), "groupIds": ["blob"]}}])
    resources = ResourceSet("iac", [account, endpoint])
    evidence = Evidence()
    checks.test_private_endpoint_approved(account, resources, evidence)
    assert any("pe-st" in str(e) for e in evidence.items)


@pytest.mark.parametrize(("rule", "opened"), [
    ({"direction": "Inbound", "access": "Allow", "sourceAddressPrefix": "Internet", "destinationPortRange": "22"},
     [(22, 22)]),
    ({"direction": "Inbound", "access": "Allow", "sourceAddressPrefixes": ["10.0.0.0/8", "0.0.0.0/0"],
      "destinationPortRanges": ["443", "8000-8080"]}, [(443, 443), (8000, 8080)]),
    ({"direction": "Inbound", "access": "Deny", "sourceAddressPrefix": "*", "destinationPortRange": "*"}, []),
    ({"direction": "Outbound", "access": "Allow", "sourceAddressPrefix": "*", "destinationPortRange": "*"}, []),
    ({"direction": "Inbound", "access": "Allow", "sourceAddressPrefix": "AzureLoadBalancer",
      "destinationPortRange": "*"}, []),
])
def test_internet_inbound_ports(rule: dict[str, Any], opened: list[tuple[int, int]]) -> None:
    assert rules.internet_inbound_ports({"properties": rule}) == opened


@pytest.mark.parametrize(("scope", "level"), [
    ("/", "root"),
    ("/providers/Microsoft.Management/managementGroups/contoso", "management group"),
    ("/subscriptions/s", "subscription"),
    ("/subscriptions/s/resourceGroups/rg", "resource group"),
    ("/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv", "resource"),
])
def test_scope_levels(scope: str, level: str) -> None:
    assert rules.scope_level(scope) == level


def test_custom_role_that_manages_access_is_broad() -> None:
    definition = AzureResource(type=rules.ROLE_DEFINITION, id="/subscriptions/s/providers/Microsoft.Authorization/"
                               "roleDefinitions/1234", name="1234", location="", origin=Location("x"),
                               properties={"roleName": "Agent Ops", "permissions": [
                                   {"actions": ["Microsoft.Authorization/*", "Microsoft.Cache/redis/read"]}]})
    assert rules.role_name(ResourceSet("azure:s", [definition]), definition.id) == ("Agent Ops", True)
    assert rules.role_name(ResourceSet("azure:s"), "/x/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c") == (
        "Contributor", True)
