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


# --- an unknown anywhere in the path: unverified, never passed; a definite failure still wins ---------------

AKS_SUBNET = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/aks"


def _cluster(**properties: Any) -> AzureResource:
    pools = [{"name": "system", "vnetSubnetID": AKS_SUBNET}]
    return declared(rules.AKS, "aks", **{"agentPoolProfiles": pools, **properties})


def _network(*nsg_rules: Any, security_rules: Any = None) -> list[AzureResource]:
    nsg = declared(rules.NSG, "nsg", securityRules=list(nsg_rules) if security_rules is None else security_rules)
    vnet = declared(rules.VNET, "v", subnets=[{"id": AKS_SUBNET, "name": "aks", "properties": {
        "addressPrefix": "10.0.0.0/22", "networkSecurityGroup": {"id": nsg.id}}}])
    return [nsg, vnet]


def _rule(name: str, **props: Any) -> dict[str, Any]:
    return {"name": name, "properties": {"direction": "Inbound", "access": "Allow", "sourceAddressPrefix": "*",
                                         "destinationPortRange": "443", **props}}


class _Settings:
    azure_public_ports = ("443",)


def _nsg_verdict(resources: list[AzureResource]) -> str:
    cluster = _cluster()
    try:
        checks.test_subnets_have_strict_nsgs(cluster, ResourceSet("iac", [cluster, *resources]), Evidence(),
                                             _Settings())  # type: ignore[arg-type]
    except Unverified as undecided:
        return f"unverified: {undecided.reason}"
    except pytest.fail.Exception as failed:
        return f"failed: {failed}"
    return "passed"


@pytest.mark.parametrize("network", [
    _network(security_rules=UNKNOWN),  # a Terraform dynamic block
    _network(_rule("https"), UNKNOWN),  # one rule of the list
    _network(_rule("app", destinationPortRange=UNKNOWN)),
    _network(_rule("app", destinationPortRanges=["443", UNKNOWN])),
    _network(_rule("app", sourceAddressPrefix=UNKNOWN, destinationPortRange="8080")),
    _network(_rule("app", access=UNKNOWN, destinationPortRange="22")),
    _network({"name": "app", "properties": UNKNOWN}),
], ids=["dynamic-rules", "unknown-rule", "unknown-port", "unknown-port-in-list", "unknown-source",
        "unknown-access", "unknown-properties"])
def test_an_nsg_rule_not_known_is_unverified(network: list[AzureResource]) -> None:
    assert _nsg_verdict(network).startswith("unverified: Microsoft.ContainerService/managedClusters/aks: NSG nsg rule")


def test_a_known_nsg_failure_wins_over_unknown_rules() -> None:
    verdict = _nsg_verdict(_network(_rule("ssh", destinationPortRange="22"), UNKNOWN))
    assert verdict.startswith("failed") and "rule ssh allows inbound from the internet to port(s) 22" in verdict


def test_an_unknown_nsg_or_subnet_list_is_unverified() -> None:
    nsg, vnet = _network(_rule("https"))
    unknown_nsg = declared(rules.VNET, "v", subnets=[{"id": AKS_SUBNET, "name": "aks", "properties": {
        "networkSecurityGroup": UNKNOWN}}])
    assert "network security group of subnet aks" in _nsg_verdict([nsg, unknown_nsg])
    assert "its VNet's subnets are not known" in _nsg_verdict([nsg, declared(rules.VNET, "v", subnets=UNKNOWN)])
    assert _nsg_verdict([nsg, vnet]) == "passed"


def test_a_node_pool_with_an_unknown_subnet_is_unverified_for_nsg_and_vnet() -> None:
    nsg, vnet = _network(_rule("https"))
    pools = [{"name": "system", "vnetSubnetID": AKS_SUBNET}, {"name": "user", "vnetSubnetID": UNKNOWN}, UNKNOWN]
    cluster = _cluster(agentPoolProfiles=pools, apiServerAccessProfile={"enablePrivateCluster": True})
    resources = ResourceSet("iac", [cluster, nsg, vnet])
    with pytest.raises(Unverified, match="the subnet of a node pool"):
        checks.test_subnets_have_strict_nsgs(cluster, resources, Evidence(), _Settings())  # type: ignore[arg-type]
    with pytest.raises(Unverified, match="a node pool not known before deployment"):
        checks.test_cluster_in_vnet(cluster, resources, Evidence())


def test_an_unknown_authorized_ip_range_is_unverified_unless_one_is_the_internet() -> None:
    for ranges, outcome in (([UNKNOWN], Unverified), (["10.0.0.0/8", UNKNOWN], Unverified),
                            (["0.0.0.0/0", UNKNOWN], pytest.fail.Exception)):
        cluster = _cluster(apiServerAccessProfile={"authorizedIPRanges": ranges})
        nsg, vnet = _network()
        with pytest.raises(outcome):
            checks.test_cluster_in_vnet(cluster, ResourceSet("iac", [cluster, nsg, vnet]), Evidence())


@pytest.mark.parametrize("connections", [
    UNKNOWN,
    [{"name": "blob", "properties": {"privateLinkServiceId": UNKNOWN}}],
    [UNKNOWN],
    [{"name": "blob", "properties": UNKNOWN}],
])
def test_a_private_endpoint_whose_target_is_unknown_is_unverified_not_failed(connections: Any) -> None:
    account = declared(rules.STORAGE, "st")
    endpoint = declared(rules.PRIVATE_ENDPOINT, "pe-st", privateLinkServiceConnections=connections)
    with pytest.raises(Unverified, match="private endpoint connection"):
        checks.test_private_endpoint_approved(account, ResourceSet("iac", [account, endpoint]), Evidence())


def test_an_unknown_connection_state_on_the_account_is_unverified() -> None:
    account = declared(rules.STORAGE, "st", privateEndpointConnections=[{"properties": {
        "privateEndpoint": {"id": "pe"}, "privateLinkServiceConnectionState": UNKNOWN}}])
    with pytest.raises(Unverified):
        checks.test_private_endpoint_approved(account, ResourceSet("iac", [account]), Evidence())


SUB_SCOPE = "/subscriptions/s"
CONTRIBUTOR = "/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c"
READER = "/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"


class _NoNames:
    azure_identity: tuple[str, ...] = ()


def _identity_verdict(*assignments: dict[str, Any]) -> str:
    identity = declared(rules.IDENTITY, "agent-id", principalId="p-agent", clientId="c-agent")
    credential = AzureResource(type=rules.FEDERATED, id=identity.id + "/federatedIdentityCredentials/agent",
                               name="agent", location="", origin=Location(FILE, 1),
                               properties={"subject": "system:serviceaccount:agent:agent", "issuer": "https://x"})
    granted = [declared(rules.ROLE_ASSIGNMENT, f"ra{n}", **a) for n, a in enumerate(assignments)]
    try:
        checks.test_identity_has_no_broad_roles(identity, ResourceSet("iac", [identity, credential, *granted]),
                                                Evidence(), _NoNames())  # type: ignore[arg-type]
    except Unverified as undecided:
        return "unverified: " + undecided.reason
    except pytest.fail.Exception as failed:
        return f"failed: {failed}"
    return "passed"


def test_a_role_assignment_not_known_is_unverified_never_passed() -> None:
    assert _identity_verdict({"principalId": "p-agent", "roleDefinitionId": UNKNOWN, "scope": SUB_SCOPE}
                             ).startswith("unverified")
    assert _identity_verdict({"principalId": "p-agent", "roleDefinitionId": CONTRIBUTOR, "scope": UNKNOWN}
                             ).startswith("unverified")
    assert "to a principal not known" in _identity_verdict(
        {"principalId": UNKNOWN, "roleDefinitionId": CONTRIBUTOR, "scope": SUB_SCOPE})
    assert _identity_verdict({"principalId": "p-agent", "roleDefinitionId": READER, "scope": UNKNOWN}) == "passed"
    assert _identity_verdict({"principalId": UNKNOWN, "roleDefinitionId": READER, "scope": SUB_SCOPE}) == "passed"
    assert _identity_verdict({"principalId": "p-agent", "roleDefinitionId": CONTRIBUTOR, "scope": SUB_SCOPE},
                             {"principalId": UNKNOWN, "roleDefinitionId": UNKNOWN, "scope": SUB_SCOPE}
                             ).startswith("failed")


def test_a_custom_role_with_unknown_permissions_is_not_known_to_be_narrow() -> None:
    definition = AzureResource(type=rules.ROLE_DEFINITION, id="/x/roleDefinitions/1234", name="1234", location="",
                               origin=Location("x"), properties={"roleName": "Ops", "permissions": UNKNOWN})
    assert rules.role_name(ResourceSet("iac", [definition]), definition.id) == ("Ops", None)


@pytest.mark.parametrize("setting", [{"workspaceId": UNKNOWN, "logs": [{"enabled": True}]},
                                     {"workspaceId": "/w/log", "logs": UNKNOWN},
                                     {"workspaceId": "/w/log", "logs": [{"enabled": UNKNOWN}]}])
def test_a_diagnostic_setting_not_known_is_unverified(setting: dict[str, Any]) -> None:
    vault = declared(rules.VAULT, "kv")
    diagnostic = AzureResource(type=rules.DIAGNOSTICS, id=vault.id + "/providers/Microsoft.Insights/"
                               "diagnosticSettings/to-logs", name="to-logs", location="", origin=Location(FILE, 2),
                               properties=setting)
    with pytest.raises(Unverified, match="diagnostic setting"):
        checks.test_diagnostics_to_log_analytics(vault, ResourceSet("iac", [vault, diagnostic]), Evidence())


def test_an_unknown_federated_subject_is_unverified_not_failed() -> None:
    cluster = _cluster(oidcIssuerProfile={"enabled": True},
                       securityProfile={"workloadIdentity": {"enabled": True}})
    cluster = AzureResource(**{**cluster.__dict__, "identity": {"type": "SystemAssigned"}})
    credential = AzureResource(type=rules.FEDERATED, id="/x/userAssignedIdentities/id/federatedIdentityCredentials/fc",
                               name="fc", location="", origin=Location(FILE, 1), properties={"subject": UNKNOWN})
    for subjects in (None, {"system:serviceaccount:agent:agent"}):
        with pytest.raises(Unverified, match="fc"):
            checks.test_cluster_uses_workload_identity(cluster, ResourceSet("iac", [cluster, credential]), Evidence(),
                                                       subjects)
