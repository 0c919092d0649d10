"""The live reader: a subscription's resources through Azure Resource Manager, read-only.

Uses the azure-mgmt client made for each resource type and an azure-identity credential, all imported
here, lazily: nothing Azure is imported unless a subscription is given. Each collection is listed once
(following `nextLink`), so the request count is fixed per resource type and resource group, not per check.
Only GET requests are sent.
"""

from __future__ import annotations

import importlib
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from pytest_readiness.api import SourceError, Unverified
from pytest_readiness.results import Location
from pytest_readiness.sources.azure.model import AzureResource, ResourceProblem, ResourceSet

AUTHORITIES = {"public": None, "china": "login.chinacloudapi.cn", "usgov": "login.microsoftonline.us"}
CREDENTIAL_CLASSES = {
    "default": "DefaultAzureCredential",
    "cli": "AzureCliCredential",
    "environment": "EnvironmentCredential",
    "workload": "WorkloadIdentityCredential",
    "managed": "ManagedIdentityCredential",
}
CREDENTIAL_HELP = {
    "default": "sign in with `az login`, set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, run in a pod "
               "with workload identity, or pick one with --readiness-azure-credential",
    "cli": "run `az login` (and `az account set --subscription <id>`) on this machine",
    "environment": "set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH)",
    "workload": "run in a pod with Azure workload identity (AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_ID, "
                "AZURE_TENANT_ID set by the webhook)",
    "managed": "run on an Azure host with a managed identity assigned",
}
CLIENTS = {
    "containerservice": ("azure.mgmt.containerservice", "ContainerServiceClient"),
    "cognitiveservices": ("azure.mgmt.cognitiveservices", "CognitiveServicesManagementClient"),
    "redis": ("azure.mgmt.redis", "RedisManagementClient"),
    "storage": ("azure.mgmt.storage", "StorageManagementClient"),
    "keyvault": ("azure.mgmt.keyvault", "KeyVaultManagementClient"),
    "network": ("azure.mgmt.network", "NetworkManagementClient"),
    "msi": ("azure.mgmt.msi", "ManagedServiceIdentityClient"),
    "authorization": ("azure.mgmt.authorization", "AuthorizationManagementClient"),
    "monitor": ("azure.mgmt.monitor", "MonitorManagementClient"),
    "loganalytics": ("azure.mgmt.loganalytics", "LogAnalyticsManagementClient"),
}
FEDERATED = "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials"
DIAGNOSTICS = "Microsoft.Insights/diagnosticSettings"
ROLE_ASSIGNMENTS = "Microsoft.Authorization/roleAssignments"
ROLE_DEFINITIONS = "Microsoft.Authorization/roleDefinitions"
# resources whose diagnostic settings are read (Storage logs live on its blob service)
DIAGNOSED = {
    "Microsoft.ContainerService/managedClusters": "",
    "Microsoft.CognitiveServices/accounts": "",
    "Microsoft.Cache/redis": "",
    "Microsoft.KeyVault/vaults": "",
    "Microsoft.Storage/storageAccounts": "/blobServices/default",
}


@dataclass(frozen=True)
class Collection:
    """One resource type, listed per subscription or per resource group."""

    type: str
    client: str
    operations: str
    list_all: str
    list_group: str


COLLECTIONS = (
    Collection("Microsoft.ContainerService/managedClusters", "containerservice", "managed_clusters", "list",
               "list_by_resource_group"),
    Collection("Microsoft.CognitiveServices/accounts", "cognitiveservices", "accounts", "list",
               "list_by_resource_group"),
    Collection("Microsoft.Cache/redis", "redis", "redis", "list_by_subscription", "list_by_resource_group"),
    Collection("Microsoft.Storage/storageAccounts", "storage", "storage_accounts", "list", "list_by_resource_group"),
    Collection("Microsoft.KeyVault/vaults", "keyvault", "vaults", "list_by_subscription", "list_by_resource_group"),
    Collection("Microsoft.Network/virtualNetworks", "network", "virtual_networks", "list_all", "list"),
    Collection("Microsoft.Network/networkSecurityGroups", "network", "network_security_groups", "list_all", "list"),
    Collection("Microsoft.Network/privateEndpoints", "network", "private_endpoints", "list_by_subscription", "list"),
    Collection("Microsoft.ManagedIdentity/userAssignedIdentities", "msi", "user_assigned_identities",
               "list_by_subscription", "list_by_resource_group"),
    Collection("Microsoft.OperationalInsights/workspaces", "loganalytics", "workspaces", "list",
               "list_by_resource_group"),
)
CANONICAL_TYPES = {t.lower(): t for t in [*(c.type for c in COLLECTIONS), FEDERATED, DIAGNOSTICS,
                                          ROLE_ASSIGNMENTS, ROLE_DEFINITIONS]}
CHILD_WORKERS = 4
_ACTION = re.compile(r"perform action '([^']+)'")


@dataclass(frozen=True)
class ArmTarget:
    subscription: str
    resource_groups: tuple[str, ...] = ()
    credential: str = "default"
    endpoint: str = "https://management.azure.com"
    cloud: str = "public"
    ca_bundle: str = ""
    timeout: float = 10.0
    retries: int = 2

    @property
    def name(self) -> str:
        return f"azure:{self.subscription}"

    @property
    def scope(self) -> str:
        """The token scope follows the endpoint (Azure Stack Hub and sovereign clouds have their own)."""
        return self.endpoint.rstrip("/") + "/.default"

    @property
    def where(self) -> str:
        groups = ", ".join(self.resource_groups) if self.resource_groups else "every readable resource group"
        return f"subscription {self.subscription} ({groups}) at {self.endpoint}"


@dataclass
class ReadStats:
    """Requests sent, per collection, and the time the whole read took."""

    requests: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.requests.values())


def rest_shape(model: Any) -> dict[str, Any]:
    """An SDK model as ARM's REST JSON: msrest models serialize, TypeSpec models as_dict."""
    if isinstance(model, Mapping) and not hasattr(model, "as_dict"):
        return dict(model)
    if hasattr(model, "serialize"):
        return dict(model.serialize(keep_readonly=True))
    return dict(model.as_dict())


def to_resource(body: Mapping[str, Any]) -> AzureResource:
    rid = str(body.get("id") or "")
    rtype = str(body.get("type") or "")
    return AzureResource(
        type=CANONICAL_TYPES.get(rtype.lower(), rtype),
        id=rid,
        name=str(body.get("name") or rid.rsplit("/", 1)[-1]),
        location=str(body.get("location") or ""),
        properties=body.get("properties") or {},
        origin=Location(rid),
        source="arm",
        kind=str(body.get("kind") or ""),
        sku=body.get("sku") or {},
        identity=body.get("identity") or {},
        tags=body.get("tags") or {},
    )


def collection_of(path: str) -> str:
    """`Microsoft.Cache/redis` of a list path, `.../federatedIdentityCredentials` of a child one."""
    parts = [p for p in path.split("/") if p]
    lowered = [p.lower() for p in parts]
    if "providers" not in lowered:
        return path
    last = len(lowered) - 1 - lowered[::-1].index("providers")
    rest = parts[last + 1:]
    rtype = "/".join([rest[0], *rest[1::2]]) if rest else path
    return CANONICAL_TYPES.get(rtype.lower(), rtype)


def resource_group_of(resource_id: str) -> str:
    parts = resource_id.split("/")
    lowered = [p.lower() for p in parts]
    return parts[lowered.index("resourcegroups") + 1] if "resourcegroups" in lowered else ""


class ArmReader:
    def __init__(self, target: ArmTarget) -> None:
        self.target = target
        self.stats = ReadStats()
        self._lock = threading.Lock()
        self._clients: dict[str, Any] = {}
        self._credential: Any = None
        self._transport: Any = None

    # --- plumbing --------------------------------------------------------------------------------

    def _count(self, request: Any) -> None:
        """Per collection type, from the request's path (the clients may run in threads)."""
        label = collection_of(urlsplit(str(request.http_request.url)).path)
        with self._lock:
            self.stats.requests[label] = self.stats.requests.get(label, 0) + 1

    def _make_credential(self) -> Any:
        identity = importlib.import_module("azure.identity")
        kind = self.target.credential
        kwargs: dict[str, Any] = {}
        authority = AUTHORITIES.get(self.target.cloud)
        if authority and kind in ("default", "environment", "workload"):
            kwargs["authority"] = authority
        if kind in ("default", "cli"):
            kwargs["process_timeout"] = max(int(self.target.timeout), 5)
        return getattr(identity, CREDENTIAL_CLASSES[kind])(**kwargs)

    def _check_credential(self) -> None:
        """One token up front: no usable credential is one clear reason, within seconds."""
        from azure.core.exceptions import ClientAuthenticationError

        label = f"--readiness-azure-credential={self.target.credential} ({CREDENTIAL_CLASSES[self.target.credential]})"
        try:
            self._credential = _OneToken(self._make_credential())
            self._credential.get_token(self.target.scope)
        except (ClientAuthenticationError, ValueError) as exc:
            raise Unverified(f"no Azure token from {label}: {_first_line(exc)}; to fix: "
                             f"{CREDENTIAL_HELP[self.target.credential]}") from None

    def _client(self, key: str) -> Any:
        if key not in self._clients:
            module, name = CLIENTS[key]
            cls = getattr(importlib.import_module(module), name)
            self._clients[key] = cls(
                self._credential, self.target.subscription, base_url=self.target.endpoint,
                credential_scopes=[self.target.scope], transport=self._transport,
                retry_total=self.target.retries, retry_backoff_factor=0.2, retry_backoff_max=2,
                raw_request_hook=self._count, logging_enable=False,
            )
        return self._clients[key]

    def _make_transport(self) -> Any:
        import requests
        from azure.core.pipeline.transport import RequestsTransport

        session = requests.Session()  # honours REQUESTS_CA_BUNDLE and HTTPS_PROXY as requests does
        verify: bool | str = self.target.ca_bundle or True
        return RequestsTransport(session=session, session_owner=False, connection_verify=verify,
                                 connection_timeout=self.target.timeout, read_timeout=self.target.timeout)

    # --- reading ---------------------------------------------------------------------------------

    def read(self) -> ResourceSet:
        started = time.monotonic()
        self._check_credential()
        self._transport = self._make_transport()
        resources = ResourceSet(self.target.name)
        try:
            for collection in COLLECTIONS:
                self._read_collection(collection, resources)
            self._read_children(resources)
            self._read_roles(resources)
        finally:
            self._transport.session.close()
            self.stats.seconds = time.monotonic() - started
        return resources

    def _list(self, label: str, pages: Callable[[], Iterable[Any]], resources: ResourceSet,
              permission_type: str) -> list[AzureResource] | None:
        """Every item of one collection, or None when ARM refused it (recorded as unreadable)."""
        from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError

        try:
            return [to_resource(rest_shape(item)) for item in pages()]
        except ClientAuthenticationError as exc:
            raise Unverified(f"Azure Resource Manager rejected the token from --readiness-azure-credential="
                             f"{self.target.credential}: {_arm_message(exc)}; to fix: "
                             f"{CREDENTIAL_HELP[self.target.credential]}") from None
        except ResourceNotFoundError as exc:
            code = _arm_code(exc)
            if code == "SubscriptionNotFound":
                problem = f"{_arm_message(exc)}: check --readiness-azure-subscription"
                raise SourceError(self.target.name, problem) from None
            if code == "ResourceGroupNotFound":  # one problem per group, whatever the types listed in it
                group = label.rpartition(" in ")[2]
                where = Location(f"{self.target.name}/resourceGroups/{group}")
                if all(p.location != where for p in resources.problems):
                    resources.problems.append(ResourceProblem(where, _arm_message(exc)))
                return None
            return []  # a parent deleted while we read: nothing to list under it
        except HttpResponseError as exc:
            if exc.status_code == 403:
                action = _ACTION.search(str(exc.message or ""))
                missing = action.group(1) if action else f"{permission_type}/read"
                resources.unreadable.setdefault(
                    permission_type,
                    f"403 {_arm_code(exc) or 'Forbidden'}: the credential may not perform {missing} on "
                    f"{self.target.where}; grant Reader on it (docs/azure.md)")
                return None
            raise SourceError(self.target.name, f"listing {label} failed: {_arm_message(exc)}") from None
        except Exception as exc:  # ServiceRequestError and friends: DNS, refused, TLS, timeouts
            raise SourceError(self.target.name, f"cannot read Azure Resource Manager at {self.target.endpoint}: "
                              f"{type(exc).__name__}: {_first_line(exc)}") from None

    def _read_collection(self, collection: Collection, resources: ResourceSet) -> None:
        ops = getattr(self._client(collection.client), collection.operations)
        groups: Iterable[str | None] = self.target.resource_groups or [None]
        for group in groups:
            label = f"{collection.type}" + (f" in {group}" if group else "")

            def pages(group: str | None = group) -> Iterable[Any]:
                if group is None:
                    return getattr(ops, collection.list_all)()  # type: ignore[no-any-return]
                return getattr(ops, collection.list_group)(group)  # type: ignore[no-any-return]

            found = self._list(label, pages, resources, collection.type)
            if found is not None:
                resources.resources.extend(found)

    def _read_children(self, resources: ResourceSet) -> None:
        """One request per parent, a few at a time: what ARM's per-client throttling allows comfortably."""
        federated = self._client("msi").federated_identity_credentials
        diagnostics = self._client("monitor").diagnostic_settings
        jobs = [(FEDERATED, partial(federated.list, resource_group_of(i.id), i.name))
                for i in resources.of_type("Microsoft.ManagedIdentity/userAssignedIdentities")]
        jobs += [(DIAGNOSTICS, partial(diagnostics.list, r.id + DIAGNOSED[r.type]))
                 for r in resources.resources if r.type in DIAGNOSED]
        with ThreadPoolExecutor(max_workers=CHILD_WORKERS, thread_name_prefix="arm") as pool:
            futures = [pool.submit(self._list, rtype, pages, resources, rtype) for rtype, pages in jobs]
            for future in futures:  # in order, so the set is the same run after run
                resources.resources.extend(future.result() or [])

    def _read_roles(self, resources: ResourceSet) -> None:
        authorization = self._client("authorization")
        found = self._list(ROLE_ASSIGNMENTS, authorization.role_assignments.list_for_subscription, resources,
                           ROLE_ASSIGNMENTS)
        resources.resources.extend(found or [])
        scope = f"/subscriptions/{self.target.subscription}"
        found = self._list(ROLE_DEFINITIONS, lambda: authorization.role_definitions.list(scope), resources,
                           ROLE_DEFINITIONS)
        resources.resources.extend(found or [])


class _OneToken:
    """Shares one token among the clients: each would otherwise ask the credential (and run `az`) itself."""

    def __init__(self, credential: Any) -> None:
        self.credential = credential
        self._tokens: dict[tuple[str, ...], Any] = {}

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        token = self._tokens.get(scopes)
        if token is None or token.expires_on - 300 < time.time() or kwargs.get("claims"):
            token = self._tokens[scopes] = self.credential.get_token(*scopes, **kwargs)
        return token


def read_subscription(target: ArmTarget) -> tuple[ResourceSet, ReadStats]:
    reader = ArmReader(target)
    resources = reader.read()
    return resources, reader.stats


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "message", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _arm_code(exc: Any) -> str:
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None)
    if code:
        return str(code)
    response = getattr(exc, "response", None)
    try:
        return str(response.json()["error"]["code"])  # type: ignore[union-attr]
    except Exception:
        return ""


def _arm_message(exc: Any) -> str:
    error = getattr(exc, "error", None)
    code, message = getattr(error, "code", None), getattr(error, "message", None)
    if code and message:
        return f"{code}: {message}"
    return _first_line(exc)

