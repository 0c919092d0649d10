"""ARM templates, hand-written and as `bicep build` emits them, read into ARM's REST shape with file:line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_readiness.results import Location
from pytest_readiness.sources.azure.iac.arm_template import read_text
from pytest_readiness.sources.azure.iac.declared import load
from pytest_readiness.sources.azure.model import UNKNOWN, AzureResource, ResourceSet

from .conftest import edit, line_of

Repo = Callable[[str], Path]


def _one(resources: ResourceSet, resource_type: str, name: str | None = None) -> AzureResource:
    found = [r for r in resources.of_type(resource_type) if name is None or r.name == name]
    assert len(found) == 1, [r.ref for r in resources.resources]
    return found[0]


def test_bicep_output_with_a_module_reads_nested_resources(fixture_repo: Repo) -> None:
    root = fixture_repo("bicep-azd")
    declared = load(root)
    main = root / "infra" / "main.json"
    redis = _one(declared, "Microsoft.Cache/redis")
    assert redis.source == "bicep"
    assert redis.name == "agent-cache"  # from the module call's params
    assert redis.get("properties.minimumTlsVersion") == "1.2"  # the module parameter's default
    assert redis.get("properties.enableNonSslPort") is False
    assert redis.location_of("properties.minimumTlsVersion") == Location(
        "infra/main.json", line_of(main, '"minimumTlsVersion": "[parameters(\'minimumTlsVersion\')]"'))
    openai = _one(declared, "Microsoft.CognitiveServices/accounts")
    assert openai.kind == "OpenAI" and openai.sku == {"name": "S0"}
    assert openai.get("properties.publicNetworkAccess") == "Disabled"
    assert openai.get("properties.disableLocalAuth") is True
    assert openai.location == ""  # azd's ${AZURE_LOCATION} in main.parameters.json: not known here


def test_private_endpoints_point_at_their_accounts(fixture_repo: Repo) -> None:
    declared = load(fixture_repo("bicep-azd"))
    targets = {}
    for endpoint in declared.of_type("Microsoft.Network/privateEndpoints"):
        for connection in endpoint.get("properties.privateLinkServiceConnections"):
            target = declared.by_id(connection["properties"]["privateLinkServiceId"])
            assert target is not None, connection
            targets[endpoint.name] = target.ref
    assert targets == {"agent-openai-pe": "Microsoft.CognitiveServices/accounts/agent-openai",
                       "agent-redis-pe": "Microsoft.Cache/redis/agent-cache"}  # the second via a module output


def test_changing_one_property_in_bicep_output_flips_it(fixture_repo: Repo) -> None:
    root = fixture_repo("bicep-azd")
    main = root / "infra" / "main.json"
    edit(main, '"enableNonSslPort": false', '"enableNonSslPort": true')
    edit(main, '''"openAiPublicAccess": {
      "type": "string",
      "defaultValue": "Disabled"''', '''"openAiPublicAccess": {
      "type": "string",
      "defaultValue": "Enabled"''')
    declared = load(root)
    redis = _one(declared, "Microsoft.Cache/redis")
    assert redis.get("properties.enableNonSslPort") is True
    assert redis.location_of("properties.enableNonSslPort").line == line_of(main, '"enableNonSslPort": true')
    openai = _one(declared, "Microsoft.CognitiveServices/accounts")
    assert openai.get("properties.publicNetworkAccess") == "Enabled"
    needle = '"publicNetworkAccess": "[parameters('
    assert str(openai.location_of("properties.publicNetworkAccess")) == f"infra/main.json:{line_of(main, needle)}"


def test_hand_written_template_with_parameter_file_and_child_resources(fixture_repo: Repo) -> None:
    root = fixture_repo("arm-handwritten")
    template = root / "deploy" / "azuredeploy.json"
    declared = load(root)
    assert not declared.problems
    redis = _one(declared, "Microsoft.Cache/redis")
    assert redis.source == "arm-template"
    assert redis.name == "prod-agent-cache"  # prefix from azuredeploy.parameters.json
    assert redis.get("properties.minimumTlsVersion") == "1.0"
    assert redis.get("properties.enableNonSslPort") is True
    assert redis.location_of("properties.enableNonSslPort") == Location(
        "deploy/azuredeploy.json", line_of(template, '"enableNonSslPort": true'))
    # the old `<type>/providers/diagnosticSettings` form is the extension resource ARM lists
    setting = _one(declared, "Microsoft.Insights/diagnosticSettings")
    assert setting.id.endswith("/Microsoft.Cache/redis/prod-agent-cache/providers/Microsoft.Insights/"
                               "diagnosticSettings/to-logs")
    assert setting.get("properties.workspaceId").endswith("/workspaces/prod-agent-logs")
    # child resources get their full type and name; the VNet lists its subnets as ARM returns them
    subnet = _one(declared, "Microsoft.Network/virtualNetworks/subnets")
    nsg = _one(declared, "Microsoft.Network/networkSecurityGroups")
    assert subnet.get("properties.networkSecurityGroup.id") == nsg.id
    vnet = _one(declared, "Microsoft.Network/virtualNetworks")
    assert [s["name"] for s in vnet.get("properties.subnets")] == ["aks"]
    assert _one(declared, "Microsoft.Storage/storageAccounts/blobServices").name == "default"
    rdp = nsg.get("properties.securityRules")[1]["properties"]
    assert rdp["destinationPortRange"] == "3389" and rdp["sourceAddressPrefix"] == "*"
    assert nsg.location_of("properties.securityRules[allow-rdp].properties.destinationPortRange").line == \
        line_of(template, '"destinationPortRange": "3389"')


def test_condition_false_is_not_declared_and_unresolved_values_are_unknown(fixture_repo: Repo) -> None:
    declared = load(fixture_repo("arm-handwritten"))
    vaults = declared.of_type("Microsoft.KeyVault/vaults")
    assert [v.name for v in vaults] == ["prod-agent-kv"]  # the legacy vault's condition is false
    assert vaults[0].get("properties.tenantId") is UNKNOWN
    storage = _one(declared, "Microsoft.Storage/storageAccounts")
    assert storage.name == "[variables('storageName')]"  # uniqueString(): no name to give it
    assert storage.get("properties.publicNetworkAccess") == "Disabled"  # if(false, ...) resolved


TEMPLATE_V2 = """{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "languageVersion": "2.0",
  "contentVersion": "1.0.0.0",
  "parameters": {
    "environment": {
      "type": "string"
    }
  },
  "resources": {
    "vault": {
      "existing": true,
      "type": "Microsoft.KeyVault/vaults",
      "apiVersion": "2023-07-01",
      "name": "shared-kv"
    },
    "openAi": {
      "type": "Microsoft.CognitiveServices/accounts",
      "apiVersion": "2023-05-01",
      "name": "agent-openai",
      "location": "westeurope",
      "kind": "OpenAI",
      "sku": {
        "name": "S0"
      },
      "properties": {
        "publicNetworkAccess": "[if(equals(parameters('environment'), 'prod'), 'Disabled', 'Enabled')]",
        "disableLocalAuth": true
      }
    }
  }
}
"""


def test_symbolic_resources_and_an_unknown_expression() -> None:
    read = read_text(TEMPLATE_V2, "infra/main.json")
    assert [r.ref for r in read.resources] == ["Microsoft.CognitiveServices/accounts/agent-openai"]  # not `existing`
    account = read.resources[0]
    assert account.get("properties.publicNetworkAccess") is UNKNOWN  # never a pass, never a fail
    assert account.get("properties.disableLocalAuth") is True
    assert account.location_of("properties.publicNetworkAccess") == Location("infra/main.json", 27)


@pytest.mark.parametrize(("text", "line", "message"), [
    ('{\n  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",\n'
     '  "resources": [\n    {"type": "Microsoft.Cache/redis" "name": "x"}\n  ]\n}\n', 4, "invalid JSON"),
    ('{\n  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",\n'
     '  "resources": [\n    {"type": "Microsoft.Resources/deployments", "name": "net", "properties": {\n'
     '      "templateLink": {"uri": "https://example.invalid/net.json"}}}\n  ]\n}\n', 4, "https://example.invalid"),
    ('{\n  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",\n'
     '  "resources": [\n    {"type": "Microsoft.Cache/redis", "name": "x",\n'
     '     "properties": "[parameters(\'props\')]"}\n  ]\n}\n', 4, "cannot resolve"),
])
def test_bad_templates_name_file_and_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "main.json").write_text(text)
    declared = load(tmp_path)
    assert [(p.location, message in p.message) for p in declared.problems] == [
        (Location("infra/main.json", line), True)]


def test_huge_and_deep_templates_are_refused(tmp_path: Path) -> None:
    (tmp_path / "deploy").mkdir()
    header = '{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", '
    (tmp_path / "deploy" / "huge.json").write_text(header + '"resources": [' + '{"a": 1},' * 600_000 + '{}]}')
    (tmp_path / "deploy" / "deep.json").write_text(header + '"resources": [' + "[" * 100_000 + "]" * 100_000 + "]}")
    problems = {p.location.path: p.message for p in load(tmp_path).problems}
    assert "byte limit" in problems["deploy/huge.json"]
    assert "nested deeper" in problems["deploy/deep.json"]


def test_json_that_is_no_template_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "settings.json").write_text('{"editor.tabSize": 2,}')
    (tmp_path / "deploy" / "values.json").write_text('{"replicas": 3}')
    (tmp_path / "deploy" / "main.tf").write_text('resource "azurerm_resource_group" "rg" {\n  name = "rg"\n}\n')
    declared = load(tmp_path)
    assert declared.problems == [] and declared.resources == []


IDENTITY_TEMPLATE = """{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "metadata": {"_generator": {"name": "bicep", "version": "0.30.23.60470", "templateHash": "1"}},
  "parameters": {"name": {"type": "string", "defaultValue": "agent-id"}},
  "variables": {
    "clusterId": "[resourceId('Microsoft.ContainerService/managedClusters', 'aks')]",
    "identityId": "[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', parameters('name'))]",
    "ownerRole": "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    "owner": "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', variables('ownerRole'))]"
  },
  "resources": [
    {
      "type": "Microsoft.ManagedIdentity/userAssignedIdentities",
      "apiVersion": "2023-01-31",
      "name": "[parameters('name')]",
      "location": "westeurope"
    },
    {
      "type": "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
      "apiVersion": "2023-01-31",
      "name": "[format('{0}/{1}', parameters('name'), 'agent')]",
      "properties": {
        "issuer": "[reference(variables('clusterId')).oidcIssuerProfile.issuerURL]",
        "subject": "system:serviceaccount:msft-agent:agent",
        "audiences": ["api://AzureADTokenExchange"]
      }
    },
    {
      "type": "Microsoft.Authorization/roleAssignments",
      "apiVersion": "2022-04-01",
      "name": "[guid(subscription().id, parameters('name'), 'owner')]",
      "properties": {
        "roleDefinitionId": "[variables('owner')]",
        "principalId": "[reference(variables('identityId'), '2023-01-31').principalId]",
        "principalType": "ServicePrincipal"
      }
    }
  ]
}
"""


def test_identities_credentials_and_role_assignments_match_up() -> None:
    read = read_text(IDENTITY_TEMPLATE, "infra/main.json")
    declared = ResourceSet("iac", read.resources)
    identity = _one(declared, "Microsoft.ManagedIdentity/userAssignedIdentities")
    credential = _one(declared, "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials")
    assignment = _one(declared, "Microsoft.Authorization/roleAssignments")
    assert credential.id.lower().startswith(identity.id.lower() + "/federatedidentitycredentials/")
    assert credential.get("properties.issuer") is UNKNOWN and credential.source == "bicep"
    assert assignment.get("properties.principalId") == identity.get("properties.principalId")
    assert assignment.get("properties.roleDefinitionId") == (
        "/subscriptions/{subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/"
        "8e3af657-a8ff-443c-a75c-2fe8c4bcb635")


def test_a_template_with_comments_is_read() -> None:
    text = TEMPLATE_V2.replace('"disableLocalAuth": true', '// keys off\n        "disableLocalAuth": false')
    account = read_text(text, "infra/main.json").resources[0]
    assert account.get("properties.disableLocalAuth") is False
    assert account.location_of("properties.disableLocalAuth") == Location("infra/main.json", 29)
