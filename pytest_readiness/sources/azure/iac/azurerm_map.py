"""azurerm resources (their Terraform attributes, from HCL or a plan) mapped onto ARM's REST shape.

Where azurerm fills in a value the configuration leaves out, that value is applied and the
resource's `defaults` says so (`properties.publicNetworkAccess` -> "azurerm default:
public_network_access_enabled = true"), so a check judges the default and its evidence names it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from pytest_readiness.results import Location
from pytest_readiness.sources.azure.iac.arm_expressions import RESOURCE_GROUP, SUBSCRIPTION, principal_placeholder
from pytest_readiness.sources.azure.model import UNKNOWN, AzureResource

_MISSING = object()
NSG_ASSOCIATION = "terraform/azurerm_subnet_network_security_group_association"
NSG_RULE = "Microsoft.Network/networkSecurityGroups/securityRules"
NODE_POOL = "Microsoft.ContainerService/managedClusters/agentPools"

ARM_TYPES: dict[str, str] = {
    "azurerm_cognitive_account": "Microsoft.CognitiveServices/accounts",
    "azurerm_redis_cache": "Microsoft.Cache/redis",
    "azurerm_storage_account": "Microsoft.Storage/storageAccounts",
    "azurerm_key_vault": "Microsoft.KeyVault/vaults",
    "azurerm_private_endpoint": "Microsoft.Network/privateEndpoints",
    "azurerm_network_security_group": "Microsoft.Network/networkSecurityGroups",
    "azurerm_network_security_rule": NSG_RULE,
    "azurerm_virtual_network": "Microsoft.Network/virtualNetworks",
    "azurerm_subnet": "Microsoft.Network/virtualNetworks/subnets",
    "azurerm_subnet_network_security_group_association": NSG_ASSOCIATION,
    "azurerm_kubernetes_cluster": "Microsoft.ContainerService/managedClusters",
    "azurerm_kubernetes_cluster_node_pool": NODE_POOL,
    "azurerm_role_assignment": "Microsoft.Authorization/roleAssignments",
    "azurerm_user_assigned_identity": "Microsoft.ManagedIdentity/userAssignedIdentities",
    "azurerm_federated_identity_credential":
        "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
    "azurerm_monitor_diagnostic_setting": "Microsoft.Insights/diagnosticSettings",
    "azurerm_log_analytics_workspace": "Microsoft.OperationalInsights/workspaces",
}

# Built-in role names -> their definition ids (the same in every tenant)
BUILTIN_ROLES = {
    "owner": "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    "contributor": "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "user access administrator": "18d7d88d-d35e-4fb1-a5c3-5773c20ae79b",
    "role based access control administrator": "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
    "cognitive services openai user": "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd",
    "key vault secrets user": "4633458b-17de-408a-b874-0445c86b69e6",
    "storage blob data contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "storage blob data reader": "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
}


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _text(value: Any, fallback: str) -> str:
    return value if isinstance(value, str) and value else fallback


def resource_id(tf_type: str, values: dict[str, Any], address: str = "name") -> str:
    """The ARM id the resource will have; parts not known yet are `{placeholders}` (an unknown name is
    the Terraform address, so references to it still find it)."""
    arm_type = ARM_TYPES[tf_type]
    group = _text(values.get("resource_group_name"), RESOURCE_GROUP)
    name = _text(values.get("name"), f"{{{address}}}")
    prefix = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{group}/providers"
    if tf_type == "azurerm_subnet":
        return f"{prefix}/Microsoft.Network/virtualNetworks/{_text(values.get('virtual_network_name'), '{vnet}')}" \
               f"/subnets/{name}"
    if tf_type == "azurerm_network_security_rule":
        return f"{prefix}/Microsoft.Network/networkSecurityGroups/" \
               f"{_text(values.get('network_security_group_name'), '{nsg}')}/securityRules/{name}"
    if tf_type == "azurerm_federated_identity_credential":
        parent = values.get("parent_id", values.get("user_assigned_identity_id"))
        return f"{_text(parent, prefix + '/Microsoft.ManagedIdentity/userAssignedIdentities/{identity}')}" \
               f"/federatedIdentityCredentials/{name}"
    if tf_type == "azurerm_monitor_diagnostic_setting":
        return f"{_text(values.get('target_resource_id'), '{target}')}/providers/Microsoft.Insights/" \
               f"diagnosticSettings/{name}"
    if tf_type == "azurerm_role_assignment":
        scope = _text(values.get("scope"), f"/subscriptions/{SUBSCRIPTION}")
        return f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"
    if tf_type == "azurerm_kubernetes_cluster_node_pool":
        return f"{_text(values.get('kubernetes_cluster_id'), '{cluster}')}/agentPools/{name}"
    if tf_type == "azurerm_subnet_network_security_group_association":
        return f"{_text(values.get('subnet_id'), '{subnet}')}/networkSecurityGroupAssociation"
    return f"{prefix}/{arm_type}/{name}"


class _Builder:
    def __init__(self, values: dict[str, Any], lines: dict[str, int], apply_defaults: bool = True) -> None:
        self.values, self.tf_lines, self.apply_defaults = values, lines, apply_defaults
        self.tree: dict[str, Any] = {"properties": {}}
        self.lines: dict[str, int] = {}
        self.defaults: dict[str, str] = {}

    def get(self, tf_path: str) -> Any:
        value: Any = self.values
        for step in tf_path.split("."):
            if value is UNKNOWN:
                return UNKNOWN
            if isinstance(value, list):
                value = value[int(step)] if step.isdigit() and int(step) < len(value) else None
            elif isinstance(value, dict):
                value = value.get(step)
            else:
                return None
        return value

    def first(self, *tf_paths: str) -> tuple[str, Any]:
        for path in tf_paths:
            value = self.get(path)
            if value is not None:
                return path, value
        return tf_paths[0], None

    def put(self, arm_path: str, value: Any, tf_path: str | None = None) -> None:
        node = self.tree
        steps = arm_path.split(".")
        for step in steps[:-1]:
            node = node.setdefault(step, {})
        node[steps[-1]] = value
        if tf_path is not None and tf_path in self.tf_lines:
            self.lines[arm_path] = self.tf_lines[tf_path]

    def set(self, arm_path: str, tf_paths: str | tuple[str, ...], convert: Callable[[Any], Any] = lambda v: v,
            default: Any = _MISSING) -> None:
        names = (tf_paths,) if isinstance(tf_paths, str) else tf_paths
        tf_path, value = self.first(*names)
        if value is None:
            if default is _MISSING or not self.apply_defaults:
                return
            self.defaults[arm_path] = f"azurerm default: {tf_path} = {_literal(default)}"
            value = default
        self.put(arm_path, UNKNOWN if value is UNKNOWN else convert(value), tf_path)

    def block(self, tf_path: str) -> Any:
        """The first block of that name as a dict, None when absent, UNKNOWN when dynamic."""
        value = self.get(tf_path)
        if value is UNKNOWN:
            return UNKNOWN
        if isinstance(value, list):
            value = value[0] if value else None
        return value if isinstance(value, dict) else None


def _unless_none(value: Any, fallback: Any) -> Any:
    return fallback if value is None else value


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f'"{value}"' if isinstance(value, str) else str(value)


def _enabled(value: Any) -> str:
    return "Enabled" if value else "Disabled"


def _negate(value: Any) -> bool:
    return not value


def _identity(builder: _Builder) -> None:
    identity = builder.block("identity")
    if identity is UNKNOWN:
        builder.put("identity.type", UNKNOWN, "identity")
        return
    if identity is None:
        return
    builder.put("identity.type", identity.get("type"), "identity.0.type")
    ids = identity.get("identity_ids")
    if isinstance(ids, list) and ids:
        builder.put("identity.userAssignedIdentities", {str(i): {} for i in ids if i is not UNKNOWN}
                    if UNKNOWN not in ids else UNKNOWN, "identity.0.identity_ids")


def _network_acls(builder: _Builder, block_name: str, ip_key: str = "ip_rules",
                  subnet_key: str = "virtual_network_subnet_ids", action: bool = False) -> None:
    acl = builder.block(block_name)
    if acl is UNKNOWN:
        builder.put("properties.networkAcls", UNKNOWN, block_name)
        return
    if acl is None:
        return
    prefix = f"{block_name}.0."
    builder.set("properties.networkAcls.defaultAction", prefix + "default_action")
    bypass = acl.get("bypass")
    if bypass is not None:
        builder.put("properties.networkAcls.bypass", UNKNOWN if bypass is UNKNOWN else
                    (",".join(bypass) if isinstance(bypass, list) else bypass), prefix + "bypass")
    extra = {"action": "Allow"} if action else {}
    for key, arm, field_name in ((ip_key, "ipRules", "value"), (subnet_key, "virtualNetworkRules", "id")):
        items = acl.get(key)
        if isinstance(items, list):
            builder.put(f"properties.networkAcls.{arm}", [{field_name: i, **extra} for i in items], prefix + key)


def _cognitive(b: _Builder) -> None:
    b.set("kind", "kind")
    b.set("sku.name", "sku_name")
    b.set("properties.customSubDomainName", "custom_subdomain_name")
    b.set("properties.publicNetworkAccess", "public_network_access_enabled", _enabled, True)
    b.set("properties.disableLocalAuth", "local_auth_enabled", _negate, True)
    b.set("properties.restrictOutboundNetworkAccess", "outbound_network_access_restricted", bool, False)
    _network_acls(b, "network_acls")
    key = b.block("customer_managed_key")
    if key is UNKNOWN:
        b.put("properties.encryption", UNKNOWN, "customer_managed_key")
    elif key is not None:
        b.put("properties.encryption.keySource", "Microsoft.KeyVault", "customer_managed_key.0")
        b.set("properties.encryption.keyVaultProperties.keyVaultKeyId", "customer_managed_key.0.key_vault_key_id")
        b.set("properties.encryption.keyVaultProperties.identityClientId", "customer_managed_key.0.identity_client_id")
    _identity(b)


_REDIS_CONFIGURATION = {"maxmemory_policy": "maxmemory-policy", "aof_backup_enabled": "aof-backup-enabled",
                        "rdb_backup_enabled": "rdb-backup-enabled",
                        "active_directory_authentication_enabled": "aad-enabled"}


def _redis(b: _Builder) -> None:
    b.set("properties.sku.name", "sku_name")
    b.set("properties.sku.family", "family")
    b.set("properties.sku.capacity", "capacity")
    b.set("properties.enableNonSslPort", ("non_ssl_port_enabled", "enable_non_ssl_port"), bool, False)
    b.set("properties.minimumTlsVersion", "minimum_tls_version", str, "1.2")
    b.set("properties.publicNetworkAccess", "public_network_access_enabled", _enabled, True)
    b.set("properties.redisVersion", "redis_version", str)
    b.set("properties.subnetId", "subnet_id")
    b.set("properties.disableAccessKeyAuthentication", "access_keys_authentication_enabled", _negate, True)
    configuration = b.block("redis_configuration")
    if configuration is UNKNOWN:
        b.put("properties.redisConfiguration", UNKNOWN, "redis_configuration")
        configuration = None
    for tf_name, arm_name in _REDIS_CONFIGURATION.items():
        if configuration is not None and tf_name in configuration:
            value = configuration[tf_name]
            b.put(f"properties.redisConfiguration.{arm_name}",
                  value if isinstance(value, str) or value is UNKNOWN else _literal(value),
                  f"redis_configuration.0.{tf_name}")
    if configuration is not None and configuration.get("authentication_enabled") is False:
        b.put("properties.redisConfiguration.authnotrequired", "true", "redis_configuration.0.authentication_enabled")
    _identity(b)


def _storage(b: _Builder) -> None:
    b.set("kind", "account_kind", str, "StorageV2")
    tier, replication = b.get("account_tier"), b.get("account_replication_type")
    if tier is not None and replication is not None:
        b.put("sku.name", UNKNOWN if UNKNOWN in (tier, replication) else f"{tier}_{replication}", "account_tier")
    b.set("properties.minimumTlsVersion", "min_tls_version", str, "TLS1_2")
    b.set("properties.supportsHttpsTrafficOnly", ("https_traffic_only_enabled", "enable_https_traffic_only"),
          bool, True)
    b.set("properties.allowBlobPublicAccess", "allow_nested_items_to_be_public", bool, True)
    b.set("properties.publicNetworkAccess", "public_network_access_enabled", _enabled, True)
    b.set("properties.allowSharedKeyAccess", "shared_access_key_enabled", bool, True)
    b.set("properties.isHnsEnabled", "is_hns_enabled", bool)
    _network_acls(b, "network_rules", action=True)
    key = b.block("customer_managed_key")
    b.put("properties.encryption.keySource", UNKNOWN if key is UNKNOWN else
          "Microsoft.Keyvault" if key is not None else "Microsoft.Storage",
          "customer_managed_key.0" if key is not None else None)
    b.put("properties.encryption.services", {"blob": {"enabled": True, "keyType": "Account"},
                                             "file": {"enabled": True, "keyType": "Account"}})
    b.defaults["properties.encryption.services"] = "azurerm: storage service encryption is always on"
    if key is None:
        b.defaults["properties.encryption.keySource"] = \
            "azurerm default: platform-managed keys (no customer_managed_key)"
    b.set("properties.encryption.requireInfrastructureEncryption", "infrastructure_encryption_enabled", bool, False)
    _identity(b)


def _key_vault(b: _Builder) -> None:
    b.set("properties.tenantId", "tenant_id")
    b.put("properties.sku.family", "A")
    b.set("properties.sku.name", "sku_name")
    b.put("properties.enableSoftDelete", True)
    b.defaults["properties.enableSoftDelete"] = "azurerm 3.0+: soft delete cannot be turned off"
    b.set("properties.softDeleteRetentionInDays", "soft_delete_retention_days", int, 90)
    b.set("properties.enablePurgeProtection", "purge_protection_enabled", bool, False)
    b.set("properties.enableRbacAuthorization", ("rbac_authorization_enabled", "enable_rbac_authorization"),
          bool, False)
    b.set("properties.publicNetworkAccess", "public_network_access_enabled", _enabled, True)
    _network_acls(b, "network_acls")


def _private_endpoint(b: _Builder) -> None:
    b.set("properties.subnet.id", "subnet_id")
    connections = b.get("private_service_connection")
    if connections is UNKNOWN:
        b.put("properties.privateLinkServiceConnections", UNKNOWN, "private_service_connection")
        return
    automatic: list[tuple[int, dict[str, Any]]] = []
    manual: list[tuple[int, dict[str, Any]]] = []
    for position, connection in enumerate(connections if isinstance(connections, list) else []):
        if not isinstance(connection, dict):
            continue
        properties: dict[str, Any] = {
            "privateLinkServiceId": connection.get("private_connection_resource_id",
                                                   connection.get("private_connection_resource_alias")),
            "groupIds": _unless_none(connection.get("subresource_names"), [])}
        is_manual = connection.get("is_manual_connection") is True
        if is_manual:
            properties["requestMessage"] = connection.get("request_message")
        (manual if is_manual else automatic).append((position, {"name": connection.get("name"),
                                                               "properties": properties}))
    for arm, items in (("privateLinkServiceConnections", automatic), ("manualPrivateLinkServiceConnections", manual)):
        b.put(f"properties.{arm}", [body for _, body in items])
        for index, (position, body) in enumerate(items):
            for key in (f"[{index}]", f"[{body['name']}]"):
                tf = f"private_service_connection.{position}"
                if tf in b.tf_lines:
                    b.lines[f"properties.{arm}{key}"] = b.tf_lines[tf]
                if f"{tf}.private_connection_resource_id" in b.tf_lines:
                    b.lines[f"properties.{arm}{key}.properties.privateLinkServiceId"] = \
                        b.tf_lines[f"{tf}.private_connection_resource_id"]


_RULE_FIELDS = {"priority": "priority", "direction": "direction", "access": "access", "protocol": "protocol",
                "description": "description", "source_port_range": "sourcePortRange",
                "source_port_ranges": "sourcePortRanges", "destination_port_range": "destinationPortRange",
                "destination_port_ranges": "destinationPortRanges", "source_address_prefix": "sourceAddressPrefix",
                "source_address_prefixes": "sourceAddressPrefixes",
                "destination_address_prefix": "destinationAddressPrefix",
                "destination_address_prefixes": "destinationAddressPrefixes"}


def security_rule(values: dict[str, Any]) -> dict[str, Any]:
    properties = {arm: values[tf] for tf, arm in _RULE_FIELDS.items() if values.get(tf) not in (None, [], "")}
    return {"name": values.get("name"), "properties": properties}


def _nsg(b: _Builder) -> None:
    rules = b.get("security_rule")
    if rules is UNKNOWN:
        b.put("properties.securityRules", UNKNOWN, "security_rule")
        return
    rules = rules if isinstance(rules, list) else []
    b.put("properties.securityRules", [security_rule(r) for r in rules])
    for position, rule in enumerate(rules):
        for key in (f"[{position}]", f"[{rule.get('name')}]"):
            base = f"properties.securityRules{key}"
            if f"security_rule.{position}" in b.tf_lines:
                b.lines[base] = b.tf_lines[f"security_rule.{position}"]
            for tf, arm in _RULE_FIELDS.items():
                if f"security_rule.{position}.{tf}" in b.tf_lines:
                    b.lines[f"{base}.properties.{arm}"] = b.tf_lines[f"security_rule.{position}.{tf}"]


def _nsg_rule(b: _Builder) -> None:
    for tf, arm in _RULE_FIELDS.items():
        b.set(f"properties.{arm}", tf)


def _one_prefix(prefixes: Any) -> Any:
    return prefixes[0] if isinstance(prefixes, list) and len(prefixes) == 1 else prefixes


def _subnet_properties(b: _Builder, prefix: str = "") -> None:
    prefixes = b.get(prefix + "address_prefixes")
    if isinstance(prefixes, list) and len(prefixes) == 1:  # ARM reports one prefix as addressPrefix
        b.set("properties.addressPrefix", prefix + "address_prefixes", _one_prefix)
    else:
        b.set("properties.addressPrefixes", prefix + "address_prefixes")
    b.set("properties.addressPrefix", prefix + "address_prefix")
    b.set("properties.networkSecurityGroup.id", prefix + "security_group")
    endpoints = b.get(prefix + "service_endpoints")
    if isinstance(endpoints, list):
        b.put("properties.serviceEndpoints", [{"service": s} for s in endpoints], prefix + "service_endpoints")


def _subnet(b: _Builder) -> None:
    _subnet_properties(b)
    b.set("properties.privateEndpointNetworkPolicies", "private_endpoint_network_policies")


def _vnet(b: _Builder) -> None:
    b.set("properties.addressSpace.addressPrefixes", "address_space")
    subnets = b.get("subnet")
    if subnets is UNKNOWN:
        b.put("properties.subnets", UNKNOWN, "subnet")
        return
    inline = []
    for position, subnet in enumerate(subnets if isinstance(subnets, list) else []):
        nested = _Builder(subnet, {k.split(".", 2)[2]: v for k, v in b.tf_lines.items()
                                   if k.startswith(f"subnet.{position}.")})
        _subnet_properties(nested)
        inline.append({"name": subnet.get("name"), **nested.tree})
        for path, line in nested.lines.items():
            b.lines[f"properties.subnets[{position}].{path}"] = line
    if inline:
        b.put("properties.subnets", inline, "subnet.0")


def _aks(b: _Builder) -> None:
    b.set("properties.dnsPrefix", "dns_prefix")
    b.set("properties.kubernetesVersion", "kubernetes_version")
    b.set("properties.oidcIssuerProfile.enabled", "oidc_issuer_enabled", bool, False)
    b.set("properties.securityProfile.workloadIdentity.enabled", "workload_identity_enabled", bool, False)
    b.set("properties.enableRBAC", "role_based_access_control_enabled", bool, True)
    b.set("properties.disableLocalAccounts", "local_account_disabled", bool, False)
    b.set("properties.diskEncryptionSetID", "disk_encryption_set_id")
    b.set("properties.apiServerAccessProfile.enablePrivateCluster", "private_cluster_enabled", bool, False)
    b.set("properties.apiServerAccessProfile.authorizedIPRanges",
          ("api_server_access_profile.0.authorized_ip_ranges", "api_server_authorized_ip_ranges"))
    pool = b.block("default_node_pool")
    if pool is UNKNOWN:
        b.put("properties.agentPoolProfiles", UNKNOWN, "default_node_pool")
    elif pool is not None:
        profile = {"name": pool.get("name"), "mode": "System", "count": pool.get("node_count"),
                   "vmSize": pool.get("vm_size"), "vnetSubnetID": pool.get("vnet_subnet_id"),
                   "availabilityZones": pool.get("zones"),
                   "enableAutoScaling": pool.get("auto_scaling_enabled", pool.get("enable_auto_scaling")),
                   "minCount": pool.get("min_count"), "maxCount": pool.get("max_count")}
        b.put("properties.agentPoolProfiles", [{k: v for k, v in profile.items() if v is not None}],
              "default_node_pool.0")
        for key in ("[0]", f"[{pool.get('name')}]"):
            subnet_line = b.tf_lines.get("default_node_pool.0.vnet_subnet_id")
            if subnet_line:
                b.lines[f"properties.agentPoolProfiles{key}.vnetSubnetID"] = subnet_line
    network = b.block("network_profile")
    if network is UNKNOWN:
        b.put("properties.networkProfile", UNKNOWN, "network_profile")
    elif network is not None:
        for tf, arm in (("network_plugin", "networkPlugin"), ("network_policy", "networkPolicy"),
                        ("outbound_type", "outboundType"), ("load_balancer_sku", "loadBalancerSku")):
            b.set(f"properties.networkProfile.{arm}", f"network_profile.0.{tf}")
    oms = b.block("oms_agent")
    if oms is UNKNOWN:
        b.put("properties.addonProfiles.omsagent", UNKNOWN, "oms_agent")
    elif oms is not None:
        b.put("properties.addonProfiles.omsagent", {"enabled": True, "config": {
            "logAnalyticsWorkspaceResourceID": oms.get("log_analytics_workspace_id")}}, "oms_agent.0")
    b.set("properties.addonProfiles.azurepolicy.enabled", "azure_policy_enabled", bool)
    aad = b.block("azure_active_directory_role_based_access_control")
    if aad is UNKNOWN:
        b.put("properties.aadProfile", UNKNOWN, "azure_active_directory_role_based_access_control")
    elif aad is not None:
        b.put("properties.aadProfile", {"managed": True, "enableAzureRBAC": aad.get("azure_rbac_enabled", False),
                                        "adminGroupObjectIDs": _unless_none(aad.get("admin_group_object_ids"), [])},
              "azure_active_directory_role_based_access_control.0")
    principal = b.block("service_principal")
    if principal is UNKNOWN:
        b.put("properties.servicePrincipalProfile", UNKNOWN, "service_principal")
    elif principal is not None:
        b.put("properties.servicePrincipalProfile.clientId", principal.get("client_id"), "service_principal.0")
    _identity(b)


def _node_pool(b: _Builder) -> None:
    b.set("properties.vnetSubnetID", "vnet_subnet_id")
    b.set("properties.vmSize", "vm_size")
    b.set("properties.count", "node_count")
    b.set("properties.mode", "mode", str, "User")
    b.set("properties.availabilityZones", "zones")


def _role_assignment(b: _Builder) -> None:
    b.set("properties.scope", "scope")
    b.set("properties.principalId", "principal_id")
    b.set("properties.principalType", "principal_type")
    role_id = b.get("role_definition_id")
    if role_id is not None:
        b.put("properties.roleDefinitionId", role_id, "role_definition_id")
        return
    role_name = b.get("role_definition_name")
    if role_name is UNKNOWN or not isinstance(role_name, str):
        b.put("properties.roleDefinitionId", UNKNOWN, "role_definition_name")
        return
    guid = BUILTIN_ROLES.get(role_name.lower())
    b.put("properties.roleDefinitionId", f"/providers/Microsoft.Authorization/roleDefinitions/{guid}" if guid
          else UNKNOWN, "role_definition_name")
    b.defaults["properties.roleDefinitionId"] = f"role_definition_name = {role_name!r}"


def _identity_resource(b: _Builder) -> None:
    name = b.get("name")
    if isinstance(name, str):
        b.put("properties.principalId", principal_placeholder(name))
        b.put("properties.clientId", principal_placeholder(name, "clientId"))
    else:
        b.put("properties", {})


def _federated(b: _Builder) -> None:
    b.set("properties.issuer", "issuer")
    b.set("properties.subject", "subject")
    b.set("properties.audiences", ("audience", "audiences"))


def _diagnostic(b: _Builder) -> None:
    b.set("properties.workspaceId", "log_analytics_workspace_id")
    b.set("properties.storageAccountId", "storage_account_id")
    b.set("properties.eventHubAuthorizationRuleId", "eventhub_authorization_rule_id")
    if UNKNOWN in (b.get("enabled_log"), b.get("log")):
        b.put("properties.logs", UNKNOWN, "enabled_log")
        return
    logs = []
    for block_name in ("enabled_log", "log"):
        for entry in _list(b.get(block_name)):
            item = {"category": entry["category"]} if entry.get("category") else {
                "categoryGroup": entry.get("category_group")}
            logs.append({**item, "enabled": entry.get("enabled", True)})
    if logs:
        b.put("properties.logs", logs, "enabled_log.0" if b.get("enabled_log") else "log.0")
    metrics = [{"category": m.get("category"), "enabled": m.get("enabled", True)}
               for name in ("enabled_metric", "metric") for m in _list(b.get(name))]
    if metrics:
        b.put("properties.metrics", metrics, "metric.0" if b.get("metric") else "enabled_metric.0")


def _workspace(b: _Builder) -> None:
    b.set("properties.sku.name", "sku", str, "PerGB2018")
    b.set("properties.retentionInDays", "retention_in_days", int, 30)
    b.set("properties.publicNetworkAccessForIngestion", "internet_ingestion_enabled", _enabled, True)
    b.set("properties.publicNetworkAccessForQuery", "internet_query_enabled", _enabled, True)


def _association(b: _Builder) -> None:
    b.set("properties.subnetId", "subnet_id")
    b.set("properties.networkSecurityGroupId", "network_security_group_id")


_MAPPERS: dict[str, Callable[[_Builder], None]] = {
    "azurerm_cognitive_account": _cognitive, "azurerm_redis_cache": _redis, "azurerm_storage_account": _storage,
    "azurerm_key_vault": _key_vault, "azurerm_private_endpoint": _private_endpoint,
    "azurerm_network_security_group": _nsg, "azurerm_network_security_rule": _nsg_rule,
    "azurerm_virtual_network": _vnet, "azurerm_subnet": _subnet,
    "azurerm_subnet_network_security_group_association": _association, "azurerm_kubernetes_cluster": _aks,
    "azurerm_kubernetes_cluster_node_pool": _node_pool, "azurerm_role_assignment": _role_assignment,
    "azurerm_user_assigned_identity": _identity_resource, "azurerm_federated_identity_credential": _federated,
    "azurerm_monitor_diagnostic_setting": _diagnostic, "azurerm_log_analytics_workspace": _workspace,
}


def to_resource(tf_type: str, values: dict[str, Any], lines: dict[str, int], origin: Location, address: str,
                source: str = "terraform") -> AzureResource:
    """A plan's values already hold what the provider filled in: no defaults are applied to them."""
    builder = _Builder(values, lines, apply_defaults=source != "terraform-plan")
    _MAPPERS[tf_type](builder)
    tree = builder.tree
    location = values.get("location")
    name = values.get("name")
    tags = values.get("tags")
    return AzureResource(
        type=ARM_TYPES[tf_type], id=resource_id(tf_type, values, address),
        name=name if isinstance(name, str) else address, location=location if isinstance(location, str) else "",
        properties=tree.get("properties", {}), origin=origin, source=source,
        kind=tree.get("kind", "") if isinstance(tree.get("kind"), str) else "", sku=tree.get("sku", {}),
        identity=tree.get("identity", {}), tags=tags if isinstance(tags, dict) else {},
        defaults=builder.defaults, lines=builder.lines,
    )


def attach_relations(resources: list[AzureResource]) -> None:
    """What Terraform declares apart and ARM returns inline: NSG associations onto the subnet
    (`properties.networkSecurityGroup.id`), standalone rules into their NSG, subnets into their VNet,
    node pools into their cluster (subnets into their VNet: `relations`). The helper resources are then dropped."""
    by_id = {r.id.lower(): r for r in resources}

    def replace(old: AzureResource, new: AzureResource) -> None:
        resources[resources.index(old)] = new
        by_id[new.id.lower()] = new

    for association in [r for r in resources if r.type == NSG_ASSOCIATION]:
        resources.remove(association)
        subnet_id, nsg_id = association.properties.get("subnetId"), association.properties.get("networkSecurityGroupId")
        subnet = by_id.get(subnet_id.lower()) if isinstance(subnet_id, str) else None
        if subnet is None:
            continue
        path = "properties.networkSecurityGroup.id"
        replace(subnet, dataclasses.replace(
            subnet, properties={**subnet.properties, "networkSecurityGroup": {"id": nsg_id}},
            elsewhere={**subnet.elsewhere, path: association.location_of("properties.networkSecurityGroupId")}))
    for rule in [r for r in resources if r.type == NSG_RULE]:
        nsg = by_id.get(rule.id.rsplit("/securityRules/", 1)[0].lower())
        if nsg is None:
            continue
        if not isinstance(nsg.properties.get("securityRules", []), list):
            continue  # the NSG's own rules are dynamic: it stays unknown, the rule a resource of its own
        resources.remove(rule)
        rules = list(nsg.properties.get("securityRules") or [])
        position = len(rules)
        rules.append({"name": rule.name, "properties": dict(rule.properties)})
        elsewhere = dict(nsg.elsewhere)
        for key in (f"[{position}]", f"[{rule.name}]"):
            elsewhere[f"properties.securityRules{key}"] = rule.origin
            for path in rule.lines:
                elsewhere[f"properties.securityRules{key}.{path}"] = rule.location_of(path)
        replace(nsg, dataclasses.replace(nsg, properties={**nsg.properties, "securityRules": rules},
                                         elsewhere=elsewhere))
    for pool in [r for r in resources if r.type == NODE_POOL]:
        cluster = by_id.get(pool.id.rsplit("/agentPools/", 1)[0].lower())
        if cluster is None:
            continue
        if not isinstance(cluster.properties.get("agentPoolProfiles", []), list):
            continue
        resources.remove(pool)
        profiles = [*(cluster.properties.get("agentPoolProfiles") or []), {"name": pool.name, **pool.properties}]
        elsewhere = dict(cluster.elsewhere)
        for key in (f"[{len(profiles) - 1}]", f"[{pool.name}]"):
            for path in pool.lines:
                elsewhere[f"properties.agentPoolProfiles{key}.{path.removeprefix('properties.')}"] = \
                    pool.location_of(path)
        replace(cluster, dataclasses.replace(cluster, properties={**cluster.properties,
                                                                  "agentPoolProfiles": profiles},
                                             elsewhere=elsewhere))
