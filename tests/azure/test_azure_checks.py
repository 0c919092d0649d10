"""Each Azure check on realistic resource JSON served by the ARM emulator and read by the real clients:
the healthy agent stack passes every one; one changed property fails (or unverifies) exactly the check it
belongs to, with the resource and the property in the message."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from pytest_readiness.catalog import load_catalog
from tests.azure.conftest import RunAzure
from tests.emulators import arm_resources as res

Obj = dict[str, Any]
AKS = "Microsoft.ContainerService/managedClusters/aks-agent"
OAI = "Microsoft.CognitiveServices/accounts/oai-agent-prod"
REDIS = "Microsoft.Cache/redis/agent-cache"
STORAGE = "Microsoft.Storage/storageAccounts/stagentsessions"
VAULT = "Microsoft.KeyVault/vaults/kv-agent-prod"
IDENTITY = "Microsoft.ManagedIdentity/userAssignedIdentities/id-msft-agent"
WORKSPACE = "Microsoft.OperationalInsights/workspaces/log-agent-prod"
DRIFT = "OPS-AZURE-DRIFT"  # needs the repo's IaC as well: tests/azure/test_drift_check.py
AZURE_CHECKS = sorted(c.id for c in load_catalog().values() if c.verify == "azure" and c.id != DRIFT)
AGENT_CONFIG = {"config/agent.toml": '[agent.secrets]\nkeyvault_url = "https://kv-agent-prod.vault.azure.net/"\n'}


def test_healthy_stack_passes_every_azure_check(run_azure: RunAzure) -> None:
    run = run_azure(None, "-m", "azure", files=AGENT_CONFIG)
    azure = {k: v for k, v in run.statuses.items() if k.split("[")[0] in AZURE_CHECKS}
    assert azure and set(azure.values()) == {"passed"}, {k: v for k, v in azure.items() if v != "passed"}
    assert {k.split("[")[0] for k in azure} == set(AZURE_CHECKS)
    assert run.status(f"SEC-PRIVATE-ENDPOINTS[{REDIS}]") == "passed"
    assert run.status("SEC-KEYVAULT-PROTECTION[azure:" + res.SUB + "]") == "passed"
    assert "GET requests to Azure Resource Manager" in run.output
    assert run.of_check(DRIFT) == {f"{DRIFT}[no-iac]": "unverified"}
    junit = run.junit
    assert "identity id-msft-agent trusts system:serviceaccount:msft-agent:msft-agent" in junit
    assert "Cognitive Services OpenAI User at resource scope" in junit  # role assignments as evidence
    assert "platform-managed keys" in junit  # encryption: platform keys pass, with the evidence


def edit(name: str, change: Callable[[Obj], None]) -> Callable[[list[Obj]], list[Obj]]:
    def apply(resources: list[Obj]) -> list[Obj]:
        change(res.by_name(resources, name))
        return resources
    return apply


def drop(predicate: Callable[[Obj], bool]) -> Callable[[list[Obj]], list[Obj]]:
    return lambda resources: [r for r in resources if not predicate(r)]


def props(**values: Any) -> Callable[[Obj], None]:
    def change(body: Obj) -> None:
        for key, value in values.items():
            if value is None:
                body["properties"].pop(key, None)
            else:
                body["properties"][key] = value
    return change


def add(*bodies: Obj) -> Callable[[list[Obj]], list[Obj]]:
    return lambda resources: [*resources, *bodies]


@dataclass(frozen=True)
class Case:
    key: str
    change: Callable[[list[Obj]], list[Obj]]
    status: str
    fragment: str
    args: tuple[str, ...] = ()


def _no_workload_identity(body: Obj) -> None:
    body["properties"]["securityProfile"]["workloadIdentity"]["enabled"] = False


def _service_principal(body: Obj) -> None:
    body.pop("identity")
    body["properties"]["servicePrincipalProfile"] = {"clientId": "c0ffee00-1111-2222-3333-444455556666"}


def _pool(**values: Any) -> Callable[[Obj], None]:
    def change(body: Obj) -> None:
        for key, value in values.items():
            body["properties"]["agentPoolProfiles"][0].pop(key) if value is None else \
                body["properties"]["agentPoolProfiles"][0].update({key: value})
    return change


def _public_api_server(body: Obj) -> None:
    body["properties"]["apiServerAccessProfile"] = {"enablePrivateCluster": False}


def _connection_status(status: str) -> Callable[[Obj], None]:
    def change(body: Obj) -> None:
        body["properties"]["privateEndpointConnections"][0]["properties"][
            "privateLinkServiceConnectionState"]["status"] = status
    return change


def _subnet_nsg(subnet: str, nsg: str | None) -> Callable[[Obj], None]:
    def change(body: Obj) -> None:
        entry = next(s for s in body["properties"]["subnets"] if s["name"] == subnet)
        if nsg is None:
            entry["properties"].pop("networkSecurityGroup")
        else:
            entry["properties"]["networkSecurityGroup"] = {"id": res.rid("Microsoft.Network/networkSecurityGroups",
                                                                         nsg)}
    return change


def _rules(*rules: Obj) -> Callable[[Obj], None]:
    return lambda body: body["properties"]["securityRules"].extend(rules)


def _redis_pe(resources: list[Obj]) -> list[Obj]:
    return [r for r in resources if r["name"] != "pe-agent-cache"]


def _logs_off(resources: list[Obj]) -> list[Obj]:
    for body in resources:
        if body["id"].startswith(res.rid("Microsoft.Cache/Redis", "agent-cache") + "/providers/"):
            body["properties"]["logs"][0]["enabled"] = False
    return resources


CASES = [
    Case(f"SEC-MANAGED-IDENTITY[{AKS}]", edit("aks-agent", _no_workload_identity), "failed",
         "securityProfile.workloadIdentity.enabled = False: workload identity is off"),
    Case(f"SEC-MANAGED-IDENTITY[{AKS}]", edit("aks-agent", _service_principal), "failed",
         "identity.type = not set: the cluster runs with a service principal"),
    Case(f"SEC-MANAGED-IDENTITY[{AKS}]",
         edit("aks-msft-agent", props(subject="repo:contoso/agent:ref:refs/heads/main")),
         "failed", "no user-assigned identity has a federated credential for a service account of this cluster"),
    Case(f"SEC-MANAGED-IDENTITY[{AKS}]", edit("aks-msft-agent", props(issuer="https://oidc.example.invalid/other/")),
         "failed", "no user-assigned identity has a federated credential for a service account of this cluster"),
    Case(f"SEC-OPENAI-KEYLESS[{OAI}]", edit("oai-agent-prod", props(disableLocalAuth=None)), "failed",
         "properties.disableLocalAuth not set: ARM's default False applies"),
    Case(f"SEC-SP-SCOPED[{IDENTITY}]", add(res.role_assignment("9e1d0c3b-2222-4b4b-9d9d-000000000003",
                                                               res.AGENT_PRINCIPAL, res.CONTRIBUTOR,
                                                               f"/subscriptions/{res.SUB}")), "failed",
         f"Contributor at subscription scope /subscriptions/{res.SUB}: too broad"),
    Case(f"SEC-SP-SCOPED[{IDENTITY}]", add(res.role_assignment("9e1d0c3b-2222-4b4b-9d9d-000000000004",
                                                               res.AGENT_PRINCIPAL, res.OWNER,
                                                               f"/subscriptions/{res.SUB}/resourceGroups/{res.RG}")),
         "failed", "Owner at resource group scope"),
    Case(f"SEC-VNET[{AKS}]", edit("aks-agent", _pool(vnetSubnetID=None)), "failed",
         "node pool nodepool1 has no vnetSubnetID"),
    Case(f"SEC-VNET[{AKS}]", edit("aks-agent", _public_api_server), "failed", "the API server is public"),
    Case(f"SEC-PRIVATE-ENDPOINTS[{REDIS}]",
         lambda rs: _redis_pe(edit("agent-cache", _connection_status("Pending"))(rs)),
         "failed", "no approved private endpoint connection (connections: Pending)"),
    Case(f"SEC-PRIVATE-ENDPOINTS[{STORAGE}]",
         lambda rs: drop(lambda r: r["name"] == "pe-stagentsessions")(
             edit("stagentsessions", props(privateEndpointConnections=[]))(rs)),
         "failed", "no approved private endpoint connection (connections: none)"),
    # the account lists no connection, but an approved private endpoint points at it: passes
    Case(f"SEC-PRIVATE-ENDPOINTS[{STORAGE}]", edit("stagentsessions", props(privateEndpointConnections=[])),
         "passed", ""),
    Case(f"SEC-NO-PUBLIC-ENDPOINTS[{VAULT}]", edit("kv-agent-prod", props(
        publicNetworkAccess="Enabled", networkAcls={"bypass": "AzureServices", "defaultAction": "Allow"})),
         "failed", "publicNetworkAccess = 'Enabled' with no default-deny firewall"),
    Case(f"SEC-NO-PUBLIC-ENDPOINTS[{OAI}]", edit("oai-agent-prod", props(publicNetworkAccess=None, networkAcls=None)),
         "failed", "properties.publicNetworkAccess not set: ARM's default 'Enabled' applies"),
    Case(f"SEC-NO-PUBLIC-ENDPOINTS[{STORAGE}]", edit("stagentsessions", props(allowBlobPublicAccess=True)),
         "failed", "allowBlobPublicAccess = True: anonymous blob access is allowed"),
    Case(f"SEC-NO-PUBLIC-ENDPOINTS[{STORAGE}]", edit("stagentsessions", props(publicNetworkAccess="Enabled")),
         "passed", ""),  # networkAcls.defaultAction Deny still keeps it closed
    Case(f"SEC-NSG[{AKS}]", edit("nsg-aks", _rules(res.nsg_rule("nsg-aks", "ssh", port="22", priority=200))),
         "failed", "rule ssh allows inbound from the internet to port(s) 22"),
    Case(f"SEC-NSG[{AKS}]", edit("nsg-aks", _rules(res.nsg_rule("nsg-aks", "any", port="*", source="*",
                                                                priority=300))),
         "failed", "rule any allows inbound from the internet to port(s) *"),
    Case(f"SEC-NSG[{AKS}]", edit("nsg-aks", _rules(res.nsg_rule("nsg-aks", "vnet-ssh", port="22",
                                                                source="VirtualNetwork", priority=200))),
         "passed", ""),
    Case(f"SEC-NSG[{AKS}]", edit("vnet-agent", _subnet_nsg("snet-aks", None)), "failed",
         "subnet snet-aks has no network security group"),
    Case(f"SEC-AZURE-TLS[{REDIS}]", edit("agent-cache", props(minimumTlsVersion="1.0", enableNonSslPort=True)),
         "failed", "minimumTlsVersion = '1.0': clients may connect with TLS below 1.2"),
    Case(f"SEC-AZURE-TLS[{STORAGE}]", edit("stagentsessions", props(supportsHttpsTrafficOnly=False)), "failed",
         "supportsHttpsTrafficOnly = False: plain HTTP is accepted"),
    Case(f"SEC-AZURE-TLS[{STORAGE}]", edit("stagentsessions", props(minimumTlsVersion="TLS1_0")), "failed",
         "minimumTlsVersion = 'TLS1_0'"),
    Case(f"SEC-KEYVAULT-PROTECTION[{VAULT}]", edit("kv-agent-prod", props(enablePurgeProtection=None)), "failed",
         "enablePurgeProtection not set: ARM's default False applies"),
    Case(f"SEC-KEYVAULT-PROTECTION[{VAULT}]", edit("kv-agent-prod", props(enableRbacAuthorization=False)),
         "failed", "access policies, not Azure RBAC"),
    Case(f"COMP-ENCRYPTION-AT-REST[{STORAGE}]", lambda rs: rs, "failed",
         "the policy asks for customer-managed keys", ("--readiness-azure-require-cmk",)),
    Case(f"COMP-ENCRYPTION-AT-REST[{REDIS}]", lambda rs: rs, "failed",
         "Azure Cache for Redis cannot use", ("--readiness-azure-require-cmk",)),
    Case(f"COMP-ENCRYPTION-AT-REST[{OAI}]", edit("oai-agent-prod", props(encryption={
        "keySource": "Microsoft.KeyVault", "keyVaultProperties": {"keyName": "cmk", "keyVaultUri":
                                                                   "https://kv-agent-prod.vault.azure.net/"}})),
         "passed", "", ("--readiness-azure-require-cmk",)),
    Case(f"COMP-ENCRYPTION-AT-REST[{STORAGE}]", lambda rs: rs, "failed",
         "infrastructure (double) encryption", ("--readiness-azure-require-infrastructure-encryption",)),
    Case(f"OBS-AZURE-LOG-AGGREGATION[{REDIS}]",
         drop(lambda r: r["type"] == "Microsoft.Insights/diagnosticSettings" and "agent-cache" in r["id"]),
         "failed", "no diagnostic setting sends its logs"),
    Case(f"OBS-AZURE-LOG-AGGREGATION[{REDIS}]", _logs_off, "failed", "no diagnostic setting sends its logs"),
    Case(f"OBS-AZURE-LOG-RETENTION[{WORKSPACE}]", lambda rs: rs, "failed", "keeps logs fewer than 180 days",
         ("--readiness-azure-log-retention-days=180",)),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.key.split('[')[0]}-{i}" for i, c in enumerate(CASES)])
def test_one_change_decides_one_check(run_azure: RunAzure, case: Case) -> None:
    run = run_azure(case.change(res.agent_stack()), "-m", "azure", *case.args)
    assert run.status(case.key) == case.status, run.messages.get(case.key, run.output[-3000:])
    assert case.fragment in run.messages[case.key]
    others = {k: v for k, v in run.of_check(case.key.split("[")[0]).items() if k != case.key}
    if case.status == "failed":  # the other resources of that check are not dragged down
        assert "failed" not in others.values() or case.key.startswith("COMP-"), others


def test_vault_named_by_the_agent_config_must_be_in_the_subscription(run_azure: RunAzure) -> None:
    files = {"config/agent.toml": '[agent.secrets]\nkeyvault_url = "https://kv-other-team.vault.azure.net/"\n'}
    run = run_azure(None, "-m", "azure", files=files)
    key = f"SEC-KEYVAULT-PROTECTION[azure:{res.SUB}]"
    assert run.status(key) == "failed"
    assert "names vault kv-other-team, which is not in azure:" in run.messages[key]
    assert "config/agent.toml:2" in run.messages[key]


def test_manifests_name_the_service_account_the_credential_must_trust(run_azure: RunAzure) -> None:
    deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: msft-agent, namespace: msft-agent}
        spec:
          selector: {matchLabels: {app: msft-agent}}
          template:
            metadata: {labels: {app: msft-agent, azure.workload.identity/use: "true"}}
            spec:
              serviceAccountName: agent-runtime
              containers: [{name: agent, image: contosoacr.azurecr.io/msft-agent:1.4.2}]
    """
    run = run_azure(None, "-m", "azure", files={"deployment/kubernetes/deployment.yaml": deployment})
    key = f"SEC-MANAGED-IDENTITY[{AKS}]"
    assert run.status(key) == "failed"
    assert "no federated credential for system:serviceaccount:msft-agent:agent-runtime" in run.messages[key]


def test_identity_without_federation_is_not_the_agents_unless_named(run_azure: RunAzure) -> None:
    stack = [*res.agent_stack(), res.identity("id-ci-deployer", principal="aa11bb22-0000-4c4c-8e8e-000000000009",
                                              client="bb22cc33-0000-4c4c-8e8e-00000000000a"),
             res.role_assignment("9e1d0c3b-2222-4b4b-9d9d-000000000005", "aa11bb22-0000-4c4c-8e8e-000000000009",
                                 res.OWNER, f"/subscriptions/{res.SUB}")]
    key = "SEC-SP-SCOPED[Microsoft.ManagedIdentity/userAssignedIdentities/id-ci-deployer]"
    run = run_azure(stack, "-m", "azure")
    assert run.status(key) == "not_applicable", run.messages.get(key)
    named = run_azure([], "-m", "azure", "--readiness-azure-identity=id-ci-deployer")
    assert named.status(key) == "failed"
    assert "Owner at subscription scope" in named.messages[key]


def test_a_failure_is_waivable_per_resource(run_azure: RunAzure) -> None:
    stack = res.agent_stack()
    for name in ("agent-cache", "stagentsessions"):
        res.by_name(stack, name)["properties"]["publicNetworkAccess"] = "Enabled"
    res.by_name(stack, "stagentsessions")["properties"]["networkAcls"]["defaultAction"] = "Allow"
    waiver = """
        [[waiver]]
        check = "SEC-NO-PUBLIC-ENDPOINTS"
        object = "Microsoft.Cache/redis/agent-cache"
        justification = "Public until the hub VNet peering lands (NET-311)."
        approver = "Daniel Fischer (Principal architect)"
        expires = 2099-12-31
    """
    run = run_azure(stack, "-m", "azure", files={"readiness.toml": waiver})
    assert run.status(f"SEC-NO-PUBLIC-ENDPOINTS[{REDIS}]") == "waived"
    assert run.status(f"SEC-NO-PUBLIC-ENDPOINTS[{STORAGE}]") == "failed"


def test_an_organisations_own_check_takes_azure_resource(run_azure: RunAzure) -> None:
    conftest = '''
        from pytest_readiness import Evidence, check
        from pytest_readiness.sources.azure.fixtures import for_types
        from pytest_readiness.sources.azure.model import AzureResource

        @check("ORG-REDIS-ZONES", title="Redis is zone redundant", category="reliability", verify="azure")
        @for_types("Microsoft.Cache/redis", "Microsoft.Storage/storageAccounts")
        def test_zone_redundant(azure_resource: AzureResource, evidence: Evidence) -> None:
            policy = azure_resource.get("properties.zonalAllocationPolicy")
            evidence.add(f"{azure_resource.ref}: zonalAllocationPolicy {policy}", azure_resource.origin)
            assert policy == "Automatic", f"{azure_resource.id}: not zone redundant"
    '''
    run = run_azure(None, "-m", "azure", files={"conftest.py": conftest})
    assert run.status(f"ORG-REDIS-ZONES[{REDIS}]") == "passed"
    assert run.status(f"ORG-REDIS-ZONES[{STORAGE}]") == "failed"
    assert f"{res.rid('Microsoft.Storage/storageAccounts', 'stagentsessions')}: not zone redundant" in run.messages[
        f"ORG-REDIS-ZONES[{STORAGE}]"]
