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
    """The mapping items of a known list (absent or not a list: none). Where the value may be unknown, use
    `items_or_unknown`: an unknown list is not an empty one."""
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def items_or_unknown(value: Any) -> list[Any]:
    """The items of a list, UNKNOWN standing for the whole list when it is unknown and for each item that is;
    absent (None) is no items."""
    if value is UNKNOWN:
        return [UNKNOWN]
    if isinstance(value, list):
        return [v if isinstance(v, Mapping) or v is UNKNOWN else UNKNOWN for v in value]
    return [] if value is None else [UNKNOWN]


def _strings(*values: Any) -> tuple[list[str], bool]:
    """Known non-empty strings among values and lists of values, and whether any was unknown."""
    found, unknown = [], False
    for value in values:
        for item in (value if isinstance(value, list) else [value]):
            if item is UNKNOWN:
                unknown = True
            elif item not in (None, ""):
                found.append(str(item).strip())
    return found, unknown


def _props(item: Mapping[str, Any]) -> Any:
    """An item's `properties` (ARM's REST shape), the item itself when it has none, UNKNOWN when unknown."""
    props = item.get("properties")
    if props is UNKNOWN:
        return UNKNOWN
    return props if isinstance(props, Mapping) else item


# --- network ------------------------------------------------------------------------------------

def find_subnet(resources: ResourceSet, subnet_id: str) -> Any:
    """The subnet (its REST body) with this id, embedded in a VNet or a resource of its own; None when it is in
    none of them, UNKNOWN when a VNet whose subnets are unknown may hold it."""
    undecided = False
    for vnet in resources.of_type(VNET):
        for subnet in items_or_unknown(vnet.properties.get("subnets")):
            if subnet is UNKNOWN or subnet.get("id") is UNKNOWN:
                undecided = undecided or _same_id(vnet.id, subnet_id.rsplit("/subnets/", 1)[0])
            elif _same_id(subnet.get("id"), subnet_id):
                return subnet
    own = resources.by_id(subnet_id)
    if own is not None:
        return {"id": own.id, "name": own.name, "properties": own.properties}
    return UNKNOWN if undecided else None


def nsg_rules(resources: ResourceSet, nsg: AzureResource) -> list[Any]:
    """The NSG's own security rules (embedded, or declared as child resources); default rules excluded.
    UNKNOWN stands for rules nobody resolved (a Terraform `dynamic` block, an ARM expression)."""
    rules: list[Any] = items_or_unknown(nsg.properties.get("securityRules"))
    prefix = nsg.id.lower() + "/securityrules/"
    rules += [{"name": r.name, "id": r.id, "properties": r.properties} for r in resources.of_type(NSG_RULE)
              if r.id.lower().startswith(prefix)]
    return rules


def _ports(props: Mapping[str, Any]) -> tuple[list[tuple[int, int]], bool]:
    """The destination port spans, and whether any was unknown (or unreadable)."""
    texts, unknown = _strings(props.get("destinationPortRange"), props.get("destinationPortRanges"))
    spans = []
    for text in texts:
        low, _, high = text.partition("-")
        if text == "*":
            spans.append((0, 65535))
        elif low.strip().isdigit() and (not high or high.strip().isdigit()):
            spans.append((int(low), int(high or low)))
        else:
            unknown = True
    return spans, unknown


def inbound_exposure(rule: Any) -> tuple[list[tuple[int, int]], bool]:
    """(the port spans an inbound Allow rule surely opens to the internet, whether the rule may open more than
    that): a rule whose direction, access, sources or ports are unknown may."""
    if rule is UNKNOWN or _props(rule) is UNKNOWN:
        return [], True
    props = _props(rule)
    direction, access = props.get("direction", ""), props.get("access", "")
    if (direction is not UNKNOWN and str(direction).lower() != "inbound") or (
            access is not UNKNOWN and str(access).lower() != "allow"):
        return [], False
    sources, sources_unknown = _strings(props.get("sourceAddressPrefix"), props.get("sourceAddressPrefixes"))
    internet = any(s.lower() in INTERNET for s in sources)
    if not internet:
        return [], sources_unknown
    spans, ports_unknown = _ports(props)
    if direction is UNKNOWN or access is UNKNOWN:
        return [], True
    return spans, ports_unknown


def internet_inbound_ports(rule: Mapping[str, Any]) -> list[tuple[int, int]]:
    """The port ranges an inbound Allow rule surely opens to the internet ([] if it is not such a rule)."""
    return inbound_exposure(rule)[0]


def span_text(spans: list[tuple[int, int]]) -> str:
    return ", ".join(str(a) if a == b else ("*" if (a, b) == (0, 65535) else f"{a}-{b}") for a, b in spans)


# --- private endpoints ----------------------------------------------------------------------------

def private_connections(resources: ResourceSet, resource: AzureResource) -> Iterator[tuple[str, Any]]:
    """(private endpoint id, connection status) of every private endpoint connection to `resource`: those the
    resource lists, and those private endpoints in the set declare towards it. The status is UNKNOWN where the
    connection, its target or its state is not known (an endpoint whose target is unknown may point here)."""
    seen: set[str] = set()
    for connection in items_or_unknown(resource.properties.get("privateEndpointConnections")):
        props = UNKNOWN if connection is UNKNOWN else _props(connection)
        if props is UNKNOWN:
            yield "a connection not known before deployment", UNKNOWN
            continue
        endpoint = props.get("privateEndpoint")
        endpoint_id = endpoint.get("id") if isinstance(endpoint, Mapping) else None
        endpoint_id = str(connection.get("id", "")) if endpoint_id in (None, UNKNOWN) else str(endpoint_id)
        state = props.get("privateLinkServiceConnectionState")
        status = state.get("status", "") if isinstance(state, Mapping) else (UNKNOWN if state is UNKNOWN else "")
        seen.add(endpoint_id.lower())
        yield endpoint_id, (UNKNOWN if status is UNKNOWN else str(status))
    for endpoint in resources.of_type(PRIVATE_ENDPOINT):
        if endpoint.id.lower() in seen:
            continue
        for key in ("privateLinkServiceConnections", "manualPrivateLinkServiceConnections"):
            for connection in items_or_unknown(endpoint.properties.get(key)):
                props = UNKNOWN if connection is UNKNOWN else _props(connection)
                target = UNKNOWN if props is UNKNOWN else props.get("privateLinkServiceId")
                if target is UNKNOWN:
                    yield endpoint.id, UNKNOWN
                    continue
                if _same_id(target, resource.id):
                    state = props.get("privateLinkServiceConnectionState")
                    status = state.get("status", "") if isinstance(state, Mapping) else ""
                    if status is UNKNOWN or state is UNKNOWN:
                        yield endpoint.id, UNKNOWN
                        continue
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


def role_name(resources: ResourceSet, definition_id: Any) -> tuple[str, bool | None]:
    """(name, broad) of a role definition: broad when it is Owner/Contributor/User Access Administrator or a
    custom role that may do everything (`*`) or manage access (`Microsoft.Authorization/*`); None when the
    role or its permissions are not known."""
    if definition_id is UNKNOWN:
        return "a role not known before deployment", None
    guid = str(definition_id).rstrip("/").rsplit("/", 1)[-1].lower()
    if guid in BROAD_ROLES:
        return BROAD_ROLES[guid], True
    definition = next((d for d in resources.of_type(ROLE_DEFINITION) if d.name.lower() == guid), None)
    if definition is None:
        return f"role {guid}", False
    permissions = items_or_unknown(definition.properties.get("permissions"))
    actions, unknown = _strings(*(UNKNOWN if p is UNKNOWN else p.get("actions") for p in permissions))
    broad = any(a in ("*", "Microsoft.Authorization/*", "Microsoft.Authorization/roleAssignments/write")
                for a in actions)
    name = definition.properties.get("roleName")
    return str(name if isinstance(name, str) and name else guid), True if broad else (None if unknown else False)


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


def role_assignments_to_unknown(resources: ResourceSet) -> list[AzureResource]:
    """Role assignments whose principal is not known before deployment: any identity's, for all we know."""
    return [a for a in resources.of_type(ROLE_ASSIGNMENT) if a.properties.get("principalId") is UNKNOWN]


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


def sends_logs(setting: AzureResource) -> bool | None:
    """Whether the setting enables a log category; None when its logs are not known."""
    logs = items_or_unknown(setting.properties.get("logs"))
    if any(log is not UNKNOWN and log.get("enabled") is True for log in logs):
        return True
    return None if any(log is UNKNOWN or log.get("enabled") is UNKNOWN for log in logs) else False
