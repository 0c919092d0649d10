"""Helpers the Azure checks share: reading a property honestly (unknown, provider default), and the relations
between resources (subnets, NSG rules, private endpoints, federated credentials, role assignments, diagnostic
settings). They read the resource model only, so they work on live and declared resources alike."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final

from pytest_readiness.api import Evidence, Unverified
from pytest_readiness.sources.azure.model import UNKNOWN, AzureResource, ResourceSet

AKS: Final = "Microsoft.ContainerService/managedClusters"
OPENAI: Final = "Microsoft.CognitiveServices/accounts"
REDIS: Final = "Microsoft.Cache/redis"
STORAGE: Final = "Microsoft.Storage/storageAccounts"
VAULT: Final = "Microsoft.KeyVault/vaults"
VNET: Final = "Microsoft.Network/virtualNetworks"
SUBNET: Final = "Microsoft.Network/virtualNetworks/subnets"
NSG: Final = "Microsoft.Network/networkSecurityGroups"
NSG_RULE: Final = "Microsoft.Network/networkSecurityGroups/securityRules"
PRIVATE_ENDPOINT: Final = "Microsoft.Network/privateEndpoints"
IDENTITY: Final = "Microsoft.ManagedIdentity/userAssignedIdentities"
FEDERATED: Final = "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials"
ROLE_ASSIGNMENT: Final = "Microsoft.Authorization/roleAssignments"
ROLE_DEFINITION: Final = "Microsoft.Authorization/roleDefinitions"
DIAGNOSTICS: Final = "Microsoft.Insights/diagnosticSettings"
WORKSPACE: Final = "Microsoft.OperationalInsights/workspaces"
MISSING: Final = object()
K8S_SUBJECT: Final = "system:serviceaccount:"
BROAD_ROLES: Final = {  # built-in role definition ids (the same in every tenant)
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "18d7d88d-d35e-4fb1-a5c3-5773c20ae79b": "User Access Administrator",
    "f58310d9-a9f6-439a-9e8d-f62e7b41a168": "Role Based Access Control Administrator",
}
INTERNET: Final = {"*", "internet", "any", "0.0.0.0/0", "::/0", "0.0.0.0"}


def is_true(value: Any) -> bool:
    return value is True


class Judge:
    """Reads one resource's properties for a check: an unknown value makes the check unverified (never
    passed), a provider default that decided is named in the evidence, findings fail it."""

    def __init__(self, resource: AzureResource, evidence: Evidence) -> None:
        self.resource = resource
        self.evidence = evidence
        self.unknown: list[str] = []

    def value(self, path: str, default: Any = MISSING) -> Any:
        value = self.resource.get(path)
        where = self.resource.location_of(path)
        if value is UNKNOWN:
            self.unknown.append(path)
            return UNKNOWN
        note = self.resource.defaults.get(path)
        if note:
            self.evidence.add(f"{self.resource.ref}: {path} decided by a provider default ({note})", where)
        if value is None and default is not MISSING:
            self.evidence.add(f"{self.resource.ref}: {path} not set: ARM's default {default!r} applies", where)
            return default
        return value

    def expect(self, path: str, ok: Callable[[Any], bool], problem: str, default: Any = MISSING) -> bool | None:
        """Whether the property satisfies `ok` (None when unknown); a finding says `problem` otherwise."""
        value = self.value(path, default)
        if value is UNKNOWN:
            return None
        where = self.resource.location_of(path)
        if ok(value):
            self.evidence.add(f"{self.resource.ref}: {path} = {_show(value)}", where)
            return True
        self.evidence.finding(f"{self.resource.ref}: {path} = {_show(value)}: {problem}", where)
        return False

    def finding(self, text: str, path: str = "") -> None:
        self.evidence.finding(f"{self.resource.ref}: {text}", self.resource.location_of(path))

    def note(self, text: str, path: str = "") -> None:
        self.evidence.add(f"{self.resource.ref}: {text}", self.resource.location_of(path))

    def verdict(self, summary: str) -> None:
        """Fail on findings; else unverified when a value that decides was unknown; else pass."""
        self.evidence.fail_if_findings(f"{self.resource.ref} ({self.resource.origin}): {summary}")
        if self.unknown:
            raise Unverified(f"{self.resource.ref}: {', '.join(self.unknown)} not known before deployment "
                             "(an expression or reference the reader could not resolve)")


def _show(value: Any) -> str:
    return "not set" if value is None else repr(value)


def require(resources: ResourceSet, rtype: str, needed_for: str) -> None:
    """Unverified when `rtype` could not be listed (a 403 proves no absence)."""
    if rtype in resources.unreadable:
        raise Unverified(f"{resources.unreadable[rtype]} ({rtype} is needed to check {needed_for})")


def _same_id(a: Any, b: Any) -> bool:
    return isinstance(a, str) and isinstance(b, str) and a.rstrip("/").lower() == b.rstrip("/").lower()


def _items(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def _props(item: Mapping[str, Any]) -> Mapping[str, Any]:
    props = item.get("properties")
    return props if isinstance(props, Mapping) else item


# --- network ------------------------------------------------------------------------------------

def find_subnet(resources: ResourceSet, subnet_id: str) -> Mapping[str, Any] | None:
    """The subnet (its REST body) with this id, embedded in a VNet or a resource of its own."""
    for vnet in resources.of_type(VNET):
        for subnet in _items(vnet.properties.get("subnets")):
            if _same_id(subnet.get("id"), subnet_id):
                return subnet
    own = resources.by_id(subnet_id)
    return {"id": own.id, "name": own.name, "properties": own.properties} if own is not None else None


def nsg_rules(resources: ResourceSet, nsg: AzureResource) -> list[Mapping[str, Any]]:
    """The NSG's own security rules (embedded, or declared as child resources); default rules excluded."""
    rules = list(_items(nsg.properties.get("securityRules")))
    prefix = nsg.id.lower() + "/securityrules/"
    rules += [{"name": r.name, "id": r.id, "properties": r.properties} for r in resources.of_type(NSG_RULE)
              if r.id.lower().startswith(prefix)]
    return rules


def _ports(rule: Mapping[str, Any]) -> list[tuple[int, int]]:
    props = _props(rule)
    ranges = [props.get("destinationPortRange"), *(props.get("destinationPortRanges") or [])]
    spans = []
    for text in (str(r).strip() for r in ranges if r not in (None, "")):
        if text == "*":
            spans.append((0, 65535))
        elif "-" in text:
            low, _, high = text.partition("-")
            spans.append((int(low), int(high)))
        elif text.isdigit():
            spans.append((int(text), int(text)))
    return spans


def internet_inbound_ports(rule: Mapping[str, Any]) -> list[tuple[int, int]]:
    """The port ranges an inbound Allow rule opens to the internet ([] if it is not such a rule)."""
    props = _props(rule)
    if str(props.get("direction", "")).lower() != "inbound" or str(props.get("access", "")).lower() != "allow":
        return []
    sources = [props.get("sourceAddressPrefix"), *(props.get("sourceAddressPrefixes") or [])]
    if not any(str(s).strip().lower() in INTERNET for s in sources if s is not None):
        return []
    return _ports(rule)


def span_text(spans: list[tuple[int, int]]) -> str:
    return ", ".join(str(a) if a == b else ("*" if (a, b) == (0, 65535) else f"{a}-{b}") for a, b in spans)


# --- private endpoints ----------------------------------------------------------------------------

def private_connections(resources: ResourceSet, resource: AzureResource) -> Iterator[tuple[str, str]]:
    """(private endpoint id, connection status) of every private endpoint connection to `resource`: those the
    resource lists, and those private endpoints in the set declare towards it."""
    seen: set[str] = set()
    for connection in _items(resource.properties.get("privateEndpointConnections")):
        props = _props(connection)
        endpoint_id = str((props.get("privateEndpoint") or {}).get("id", connection.get("id", "")))
        status = str((props.get("privateLinkServiceConnectionState") or {}).get("status", ""))
        seen.add(endpoint_id.lower())
        yield endpoint_id, status
    for endpoint in resources.of_type(PRIVATE_ENDPOINT):
        if endpoint.id.lower() in seen:
            continue
        for key in ("privateLinkServiceConnections", "manualPrivateLinkServiceConnections"):
            for connection in _items(endpoint.properties.get(key)):
                props = _props(connection)
                if _same_id(props.get("privateLinkServiceId"), resource.id):
                    state = props.get("privateLinkServiceConnectionState") or {}
                    status = state.get("status", "") if isinstance(state, Mapping) else ""
                    yield endpoint.id, str(status or ("Approved" if not endpoint.live and key.startswith("private")
                                                      else "Pending"))


# --- identities and roles -------------------------------------------------------------------------

def federated_credentials(resources: ResourceSet, identity: AzureResource | None = None) -> list[AzureResource]:
    found = resources.of_type(FEDERATED)
    if identity is None:
        return found
    prefix = identity.id.lower() + "/federatedidentitycredentials/"
    return [c for c in found if c.id.lower().startswith(prefix)]


def identity_of_credential(credential: AzureResource) -> str:
    return credential.id.split("/federatedIdentityCredentials/")[0].rsplit("/", 1)[-1]


def role_name(resources: ResourceSet, definition_id: str) -> tuple[str, bool]:
    """(name, broad) of a role definition: broad when it is Owner/Contributor/User Access Administrator or a
    custom role that may do everything (`*`) or manage access (`Microsoft.Authorization/*`)."""
    guid = definition_id.rstrip("/").rsplit("/", 1)[-1].lower()
    if guid in BROAD_ROLES:
        return BROAD_ROLES[guid], True
    definition = next((d for d in resources.of_type(ROLE_DEFINITION) if d.name.lower() == guid), None)
    if definition is None:
        return f"role {guid}", False
    actions = [a for p in _items(definition.properties.get("permissions")) for a in p.get("actions") or []]
    broad = any(a in ("*", "Microsoft.Authorization/*", "Microsoft.Authorization/roleAssignments/write")
                for a in actions)
    return str(definition.properties.get("roleName") or guid), broad


def scope_level(scope: str, subscription_hint: str = "") -> str:
    """'root', 'management group', 'subscription', 'resource group' or 'resource'."""
    parts = [p.lower() for p in scope.strip("/").split("/") if p]
    if not parts:
        return "root"
    if parts[:3] == ["providers", "microsoft.management", "managementgroups"]:
        return "management group"
    if parts[0] == "subscriptions":
        return {2: "subscription", 4: "resource group"}.get(len(parts), "resource")
    return "resource"


def role_assignments_of(resources: ResourceSet, principal_id: str) -> list[AzureResource]:
    return [a for a in resources.of_type(ROLE_ASSIGNMENT)
            if str(a.properties.get("principalId", "")).lower() == principal_id.lower()]


# --- diagnostics --------------------------------------------------------------------------------------

def diagnostic_settings_of(resources: ResourceSet, resource: AzureResource) -> list[AzureResource]:
    """Diagnostic settings on the resource (for a Storage account: on its blob service, where its logs are)."""
    scopes = [resource.id.lower()]
    if resource.is_type(STORAGE):
        scopes.append(resource.id.lower() + "/blobservices/default")
    found = []
    for setting in resources.of_type(DIAGNOSTICS):
        scope, _, _ = setting.id.lower().partition("/providers/microsoft.insights/diagnosticsettings/")
        if scope in scopes:
            found.append(setting)
    return found


def sends_logs(setting: AzureResource) -> bool:
    return any(log.get("enabled") is True for log in _items(setting.properties.get("logs")))
