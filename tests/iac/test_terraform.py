"""Terraform (azurerm) in the shapes teams write: modules, variables, tfvars, provider defaults,
unresolvable references, associations declared apart, a registry module."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_readiness.results import Location
from pytest_readiness.sources.azure.iac.declared import load
from pytest_readiness.sources.azure.model import UNKNOWN, AzureResource, ResourceSet

from .conftest import edit, line_of

Repo = Callable[[str], Path]


def _one(resources: ResourceSet, resource_type: str, name: str | None = None) -> AzureResource:
    found = [r for r in resources.of_type(resource_type) if name is None or r.name == name]
    assert len(found) == 1, [r.ref for r in resources.resources]
    return found[0]


@pytest.fixture
def tf(fixture_repo: Repo) -> Path:
    return fixture_repo("terraform-modules")


def test_a_local_module_gets_the_callers_values_and_tfvars_win_over_defaults(tf: Path) -> None:
    declared = load(tf)
    redis = _one(declared, "Microsoft.Cache/redis")
    assert redis.source == "terraform"
    assert redis.name == "agent-cache"
    assert redis.location == "swedencentral"  # terraform.tfvars
    assert redis.get("properties.minimumTlsVersion") == "1.2"  # tfvars 1.2 over the variable's default 1.0
    module = tf / "terraform" / "modules" / "redis" / "main.tf"
    assert redis.location_of("properties.minimumTlsVersion") == Location(
        "terraform/modules/redis/main.tf", line_of(module, "minimum_tls_version           = var."))
    assert redis.get("properties.sku") == {"name": "Standard", "family": "C", "capacity": 1}
    assert redis.get("properties.redisConfiguration") == {"maxmemory-policy": "allkeys-lru"}
    assert redis.id == ("/subscriptions/{subscriptionId}/resourceGroups/agent-rg/providers/"
                        "Microsoft.Cache/redis/agent-cache")


def test_provider_defaults_are_applied_and_said(tf: Path) -> None:
    declared = load(tf)
    openai = _one(declared, "Microsoft.CognitiveServices/accounts")
    assert openai.get("properties.publicNetworkAccess") == "Enabled"  # not written: azurerm's default
    assert openai.defaults["properties.publicNetworkAccess"] == \
        "azurerm default: public_network_access_enabled = true"
    assert openai.location_of("properties.publicNetworkAccess") == openai.origin  # the resource, no attribute line
    assert openai.get("properties.disableLocalAuth") is True  # local_auth_enabled = false
    assert "properties.disableLocalAuth" not in openai.defaults
    redis = _one(declared, "Microsoft.Cache/redis")
    assert redis.get("properties.enableNonSslPort") is False
    assert "azurerm default" in redis.defaults["properties.enableNonSslPort"]
    vault = _one(declared, "Microsoft.KeyVault/vaults")
    assert vault.get("properties.enablePurgeProtection") is True  # tfvars purge_protection = true
    assert vault.get("properties.enableRbacAuthorization") is True
    assert vault.get("properties.enableSoftDelete") is True and "soft delete" in vault.defaults[
        "properties.enableSoftDelete"]
    storage = _one(declared, "Microsoft.Storage/storageAccounts")
    assert storage.get("properties.supportsHttpsTrafficOnly") is True
    assert storage.get("properties.allowBlobPublicAccess") is False
    assert storage.get("properties.encryption.keySource") == "Microsoft.Storage"
    assert storage.sku == {"name": "Standard_ZRS"} and storage.kind == "StorageV2"
    workspace = _one(declared, "Microsoft.OperationalInsights/workspaces")
    assert workspace.get("properties.retentionInDays") == 30


def test_references_that_only_apply_knows_are_unknown(tf: Path) -> None:
    declared = load(tf)
    credential = _one(declared, "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials")
    assert credential.get("properties.issuer") is UNKNOWN  # azurerm_kubernetes_cluster.aks.oidc_issuer_url
    assert credential.get("properties.subject") == "system:serviceaccount:msft-agent:agent"
    assert credential.id.endswith("/userAssignedIdentities/agent-agent-id/federatedIdentityCredentials/agent")
    assert _one(declared, "Microsoft.KeyVault/vaults").get("properties.tenantId") is UNKNOWN


def test_relations_only_the_code_shows(tf: Path) -> None:
    declared = load(tf)
    endpoints = {pe.name: declared.by_id(pe.get("properties.privateLinkServiceConnections")[0]["properties"][
        "privateLinkServiceId"]) for pe in declared.of_type("Microsoft.Network/privateEndpoints")}
    assert {name: target.ref if target else None for name, target in endpoints.items()} == {
        "agent-openai-pe": "Microsoft.CognitiveServices/accounts/agent-openai",
        "agent-redis-pe": "Microsoft.Cache/redis/agent-cache"}  # via module.redis.id
    aks = _one(declared, "Microsoft.ContainerService/managedClusters")
    subnet = declared.by_id(aks.get("properties.agentPoolProfiles")[0]["vnetSubnetID"])
    assert subnet is not None and subnet.name == "aks"
    assert subnet.get("properties.addressPrefix") == "10.10.0.0/22"  # one prefix: ARM's addressPrefix
    nsg = _one(declared, "Microsoft.Network/networkSecurityGroups")
    assert subnet.get("properties.networkSecurityGroup.id") == nsg.id  # the association, declared apart
    association = tf / "terraform" / "nsg_association.tf"
    assert subnet.location_of("properties.networkSecurityGroup.id") == Location(
        "terraform/nsg_association.tf", line_of(association, "network_security_group_id"))
    assert _one(declared, "Microsoft.Network/virtualNetworks/subnets", "endpoints").get(
        "properties.networkSecurityGroup") is None
    vnet = _one(declared, "Microsoft.Network/virtualNetworks")
    assert sorted(s["name"] for s in vnet.get("properties.subnets")) == ["aks", "endpoints"]


def test_standalone_rules_join_their_nsg_with_their_own_lines(tf: Path) -> None:
    nsg = _one(load(tf), "Microsoft.Network/networkSecurityGroups")
    rules = {r["name"]: r["properties"] for r in nsg.get("properties.securityRules")}
    assert rules["allow-ssh"]["destinationPortRange"] == "22" and rules["allow-ssh"]["sourceAddressPrefix"] == "*"
    assert rules["allow-https"]["sourceAddressPrefix"] == "Internet"
    network = tf / "terraform" / "network.tf"
    assert nsg.location_of("properties.securityRules[allow-ssh].properties.destinationPortRange") == Location(
        "terraform/network.tf", line_of(network, 'destination_port_range      = "22"'))
    assert nsg.location_of("properties.securityRules[allow-https].properties.sourceAddressPrefix").line == \
        line_of(network, 'source_address_prefix      = "Internet"')


def test_identity_and_role_assignments(tf: Path) -> None:
    declared = load(tf)
    aks = _one(declared, "Microsoft.ContainerService/managedClusters")
    assert aks.identity == {"type": "SystemAssigned"}
    assert aks.get("properties.oidcIssuerProfile.enabled") is True
    assert aks.get("properties.securityProfile.workloadIdentity.enabled") is True
    assignments = {a.name: a for a in declared.of_type("Microsoft.Authorization/roleAssignments")}
    broad = assignments["azurerm_role_assignment.agent_sub"]
    assert broad.get("properties.scope") == "/subscriptions/{subscriptionId}"
    assert broad.get("properties.roleDefinitionId").endswith("/b24988ac-6180-42a0-ab88-20f7382dd24c")  # Contributor
    identity = _one(declared, "Microsoft.ManagedIdentity/userAssignedIdentities")
    assert identity.get("properties.principalId") == "{principalId of agent-agent-id}"  # assigned by Azure later
    assert {a.name for a in assignments.values()
            if a.get("properties.principalId") == identity.get("properties.principalId")} == set(assignments)


def test_a_registry_module_is_named_unverified(tf: Path) -> None:
    declared = load(tf)
    main = tf / "terraform" / "main.tf"
    assert [(u.location, "Azure/naming/azurerm 0.4.1" in u.message) for u in declared.unverified] == [
        (Location("terraform/main.tf", line_of(main, 'module "aks_naming"')), True)]
    assert "Microsoft.Cache/redis" not in declared.unreadable  # declared here: checked
    assert "Azure/naming/azurerm" in declared.unreadable["Microsoft.Network/networkSecurityGroups/securityRules"]


@pytest.mark.parametrize(("file", "old", "new", "path", "value"), [
    ("terraform.tfvars", 'redis_tls        = "1.2"', 'redis_tls        = "1.0"',
     ("Microsoft.Cache/redis", "properties.minimumTlsVersion"), "1.0"),
    ("main.tf", "  local_auth_enabled    = false\n", "  local_auth_enabled    = false\n"
     "  public_network_access_enabled = false\n",
     ("Microsoft.CognitiveServices/accounts", "properties.publicNetworkAccess"), "Disabled"),
    ("main.tf", "  allow_nested_items_to_be_public = false", "  allow_nested_items_to_be_public = true",
     ("Microsoft.Storage/storageAccounts", "properties.allowBlobPublicAccess"), True),
    ("terraform.tfvars", "purge_protection = true", "purge_protection = false",
     ("Microsoft.KeyVault/vaults", "properties.enablePurgeProtection"), False),
])
def test_changing_one_line_flips_the_property(tf: Path, file: str, old: str, new: str,
                                             path: tuple[str, str], value: object) -> None:
    before = _one(load(tf), path[0]).get(path[1])
    edit(tf / "terraform" / file, old, new)
    after = _one(load(tf), path[0])
    assert before != value and after.get(path[1]) == value
    assert path[1] not in after.defaults or file == "terraform.tfvars"


def test_provider_4_names_count_and_a_line_for_each_attribute(tmp_path: Path) -> None:
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "cache.tf").write_text('''
resource "azurerm_redis_cache" "cache" {
  name                          = "cache"
  location                      = "westeurope"
  resource_group_name           = "rg"
  capacity                      = 1
  family                        = "C"
  sku_name                      = "Basic"
  non_ssl_port_enabled          = true
  public_network_access_enabled = var.public
}

resource "azurerm_redis_cache" "legacy" {
  count    = 0
  name     = "legacy"
  sku_name = "Basic"
}

variable "public" {
  type = bool
}
''')
    declared = load(tmp_path)
    assert [r.name for r in declared.resources] == ["cache"]  # count = 0 declares nothing
    cache = declared.resources[0]
    assert cache.get("properties.enableNonSslPort") is True
    assert cache.location_of("properties.enableNonSslPort") == Location("infra/cache.tf", 9)
    assert cache.get("properties.publicNetworkAccess") is UNKNOWN  # a variable without a value


@pytest.mark.parametrize(("text", "line"), [
    ('resource "azurerm_redis_cache" "c" {\n  name = "c"\n  minimum_tls_version = \n}\n', 3),
    ('resource "azurerm_redis_cache" "c" {\n  name = "c\n  sku_name = "Basic"\n', None),
    ('resource "azurerm_redis_cache" "c" {\n  name = "c"\n}\n}\n', 4),
])
def test_malformed_hcl_names_file_and_line(tmp_path: Path, text: str, line: int | None) -> None:
    (tmp_path / "terraform").mkdir()
    (tmp_path / "terraform" / "main.tf").write_text(text)
    (tmp_path / "terraform" / "ok.tf").write_text('resource "azurerm_key_vault" "kv" {\n  name = "kv"\n}\n')
    declared = load(tmp_path)
    assert [r.name for r in declared.resources] == ["kv"]  # the other file is still read
    assert len(declared.problems) == 1
    problem = declared.problems[0]
    assert problem.location.path == "terraform/main.tf" and problem.message.startswith("invalid HCL")
    if line is not None:
        assert problem.location.line == line


LOOPS = '''
locals {
  prefix = "${var.env}-agent"
  tags   = { env = var.env, owner = "platform" }
}

variable "env" {
  default = "prod"
}

variable "allowed" {
  type    = list(object({ name = string, port = string }))
  default = [{ name = "https", port = "443" }]
}

resource "azurerm_subnet" "pods" {
  count                = 2
  name                 = "pods-${count.index}"
  resource_group_name  = "rg"
  virtual_network_name = "vnet"
  address_prefixes     = ["10.0.${count.index}.0/24"]
}

resource "azurerm_kubernetes_cluster" "aks" {
  name                = "${local.prefix}-aks"
  location            = "westeurope"
  resource_group_name = "rg"
  dns_prefix          = local.prefix
  tags                = local.tags

  default_node_pool {
    name           = "system"
    vm_size        = "Standard_D4s_v5"
    vnet_subnet_id = azurerm_subnet.pods[0].id
  }

  identity {
    type = "SystemAssigned"
  }
}

resource "azurerm_network_security_group" "dynamic" {
  name                = "${local.prefix}-nsg"
  location            = "westeurope"
  resource_group_name = "rg"

  dynamic "security_rule" {
    for_each = var.allowed
    content {
      name                       = security_rule.value.name
      priority                   = 100
      direction                  = "Inbound"
      access                     = "Allow"
      protocol                   = "Tcp"
      source_port_range          = "*"
      destination_port_range     = security_rule.value.port
      source_address_prefix      = "*"
      destination_address_prefix = "*"
    }
  }
}

resource "azurerm_key_vault" "each" {
  for_each            = toset(["a", "b"])
  name                = "kv-${each.key}"
  location            = "westeurope"
  resource_group_name = "rg"
  tenant_id           = "00000000-0000-0000-0000-000000000000"
  sku_name            = "standard"
}
'''


def test_locals_count_for_each_and_dynamic_blocks(tmp_path: Path) -> None:
    (tmp_path / "terraform").mkdir()
    (tmp_path / "terraform" / "main.tf").write_text(LOOPS)
    declared = load(tmp_path)
    aks = _one(declared, "Microsoft.ContainerService/managedClusters")
    assert aks.name == "prod-agent-aks" and aks.tags == {"env": "prod", "owner": "platform"}
    subnet = declared.by_id(aks.get("properties.agentPoolProfiles")[0]["vnetSubnetID"])
    assert subnet is not None and subnet.name == "azurerm_subnet.pods"  # `pods-${count.index}`: copy unknown
    assert subnet.id.endswith("/virtualNetworks/vnet/subnets/{azurerm_subnet.pods}")
    nsg = _one(declared, "Microsoft.Network/networkSecurityGroups")
    assert nsg.get("properties.securityRules") is UNKNOWN  # generated rules: never judged as "no rules"
    assert nsg.location_of("properties.securityRules") == Location(
        "terraform/main.tf", line_of(tmp_path / "terraform" / "main.tf", 'dynamic "security_rule"'))
    vault = _one(declared, "Microsoft.KeyVault/vaults")
    assert vault.name == "azurerm_key_vault.each"  # one declaration for every copy; its name is per copy
    assert vault.get("properties.enablePurgeProtection") is False
