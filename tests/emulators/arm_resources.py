"""Resource bodies for the ARM emulator, built from the official REST examples in tests/data/azure/
(see its SOURCE.md): each builder takes an example's response body, moves it into the agent's
subscription and resource group, and sets what a well-configured agent stack has. `agent_stack()`
is the whole healthy stack; tests change one property to make one check fail.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

Obj = dict[str, Any]
DATA = Path(__file__).resolve().parent.parent / "data" / "azure"
SUB = "9b3e1f70-4c2a-4e85-9d0b-2f6a8c1e5d34"
RG = "rg-agent-prod"
LOCATION = "swedencentral"
NAMESPACE = "msft-agent"
SERVICE_ACCOUNT = "msft-agent"
ISSUER = "https://swedencentral.oic.prod-aks.azure.com/72f988bf-86f1-41af-91ab-2d7cd011db47/0c1f6d0e-2d1a-4c55/"
AGENT_PRINCIPAL = "25cc773c-7f05-40fc-a104-32d2300754ad"
AGENT_CLIENT = "4024ab25-56a8-4370-aea6-6389221caf29"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
OPENAI_USER = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"
EXAMPLES = {
    "Microsoft.ContainerService/managedClusters": "2026-08-01/ManagedClustersGet.json",
    "Microsoft.CognitiveServices/accounts": "2026-07-01/GetAccount.json",
    "Microsoft.Cache/redis": "2024-11-01/RedisCacheGet.json",
    "Microsoft.Storage/storageAccounts": "2026-09-01/StorageAccountGetProperties.json",
    "Microsoft.KeyVault/vaults": "2026-04-01/getVault.json",
    "Microsoft.Network/virtualNetworks": "2025-09-01/VirtualNetworkGet.json",
    "Microsoft.Network/networkSecurityGroups": "2025-05-01/NetworkSecurityGroupGet.json",
    "Microsoft.Network/privateEndpoints": "2025-05-01/PrivateEndpointGet.json",
    "Microsoft.ManagedIdentity/userAssignedIdentities": "2026-05-31/IdentityGet.json",
    "Microsoft.ManagedIdentity/federatedIdentityCredentials": "2026-05-31/FederatedIdentityCredentialGet.json",
    "Microsoft.Insights/diagnosticSettings": "2021-05-01-preview/getDiagnosticSetting.json",
    "Microsoft.OperationalInsights/workspaces": "2026-03-01/WorkspacesGet.json",
    "Microsoft.Authorization/roleAssignments": "2022-04-01/RoleAssignments_ListForSubscription.json",
    "Microsoft.Authorization/roleDefinitions": "2022-04-01/GetRoleDefinitionByName.json",
}


def example(rtype: str) -> Obj:
    """The 200 response body of the example for `rtype` (the first item of a list example)."""
    path = DATA / rtype / EXAMPLES[rtype]
    body = json.loads(path.read_text())["responses"]["200"]["body"]
    return copy.deepcopy(body["value"][0] if "value" in body else body)


def rid(rtype: str, name: str, group: str = RG) -> str:
    return f"/subscriptions/{SUB}/resourceGroups/{group}/providers/{rtype}/{name}"


def _placed(rtype: str, name: str, group: str = RG, spelled: str | None = None) -> Obj:
    body = example(rtype)
    body.update(id=rid(spelled or rtype, name, group), name=name, type=spelled or rtype)
    if "location" in body:
        body["location"] = LOCATION
    body.pop("systemData", None)
    return body


def _connection(resource_id: str, status: str = "Approved") -> Obj:
    name = resource_id.rsplit("/", 1)[-1]
    return {
        "id": f"{resource_id}/privateEndpointConnections/pe-{name}.conn",
        "name": f"pe-{name}.conn",
        "type": resource_id.split("/providers/")[1].rsplit("/", 1)[0] + "/privateEndpointConnections",
        "properties": {
            "privateEndpoint": {"id": rid("Microsoft.Network/privateEndpoints", f"pe-{name}")},
            "privateLinkServiceConnectionState": {"status": status, "description": "Auto-Approved",
                                                  "actionsRequired": "None"},
            "provisioningState": "Succeeded",
        },
    }


def subnet_id(name: str) -> str:
    return rid("Microsoft.Network/virtualNetworks", "vnet-agent") + f"/subnets/{name}"


def aks_cluster(name: str = "aks-agent") -> Obj:
    body = _placed("Microsoft.ContainerService/managedClusters", name)
    props = body["properties"]
    props.pop("servicePrincipalProfile")
    props.pop("diskEncryptionSetID")
    props["servicePrincipalProfile"] = {"clientId": "msi"}
    props["enableRBAC"] = True
    props["agentPoolProfiles"][0]["vnetSubnetID"] = subnet_id("snet-aks")
    props["networkProfile"].update(networkPlugin="azure", networkPolicy="azure")
    props["apiServerAccessProfile"] = {"enablePrivateCluster": True}
    props["oidcIssuerProfile"] = {"enabled": True, "issuerURL": ISSUER}
    props["securityProfile"] = {"workloadIdentity": {"enabled": True}}
    body["identity"] = {"type": "SystemAssigned", "principalId": "0e7a6b1c-3d2f-4b8a-9c5e-1f2a3b4c5d6e",
                        "tenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47"}
    return body


def openai_account(name: str = "oai-agent-prod") -> Obj:
    body = _placed("Microsoft.CognitiveServices/accounts", name)
    body.update(kind="OpenAI", sku={"name": "S0"})
    body["properties"] = {
        "endpoint": f"https://{name}.openai.azure.com/",
        "provisioningState": "Succeeded",
        "customSubDomainName": name,
        "disableLocalAuth": True,
        "publicNetworkAccess": "Disabled",
        "networkAcls": {"defaultAction": "Deny", "ipRules": [], "virtualNetworkRules": []},
        "encryption": {"keySource": "Microsoft.CognitiveServices"},
        "privateEndpointConnections": [_connection(body["id"])],
    }
    return body


def redis_cache(name: str = "agent-cache") -> Obj:
    body = _placed("Microsoft.Cache/redis", name, spelled="Microsoft.Cache/Redis")  # ARM's own spelling
    props = body["properties"]
    props.update(provisioningState="Succeeded", enableNonSslPort=False, minimumTlsVersion="1.2",
                 publicNetworkAccess="Disabled", hostName=f"{name}.redis.cache.windows.net")
    props.pop("linkedServers")
    props["privateEndpointConnections"] = [_connection(body["id"])]
    return body


def storage_account(name: str = "stagentsessions") -> Obj:
    body = _placed("Microsoft.Storage/storageAccounts", name)
    body["kind"] = "StorageV2"
    props = body["properties"]
    props.update(supportsHttpsTrafficOnly=True, minimumTlsVersion="TLS1_2", allowBlobPublicAccess=False,
                 publicNetworkAccess="Disabled", allowSharedKeyAccess=False)
    props["networkAcls"].update(defaultAction="Deny", resourceAccessRules=[])
    props["privateEndpointConnections"] = [_connection(body["id"])]
    return body


def key_vault(name: str = "kv-agent-prod") -> Obj:
    body = _placed("Microsoft.KeyVault/vaults", name)
    props = body["properties"]
    props.update(vaultUri=f"https://{name}.vault.azure.net/", enableSoftDelete=True, softDeleteRetentionInDays=90,
                 enablePurgeProtection=True, enableRbacAuthorization=True, publicNetworkAccess="Disabled",
                 accessPolicies=[], networkAcls={"bypass": "AzureServices", "defaultAction": "Deny"})
    props.pop("hsmPoolResourceId", None)
    return body


def virtual_network(name: str = "vnet-agent") -> Obj:
    body = _placed("Microsoft.Network/virtualNetworks", name)
    props = body["properties"]
    props.pop("defaultPublicNatGateway")
    template = props["subnets"][0]
    subnets = []
    for index, (subnet, nsg) in enumerate((("snet-aks", "nsg-aks"), ("snet-private-endpoints", "nsg-pe"))):
        entry = copy.deepcopy(template)
        entry.update(name=subnet, id=subnet_id(subnet))
        entry["properties"] = {"addressPrefix": f"10.0.{index * 16}.0/20", "provisioningState": "Succeeded",
                               "networkSecurityGroup": {"id": rid("Microsoft.Network/networkSecurityGroups", nsg)}}
        subnets.append(entry)
    props["subnets"] = subnets
    return body


def nsg_rule(nsg: str, name: str, *, port: str = "443", source: str = "Internet", access: str = "Allow",
             priority: int = 100, direction: str = "Inbound", **extra: Any) -> Obj:
    props = {"provisioningState": "Succeeded", "protocol": "Tcp", "sourcePortRange": "*",
             "destinationPortRange": port, "sourceAddressPrefix": source, "destinationAddressPrefix": "*",
             "access": access, "priority": priority, "direction": direction, **extra}
    return {"name": name, "id": rid("Microsoft.Network/networkSecurityGroups", nsg) + f"/securityRules/{name}",
            "type": "Microsoft.Network/networkSecurityGroups/securityRules", "properties": props}


def network_security_group(name: str = "nsg-aks", *rules: Obj) -> Obj:
    body = _placed("Microsoft.Network/networkSecurityGroups", name)
    props = body["properties"]
    props["securityRules"] = list(rules) or [nsg_rule(name, "allow-https-ingress")]
    props.pop("networkInterfaces", None)
    props.pop("subnets", None)
    return body


def private_endpoint(target_id: str, group_id: str) -> Obj:
    name = f"pe-{target_id.rsplit('/', 1)[-1]}"
    body = _placed("Microsoft.Network/privateEndpoints", name)
    props = body["properties"]
    connection = props["privateLinkServiceConnections"][0]
    connection["id"] = f"{body['id']}/privateLinkServiceConnections/{name}"
    connection["properties"].update(privateLinkServiceId=target_id, groupIds=[group_id])
    props.update(subnet={"id": subnet_id("snet-private-endpoints")}, customDnsConfigs=[], ipConfigurations=[],
                 manualPrivateLinkServiceConnections=[])
    props.pop("customNetworkInterfaceName", None)
    props.pop("networkInterfaces", None)
    return body


def identity(name: str = "id-msft-agent", principal: str = AGENT_PRINCIPAL, client: str = AGENT_CLIENT) -> Obj:
    body = _placed("Microsoft.ManagedIdentity/userAssignedIdentities", name)
    body["properties"].update(principalId=principal, clientId=client)
    return body


def federated_credential(identity_name: str = "id-msft-agent", *, subject: str | None = None,
                         issuer: str = ISSUER, name: str = "aks-msft-agent") -> Obj:
    body = example("Microsoft.ManagedIdentity/federatedIdentityCredentials")
    parent = rid("Microsoft.ManagedIdentity/userAssignedIdentities", identity_name)
    body.update(id=f"{parent}/federatedIdentityCredentials/{name}", name=name)
    body["properties"].update(issuer=issuer,
                              subject=subject or f"system:serviceaccount:{NAMESPACE}:{SERVICE_ACCOUNT}")
    return body


def diagnostic_setting(resource_id: str, workspace: str = "log-agent-prod", *, logs_enabled: bool = True) -> Obj:
    body = example("Microsoft.Insights/diagnosticSettings")
    body["id"] = f"{resource_id}/providers/microsoft.insights/diagnosticSettings/to-log-analytics"
    body["name"] = "to-log-analytics"
    props = body["properties"]
    for key in ("storageAccountId", "eventHubAuthorizationRuleId", "marketplacePartnerId"):
        props.pop(key)
    props["workspaceId"] = rid("Microsoft.OperationalInsights/workspaces", workspace) if workspace else ""
    props["metrics"] = [{"category": "AllMetrics", "enabled": True, "retentionPolicy": {"enabled": False, "days": 0}}]
    props["logs"][0]["enabled"] = logs_enabled
    return body


def workspace(name: str = "log-agent-prod", retention: int = 90) -> Obj:
    body = _placed("Microsoft.OperationalInsights/workspaces", name)
    body["properties"]["retentionInDays"] = retention
    return body


def role_definition(guid: str, role_name: str, actions: list[str]) -> Obj:
    body = example("Microsoft.Authorization/roleDefinitions")
    body.update(id=f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{guid}", name=guid)
    body["properties"].update(roleName=role_name, type="BuiltInRole", description=role_name,
                              assignableScopes=["/"], permissions=[{"actions": actions, "notActions": [],
                                                                      "dataActions": [], "notDataActions": []}])
    return body


def role_assignment(name: str, principal: str, role: str, scope: str, principal_type: str = "ServicePrincipal") -> Obj:
    body = example("Microsoft.Authorization/roleAssignments")
    body.update(id=f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}", name=name)
    body["properties"].update(principalId=principal, principalType=principal_type, scope=scope,
                              roleDefinitionId=f"/subscriptions/{SUB}/providers/Microsoft.Authorization/"
                                               f"roleDefinitions/{role}")
    return body


def agent_stack() -> list[Obj]:
    """A subscription with a well-configured agent: every Azure check passes on it."""
    aks, oai, cache, storage, vault = aks_cluster(), openai_account(), redis_cache(), storage_account(), key_vault()
    main = [aks, oai, cache, storage, vault]
    return [
        *main,
        virtual_network(),
        network_security_group("nsg-aks"),
        network_security_group("nsg-pe", nsg_rule("nsg-pe", "deny-internet", port="*", access="Deny",
                                                  priority=4000)),
        private_endpoint(oai["id"], "account"),
        private_endpoint(cache["id"], "redisCache"),
        private_endpoint(storage["id"], "blob"),
        identity(),
        federated_credential(),
        workspace(),
        *(diagnostic_setting(r["id"]) for r in main[:2] + main[2:3] + main[4:]),
        diagnostic_setting(storage["id"] + "/blobServices/default"),
        role_definition(OWNER, "Owner", ["*"]),
        role_definition(CONTRIBUTOR, "Contributor", ["*"]),
        role_definition(OPENAI_USER, "Cognitive Services OpenAI User", ["Microsoft.CognitiveServices/*/read"]),
        role_assignment("7d0e4b2a-1111-4a4a-8c8c-000000000001", AGENT_PRINCIPAL, OPENAI_USER, oai["id"]),
        role_assignment("7d0e4b2a-1111-4a4a-8c8c-000000000002", "ce2ce14e-85d7-4629-bdbc-454d0519d987", OWNER,
                        f"/subscriptions/{SUB}", principal_type="User"),
    ]


def by_name(resources: list[Obj], name: str) -> Obj:
    return next(r for r in resources if r["name"] == name)
