"""Checks on Azure resources: identity, network isolation, TLS, Key Vault, encryption at rest, logs.

SEC-MANAGED-IDENTITY, SEC-OPENAI-KEYLESS, SEC-SP-SCOPED, SEC-VNET, SEC-PRIVATE-ENDPOINTS, SEC-NO-PUBLIC-ENDPOINTS,
SEC-NSG, SEC-AZURE-TLS, SEC-KEYVAULT-PROTECTION, COMP-ENCRYPTION-AT-REST, OBS-AZURE-LOG-AGGREGATION,
OBS-AZURE-LOG-RETENTION; OPS-AZURE-DRIFT (declared in the repo's IaC vs live).

One test per resource (`[Microsoft.Cache/redis/agent-cache]`), read live from Azure Resource Manager
(--readiness-azure-subscription) or declared in the repo's IaC: the checks read the resource model only.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_readiness import Evidence, check, not_applicable, unverified
from pytest_readiness.settings import Settings
from pytest_readiness.sources.azure import rules as r
from pytest_readiness.sources.azure.fixtures import for_types
from pytest_readiness.sources.azure.iac.fixtures import DeclaredLive
from pytest_readiness.sources.azure.model import UNKNOWN, AzureResource, ResourceSet

PUBLIC_ACCESS = "properties.publicNetworkAccess"


@check("SEC-MANAGED-IDENTITY")
@for_types(r.AKS)
def test_cluster_uses_workload_identity(azure_resource: AzureResource, azure_set: ResourceSet, evidence: Evidence,
                                        agent_subjects: set[str] | None) -> None:
    j = r.Judge(azure_resource, evidence)
    j.expect("identity.type", lambda v: str(v) in ("SystemAssigned", "UserAssigned"),
             "the cluster runs with a service principal's secret, not a managed identity")
    j.expect("properties.oidcIssuerProfile.enabled", r.is_true, "the OIDC issuer is off", default=False)
    j.expect("properties.securityProfile.workloadIdentity.enabled", r.is_true, "workload identity is off",
             default=False)
    r.require(azure_set, r.FEDERATED, azure_resource.ref)
    issuer = j.value("properties.oidcIssuerProfile.issuerURL")
    credentials = [c for c in r.federated_credentials(azure_set)
                   if str(c.properties.get("subject", "")).startswith(r.K8S_SUBJECT)
                   and (not isinstance(issuer, str) or r._same_id(c.properties.get("issuer"), issuer))]
    for credential in credentials:
        j.note(f"identity {r.identity_of_credential(credential)} trusts {credential.properties.get('subject')}")
    subjects = {str(c.properties.get("subject")) for c in credentials}
    undecided = [c.name for c in r.federated_credentials(azure_set) if c not in credentials and (
        c.properties.get("subject") is UNKNOWN or c.properties.get("issuer") is UNKNOWN)]
    if undecided:
        j.note(f"federated credential(s) {', '.join(undecided)}: subject or issuer not known before deployment")
    if agent_subjects is None:
        j.note("the manifests mark no pod with azure.workload.identity/use: any service account counts")
        if not credentials and undecided:
            j.unknown.append("the subject or issuer of federated credential(s) " + ", ".join(undecided))
        elif not credentials:
            j.finding("no user-assigned identity has a federated credential for a service account of this cluster")
    for missing in sorted((agent_subjects or set()) - subjects):
        if undecided:
            j.unknown.append(f"a federated credential for {missing} (among {', '.join(undecided)})")
        else:
            j.finding(f"no federated credential for {missing} (the agent's service account in the manifests)")
    j.verdict("the agent cannot sign in to Azure without secrets")


@check("SEC-OPENAI-KEYLESS")
@for_types(r.OPENAI)
def test_openai_keys_disabled(azure_resource: AzureResource, evidence: Evidence) -> None:
    j = r.Judge(azure_resource, evidence)
    j.expect("properties.disableLocalAuth", r.is_true, "API keys still work; set disableLocalAuth: true",
             default=False)
    j.verdict("keys, not Entra ID, can call the model")


@check("SEC-SP-SCOPED")
@for_types(r.IDENTITY)
def test_identity_has_no_broad_roles(azure_resource: AzureResource, azure_set: ResourceSet, evidence: Evidence,
                                     readiness_settings: Settings) -> None:
    identity, j = azure_resource, r.Judge(azure_resource, evidence)
    principal, client = j.value("properties.principalId"), j.value("properties.clientId")
    named = {n.lower() for n in readiness_settings.azure_identity}
    federated = [c for c in r.federated_credentials(azure_set, identity)
                 if str(c.properties.get("subject", "")).startswith(r.K8S_SUBJECT)]
    if not federated and not named & {identity.name.lower(), str(principal).lower(), str(client).lower()}:
        not_applicable(f"{identity.ref} has no federated credential for a Kubernetes service account: not the "
                       "agent's (name it with --readiness-azure-identity to check it)")
    if principal is UNKNOWN or not isinstance(principal, str):
        unverified(f"{identity.ref}: its principal id is not known, so its role assignments cannot be matched")
    r.require(azure_set, r.ROLE_ASSIGNMENT, identity.ref)
    assignments = r.role_assignments_of(azure_set, principal)
    for assignment in assignments:
        line, verdict = _assignment(azure_set, assignment)
        if verdict is True:
            j.finding(line + ": too broad for a workload identity")
        elif verdict is None:
            j.unknown.append(line)
        else:
            j.note(line)
    for assignment in r.role_assignments_to_unknown(azure_set):
        line, verdict = _assignment(azure_set, assignment)
        if verdict is not False:
            j.unknown.append(f"role assignment {assignment.name} ({assignment.origin}): {line}, to a principal not "
                             "known before deployment")
    if not assignments:
        j.note("holds no role assignment in the subscription")
    j.verdict("the agent's identity holds roles that can change or hand out access")


def _assignment(resources: ResourceSet, assignment: AzureResource) -> tuple[str, bool | None]:
    """(what the assignment grants, whether that is too broad: None when its role or scope is not known)."""
    scope = assignment.properties.get("scope", "")
    role, broad = r.role_name(resources, assignment.properties.get("roleDefinitionId", ""))
    level = "unknown" if scope is UNKNOWN else r.scope_level(str(scope))
    line = f"{role} at {level} scope {'not known before deployment' if scope is UNKNOWN else scope}"
    if level == "resource" or broad is False:
        return line, False
    return line, None if broad is None or scope is UNKNOWN else True


def _subnet_prefix(subnet: Any) -> str:
    props = subnet.get("properties") if isinstance(subnet, dict) else None
    prefix = props.get("addressPrefix") if isinstance(props, dict) else None
    return "not known before deployment" if UNKNOWN in (subnet, props, prefix) else str(prefix or "not read")


@check("SEC-VNET")
@for_types(r.AKS)
def test_cluster_in_vnet(azure_resource: AzureResource, azure_set: ResourceSet, evidence: Evidence) -> None:
    j = r.Judge(azure_resource, evidence)
    pools = j.value("properties.agentPoolProfiles", default=[])
    for pool in pools if isinstance(pools, list) else []:
        if not isinstance(pool, dict):
            j.unknown.append("a node pool not known before deployment")
            continue
        subnet_id = pool.get("vnetSubnetID")
        if subnet_id is UNKNOWN:
            j.unknown.append(f"node pool {pool.get('name')} vnetSubnetID")
        elif not subnet_id:
            j.finding(f"node pool {pool.get('name')} has no vnetSubnetID: it runs in a VNet AKS manages, not yours")
        else:
            prefix = _subnet_prefix(r.find_subnet(azure_set, str(subnet_id)))
            j.note(f"node pool {pool.get('name')} in subnet {subnet_id} ({prefix})")
    private = j.value("properties.apiServerAccessProfile.enablePrivateCluster", default=False)
    ranges = j.value("properties.apiServerAccessProfile.authorizedIPRanges", default=[])
    if private is True:
        j.note("API server is private (enablePrivateCluster)")
    elif isinstance(ranges, list) and ranges and not {str(x) for x in ranges if x is not UNKNOWN} & r.INTERNET:
        if any(x is UNKNOWN for x in ranges):
            j.unknown.append("an item of properties.apiServerAccessProfile.authorizedIPRanges")
        else:
            j.note(f"API server reachable from authorized IP ranges only: {', '.join(map(str, ranges))}")
    elif private is not UNKNOWN and ranges is not UNKNOWN:
        j.finding("the API server is public to the internet: make it private or set authorizedIPRanges",
                  "properties.apiServerAccessProfile")
    j.verdict("the cluster is not isolated in a VNet of yours")


@check("SEC-PRIVATE-ENDPOINTS")
@for_types(r.OPENAI, r.REDIS, r.STORAGE)
def test_private_endpoint_approved(azure_resource: AzureResource, azure_set: ResourceSet, evidence: Evidence) -> None:
    j = r.Judge(azure_resource, evidence)
    connections = list(r.private_connections(azure_set, azure_resource))
    for endpoint, status in connections:
        shown = "target or state not known before deployment" if status is UNKNOWN else status or "status not reported"
        j.note(f"private endpoint {endpoint.rsplit('/', 1)[-1]}: {shown}")
    undecided = [endpoint for endpoint, status in connections if status is UNKNOWN]
    if not any(status == "Approved" for _, status in connections) and undecided:
        j.unknown.append(f"private endpoint connection(s) of {', '.join(e.rsplit('/', 1)[-1] for e in undecided)}")
    elif not any(status == "Approved" for _, status in connections):
        if not connections:
            r.require(azure_set, r.PRIVATE_ENDPOINT, azure_resource.ref)
        states = ", ".join(s or "?" for _, s in connections) or "none"
        j.finding(f"no approved private endpoint connection (connections: {states})")
    j.verdict("its traffic cannot stay on the private network")


@check("SEC-NO-PUBLIC-ENDPOINTS")
@for_types(r.OPENAI, r.REDIS, r.STORAGE, r.VAULT)
def test_public_network_access_disabled(azure_resource: AzureResource, evidence: Evidence) -> None:
    j = r.Judge(azure_resource, evidence)
    access = j.value(PUBLIC_ACCESS, default="Enabled")
    acl = j.value("properties.networkAcls.defaultAction") if not azure_resource.is_type(r.REDIS) else None
    if access == "Disabled":
        j.note("publicNetworkAccess = 'Disabled'", PUBLIC_ACCESS)
    elif acl == "Deny":
        j.note(f"publicNetworkAccess = {access!r}, but the firewall denies by default (networkAcls.defaultAction)")
    elif access is not UNKNOWN and acl is not UNKNOWN:
        j.finding(f"publicNetworkAccess = {access!r} with no default-deny firewall: reachable from the internet",
                  PUBLIC_ACCESS)
    if azure_resource.is_type(r.STORAGE):
        j.expect("properties.allowBlobPublicAccess", lambda v: v is False, "anonymous blob access is allowed",
                 default=False)
    j.verdict("reachable from the public internet")


@check("SEC-NSG")
@for_types(r.AKS)
def test_subnets_have_strict_nsgs(azure_resource: AzureResource, azure_set: ResourceSet, evidence: Evidence,
                                  readiness_settings: Settings) -> None:
    j = r.Judge(azure_resource, evidence)
    allowed = {int(p) for p in readiness_settings.azure_public_ports if str(p).isdigit()}
    pools = j.value("properties.agentPoolProfiles", default=[])
    subnet_ids = set()
    for pool in pools if isinstance(pools, list) else []:
        subnet_id = pool.get("vnetSubnetID") if isinstance(pool, dict) else UNKNOWN
        if subnet_id is UNKNOWN:
            j.unknown.append("the subnet of a node pool")
        elif isinstance(subnet_id, str) and subnet_id:
            subnet_ids.add(subnet_id)
    if not subnet_ids and not j.unknown:
        unverified(f"{azure_resource.ref} names no subnet of yours (AKS manages its VNet and NSG): see SEC-VNET")
    for subnet_id in sorted(subnet_ids):
        _judge_subnet(j, azure_set, subnet_id, allowed)
    j.verdict("its subnets admit internet traffic beyond the published HTTPS entry")


def _judge_subnet(j: r.Judge, resources: ResourceSet, subnet_id: str, allowed: set[int]) -> None:
    name = subnet_id.rsplit("/", 1)[-1]
    subnet = r.find_subnet(resources, subnet_id)
    if subnet is UNKNOWN:
        j.unknown.append(f"subnet {name} (its VNet's subnets are not known before deployment)")
        return
    if subnet is None:
        r.require(resources, r.VNET, j.resource.ref)
        j.unknown.append(f"subnet {name} (its VNet was not read)")
        return
    props = subnet.get("properties")
    reference = props.get("networkSecurityGroup") if isinstance(props, dict) else (UNKNOWN if props is UNKNOWN
                                                                                  else None)
    nsg_id = reference.get("id") if isinstance(reference, dict) else reference
    if nsg_id is UNKNOWN:
        j.unknown.append(f"the network security group of subnet {name}")
        return
    nsg = resources.by_id(str(nsg_id)) if nsg_id else None
    if not nsg_id:
        j.finding(f"subnet {name} has no network security group")
        return
    if nsg is None:
        r.require(resources, r.NSG, j.resource.ref)
        j.unknown.append(f"NSG {nsg_id} of subnet {name} (not read)")
        return
    for rule in r.nsg_rules(resources, nsg):
        spans, undecided = r.inbound_exposure(rule)
        extra = [s for s in spans if not (s[0] == s[1] and s[0] in allowed)]
        rule_name = "(not known before deployment)" if rule is UNKNOWN else rule.get("name")
        if extra:
            j.finding(f"NSG {nsg.name} rule {rule_name} allows inbound from the internet to port(s) "
                      f"{r.span_text(extra)} (only {', '.join(map(str, sorted(allowed))) or 'none'} may be)")
        elif undecided:
            j.unknown.append(f"NSG {nsg.name} rule {rule_name} (its direction, access, sources or ports)")
    j.note(f"subnet {name} has NSG {nsg.name}")


@check("SEC-AZURE-TLS")
@for_types(r.REDIS, r.STORAGE)
def test_tls_12_enforced(azure_resource: AzureResource, evidence: Evidence) -> None:
    j = r.Judge(azure_resource, evidence)
    if azure_resource.is_type(r.REDIS):
        j.expect("properties.minimumTlsVersion", lambda v: str(v) in ("1.2", "1.3"),
                 "clients may connect with TLS below 1.2")
        j.expect("properties.enableNonSslPort", lambda v: v is False, "the plain-text port 6379 is open",
                 default=False)
    else:
        j.expect("properties.minimumTlsVersion", lambda v: str(v) in ("TLS1_2", "TLS1_3"),
                 "clients may connect with TLS below 1.2")
        j.expect("properties.supportsHttpsTrafficOnly", r.is_true, "plain HTTP is accepted", default=True)
    j.verdict("TLS 1.2+ is not enforced")


@check("SEC-KEYVAULT-PROTECTION")
@for_types(r.VAULT)
def test_vault_protected(azure_resource: AzureResource, evidence: Evidence) -> None:
    j = r.Judge(azure_resource, evidence)
    j.expect("properties.enableSoftDelete", r.is_true, "deleted secrets cannot be recovered", default=True)
    j.expect("properties.enablePurgeProtection", r.is_true, "a deleted vault can be purged at once", default=False)
    j.expect("properties.enableRbacAuthorization", r.is_true, "access policies, not Azure RBAC, grant access",
             default=False)
    j.verdict("the vault's secrets are not protected against deletion and broad access")


@check("SEC-KEYVAULT-PROTECTION")
def test_agent_vault_in_subscription(azure_set: ResourceSet, request: pytest.FixtureRequest,
                                     evidence: Evidence) -> None:
    agent_config: Any = request.getfixturevalue("agent_config")  # after the set: its absence says more
    url = agent_config.get("agent.secrets.keyvault_url")
    if not isinstance(url, str) or not url:
        unverified("config/agent.toml sets no [agent.secrets] keyvault_url to look up (see SEC-KEYVAULT)")
    name = url.split("//", 1)[-1].split(".", 1)[0].lower()
    r.require(azure_set, r.VAULT, "the agent's keyvault_url")
    vaults = azure_set.of_type(r.VAULT)
    match = next((v for v in vaults if v.name.lower() == name or r._same_id(v.properties.get("vaultUri"), url)), None)
    if match is None and any(v.properties.get("vaultUri") is UNKNOWN or not v.name.replace("-", "").isalnum()
                             for v in vaults):
        unverified(f"{url} (config/agent.toml) names vault {name}; a vault in {azure_set.name} has a name or URI not "
                   "known before deployment, so it may be that one")
    if match is not None:
        evidence.add(f"{url} is {match.ref} ({match.origin})")
        return
    evidence.finding(f"{url} (config/agent.toml) names vault {name}, which is not in {azure_set.name} "
                     f"(vaults: {', '.join(v.name for v in vaults) or 'none'})", agent_config.where(
                         "agent.secrets.keyvault_url"))
    evidence.fail_if_findings("the agent's Key Vault is not among the resources read")


@check("COMP-ENCRYPTION-AT-REST")
@for_types(r.STORAGE, r.REDIS, r.OPENAI)
def test_encrypted_at_rest(azure_resource: AzureResource, evidence: Evidence, readiness_settings: Settings) -> None:
    j, policy = r.Judge(azure_resource, evidence), readiness_settings
    if azure_resource.is_type(r.REDIS):
        j.note("Azure Cache for Redis encrypts its persisted data with platform-managed keys (it has no "
               "customer-managed key setting)")
        if policy.azure_require_cmk:
            j.finding("the policy asks for customer-managed keys, which Azure Cache for Redis cannot use")
    else:
        platform = "Microsoft.Storage" if azure_resource.is_type(r.STORAGE) else "Microsoft.CognitiveServices"
        source = j.value("properties.encryption.keySource", default=platform)
        if str(source).lower() == "microsoft.keyvault":
            j.note("customer-managed key from Key Vault", "properties.encryption.keySource")
        elif source is not UNKNOWN:
            j.note(f"platform-managed keys (keySource {source!r})", "properties.encryption.keySource")
            if policy.azure_require_cmk:
                j.finding("the policy asks for customer-managed keys (--readiness-azure-require-cmk)")
    if azure_resource.is_type(r.STORAGE):
        j.expect("properties.encryption.services.blob.enabled", r.is_true, "blob encryption is off", default=True)
        if policy.azure_require_infrastructure_encryption:
            j.expect("properties.encryption.requireInfrastructureEncryption", r.is_true,
                     "the policy asks for infrastructure (double) encryption", default=False)
    j.verdict("data at rest is not encrypted as the policy requires")


@check("OBS-AZURE-LOG-AGGREGATION")
@for_types(r.AKS, r.OPENAI, r.REDIS, r.STORAGE, r.VAULT)
def test_diagnostics_to_log_analytics(azure_resource: AzureResource, azure_set: ResourceSet,
                                      evidence: Evidence) -> None:
    j = r.Judge(azure_resource, evidence)
    r.require(azure_set, r.DIAGNOSTICS, azure_resource.ref)
    settings = r.diagnostic_settings_of(azure_set, azure_resource)
    shipping = [s for s in settings if _workspace(s) not in ("", UNKNOWN) and r.sends_logs(s) is True]
    undecided = [s.name for s in settings
                 if s not in shipping and (_workspace(s) is UNKNOWN or r.sends_logs(s) is None)]
    for setting in settings:
        workspace, logs = _workspace(setting), r.sends_logs(setting)
        target = "a workspace not known" if workspace is UNKNOWN else workspace.rsplit("/", 1)[-1] or "no workspace"
        on = "not known" if logs is None else "on" if logs else "off"
        j.note(f"diagnostic setting {setting.name}: logs {on} to {target}")
    if not shipping and undecided:
        j.unknown.append(f"the workspace or logs of diagnostic setting(s) {', '.join(undecided)}")
    elif not shipping:
        j.finding("no diagnostic setting sends its logs to a Log Analytics workspace")
    j.verdict("its logs do not reach the central log store")


def _workspace(setting: AzureResource) -> Any:
    value = setting.properties.get("workspaceId")
    return value if value is UNKNOWN else str(value or "")


@check("OBS-AZURE-LOG-RETENTION")
@for_types(r.WORKSPACE)
def test_workspace_retention(azure_resource: AzureResource, evidence: Evidence, readiness_settings: Settings) -> None:
    least = readiness_settings.azure_log_retention_days
    j = r.Judge(azure_resource, evidence)
    j.expect("properties.retentionInDays", lambda v: isinstance(v, int) and v >= least,
             f"keeps logs fewer than {least} days (--readiness-azure-log-retention-days)", default=30)
    j.verdict("logs are not kept as long as the policy requires")


@check("OPS-AZURE-DRIFT")
def test_no_drift_from_iac(azure_drift: DeclaredLive, evidence: Evidence) -> None:
    from pytest_readiness.sources.azure.iac.drift import differences

    declared, live = azure_drift.declared, azure_drift.live
    assert declared is not None and live is not None
    found = differences(declared, live)
    evidence.add(f"{declared.ref} ({declared.origin}) compared with {live.id}: {len(found.compared)} declared "
                 "value(s) set against the live ones", declared.origin)
    if found.unknown:
        evidence.add(f"not known before deployment, not compared: {', '.join(found.unknown)}", declared.origin)
    if found.not_shown:
        evidence.add(f"declared but not shown by Azure Resource Manager, not compared: {', '.join(found.not_shown)}",
                     declared.origin)
    for drift in found.drifts:
        evidence.finding(str(drift), drift.where)
    evidence.fail_if_findings(f"{live.id} has drifted from its declaration at {declared.origin}")
    if not found.compared:
        unverified(f"{declared.ref} ({declared.origin}): no declared value could be compared with {live.id}")
