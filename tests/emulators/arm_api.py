"""A read-only Azure Resource Manager on loopback over HTTPS, for the real azure-mgmt clients.

`ArmEmulator` serves the REST paths the clients call: subscription and resource-group lists of a
resource type, child collections (`.../userAssignedIdentities/x/federatedIdentityCredentials`),
extension collections (`<resource>/providers/Microsoft.Insights/diagnosticSettings`), single resources,
`nextLink` paging with `$skiptoken`, and ARM error bodies (401 ExpiredAuthenticationToken /
InvalidAuthenticationToken, 403 AuthorizationFailed, 404 ResourceNotFound / ResourceGroupNotFound /
SubscriptionNotFound, 400 MissingApiVersionParameter, 405 for anything but GET). Tokens are JWTs it
signs itself, with `exp`; `write_az_stub` writes an `az` that prints one as `az account get-access-token`
does, for azure-identity's AzureCliCredential. Every request is recorded.

    with ArmEmulator(ca) as arm:
        arm.add_many(resources)
        arm.deny("Microsoft.Cache/redis/read")
        bin_dir = arm.write_az_stub(tmp_path / "bin")
"""

from __future__ import annotations

import copy
import json
import os
import secrets
import ssl
import stat
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import quote

import jwt
from werkzeug.serving import WSGIRequestHandler
from werkzeug.wrappers import Request, Response

from tests.emulators.loopback import LoopbackServer

if TYPE_CHECKING:
    import trustme
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

Obj = dict[str, Any]
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CALLER_OBJECT_ID = "6f0b9d27-5d3e-4b64-9a0e-6c2f4d3e1a11"
MANAGEMENT_GROUP_PREFIX = "/providers/microsoft.management/managementgroups/"


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: Mapping[str, str]


class ArmError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def response(self) -> Response:
        body = {"error": {"code": self.code, "message": self.message}}
        response = Response(json.dumps(body), status=self.status, content_type="application/json; charset=utf-8")
        response.headers["x-ms-failure-cause"] = "gateway"
        return response


class _Quiet(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@dataclass
class _State:
    resources: dict[str, Obj] = field(default_factory=dict)  # lower-cased id -> body
    groups: set[tuple[str, str]] = field(default_factory=set)  # (subscription, group), lower-cased
    subscriptions: set[str] = field(default_factory=set)
    denied: set[str] = field(default_factory=set)  # lower-cased actions
    requests: list[RecordedRequest] = field(default_factory=list)


class ArmEmulator(LoopbackServer):
    def __init__(self, ca: trustme.CA, *, page_size: int = 100, subscription: str | None = None) -> None:
        self.ca = ca
        self.page_size = page_size
        self.secret = secrets.token_bytes(32)
        self._state = _State()
        if subscription:
            self._state.subscriptions.add(subscription.lower())
        self._lock = threading.Lock()
        super().__init__()

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> Self:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        self._serve(self._wsgi, _Quiet, "arm", context)
        return self

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        return f"https://127.0.0.1:{self._server.server_port}"

    # --- set-up ----------------------------------------------------------------------------------

    def add(self, body: Mapping[str, Any]) -> Obj:
        stored = copy.deepcopy(dict(body))
        rid = str(stored["id"])
        parts = rid.split("/")
        lowered = [p.lower() for p in parts]
        with self._lock:
            if len(parts) > 2 and lowered[1] == "subscriptions":
                self._state.subscriptions.add(lowered[2])
                if len(parts) > 4 and lowered[3] == "resourcegroups":
                    self._state.groups.add((lowered[2], lowered[4]))
            self._state.resources[rid.lower()] = stored
        return stored

    def add_many(self, bodies: Iterable[Mapping[str, Any]]) -> None:
        for body in bodies:
            self.add(body)

    def add_group(self, subscription: str, group: str) -> None:
        with self._lock:
            self._state.subscriptions.add(subscription.lower())
            self._state.groups.add((subscription.lower(), group.lower()))

    def deny(self, action: str) -> None:
        """Answer requests that need `action` (e.g. `Microsoft.Cache/redis/read`) with 403 AuthorizationFailed."""
        with self._lock:
            self._state.denied.add(action.lower())

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._state.requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._state.requests.clear()

    def token(self, expires_in: float = 3600) -> str:
        now = int(time.time())
        claims = {"aud": self.url, "iss": f"https://sts.windows.net/{TENANT}/", "iat": now - 60,
                  "nbf": now - 60, "exp": int(now + expires_in), "oid": CALLER_OBJECT_ID, "tid": TENANT}
        return jwt.encode(claims, self.secret, algorithm="HS256")

    def write_az_stub(self, directory: Path, *, expires_in: float = 3600, logged_in: bool = True) -> Path:
        """An `az` that answers `az account get-access-token --output json --resource R` as the Azure CLI does
        (and logs its arguments to `az.log` beside it); `logged_in=False` answers as before `az login`."""
        directory.mkdir(parents=True, exist_ok=True)
        expires = time.time() + expires_in
        answer = {
            "accessToken": self.token(expires_in),
            "expiresOn": datetime.fromtimestamp(expires).strftime("%Y-%m-%d %H:%M:%S.%f"),
            "expires_on": int(expires),
            "subscription": "00000000-0000-0000-0000-000000000000",
            "tenant": TENANT,
            "tokenType": "Bearer",
        }
        log = directory / "az.log"
        script = directory / "az"
        script.write_text("\n".join([
            f"#!{sys.executable}",
            "import json, sys",
            f"open({str(log)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')",
            "if sys.argv[1:3] != ['account', 'get-access-token']:",
            "    sys.exit('stub az: only account get-access-token is supported')",
            *(["print(json.dumps(" + repr(answer) + "))"] if logged_in else [
                "sys.stderr.write(\"ERROR: Please run 'az login' to setup account.\\n\")", "sys.exit(1)"]),
            "",
        ]))
        script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        return directory

    # --- HTTP ------------------------------------------------------------------------------------

    def _wsgi(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        with self._lock:
            self._state.requests.append(RecordedRequest(request.method, request.path, request.args.to_dict()))
        try:
            response = self._respond(request)
        except ArmError as error:
            response = error.response()
        response.headers["x-ms-request-id"] = secrets.token_hex(8)
        return response(environ, start_response)

    def _authenticate(self, request: Request) -> None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise ArmError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")
        try:
            jwt.decode(token, self.secret, algorithms=["HS256"], audience=self.url)
        except jwt.ExpiredSignatureError:
            expiry = jwt.decode(token, options={"verify_signature": False})["exp"]
            shown = "%m/%d/%Y %I:%M:%S %p"
            raise ArmError(401, "ExpiredAuthenticationToken",
                           f"The access token expiry UTC time '{datetime.fromtimestamp(expiry, UTC):{shown}}' is "
                           f"earlier than current UTC time '{datetime.now(UTC):{shown}}'.") from None
        except jwt.InvalidTokenError:
            raise ArmError(401, "InvalidAuthenticationToken", "The access token is invalid.") from None

    def _respond(self, request: Request) -> Response:
        if request.method != "GET":
            raise ArmError(405, "MethodNotAllowed", f"The emulator is read-only: {request.method} is not allowed.")
        self._authenticate(request)
        if "api-version" not in request.args:
            raise ArmError(400, "MissingApiVersionParameter",
                           "The api-version query parameter (?api-version=) is required for all requests.")
        path = request.path.rstrip("/")
        lowered = path.lower()
        with self._lock:
            body = self._state.resources.get(lowered)
        if body is not None:
            self._authorize(_type_of_id(path) + "/read", path)
            return _json(body)
        items = self._collection(path)
        skip = int(request.args.get("$skiptoken", "0") or 0)
        page: Obj = {"value": items[skip: skip + self.page_size]}
        if skip + self.page_size < len(items):
            query = {k: v for k, v in request.args.items() if k != "$skiptoken"}
            query["$skiptoken"] = str(skip + self.page_size)
            page["nextLink"] = self.url + quote(path) + "?" + "&".join(f"{k}={quote(v)}" for k, v in query.items())
        return _json(page)

    def _authorize(self, action: str, scope: str) -> None:
        with self._lock:
            denied = action.lower() in self._state.denied
        if denied:
            raise ArmError(403, "AuthorizationFailed",
                           f"The client 'readiness@contoso.com' with object id '{CALLER_OBJECT_ID}' does not have "
                           f"authorization to perform action '{action}' over scope '{scope}' or the scope is "
                           "invalid. If access was recently granted, please refresh your credentials.")

    def _collection(self, path: str) -> list[Obj]:
        parts = path.split("/")
        lowered = [p.lower() for p in parts]
        if len(parts) < 3 or lowered[1] != "subscriptions":
            raise ArmError(404, "InvalidResourceType", f"The resource path '{path}' is not served here.")
        subscription = lowered[2]
        with self._lock:
            known = subscription in self._state.subscriptions
        if not known:
            raise ArmError(404, "SubscriptionNotFound", f"The subscription '{parts[2]}' could not be found.")
        # /subscriptions/S/providers/NS/T  and  /subscriptions/S/resourceGroups/R/providers/NS/T
        if len(parts) == 6 and lowered[3] == "providers":
            rtype = f"{parts[4]}/{parts[5]}"
            self._authorize(rtype + "/read", "/".join(parts[:3]))
            return self._select(rtype, lambda rid: rid.startswith(f"/subscriptions/{subscription}/") or (
                rtype.lower() == "microsoft.authorization/roleassignments" and rid.startswith(MANAGEMENT_GROUP_PREFIX)))
        if len(parts) == 8 and lowered[3] == "resourcegroups" and lowered[5] == "providers":
            with self._lock:
                group_known = (subscription, lowered[4]) in self._state.groups
            if not group_known:
                raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{parts[4]}' could not be found.")
            rtype = f"{parts[6]}/{parts[7]}"
            self._authorize(rtype + "/read", "/".join(parts[:5]))
            prefix = "/".join(lowered) + "/"
            return self._select(rtype, lambda rid: rid.startswith(prefix))
        # a child collection (<resource>/<children>) or an extension one (<resource>/providers/NS/T)
        extension = len(parts) > 3 and lowered[-3] == "providers"
        parent = "/".join(parts[:-3] if extension else parts[:-1])
        rtype = f"{parts[-2]}/{parts[-1]}" if extension else f"{_type_of_id(parent)}/{parts[-1]}"
        if not self._exists(parent):
            raise ArmError(404, "ResourceNotFound", f"The Resource '{_type_of_id(parent)}/{parent.rsplit('/', 1)[-1]}'"
                           f" under resource group '{_group_of(parent)}' was not found.")
        self._authorize(rtype + "/read", parent)
        prefix = path.lower() + "/"
        return self._select(rtype, lambda rid: rid.startswith(prefix) and "/" not in rid[len(prefix):])

    def _exists(self, resource_id: str) -> bool:
        lowered = resource_id.lower()
        with self._lock:
            if lowered in self._state.resources:
                return True
            # a sub-resource ARM always has (a Storage account's blobServices/default)
            return any(lowered.startswith(rid + "/") for rid in self._state.resources)

    def _select(self, rtype: str, keep: Any) -> list[Obj]:
        with self._lock:
            return [copy.deepcopy(body) for rid, body in sorted(self._state.resources.items())
                    if str(body.get("type", "")).lower() == rtype.lower() and keep(rid)]


def _json(body: Obj, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json; charset=utf-8")


def _type_of_id(resource_id: str) -> str:
    """`Microsoft.Cache/redis` of `/subscriptions/S/resourceGroups/R/providers/Microsoft.Cache/redis/name`."""
    parts = resource_id.strip("/").split("/")
    lowered = [p.lower() for p in parts]
    last = len(lowered) - 1 - lowered[::-1].index("providers") if "providers" in lowered else -1
    if last < 0:
        return "Microsoft.Resources/" + parts[-2] if len(parts) > 1 else ""
    rest = parts[last + 1:]
    namespace, segments = rest[0], rest[1:]
    types = segments[0::2]
    return "/".join([namespace, *types])


def _group_of(resource_id: str) -> str:
    parts = resource_id.split("/")
    lowered = [p.lower() for p in parts]
    return parts[lowered.index("resourcegroups") + 1] if "resourcegroups" in lowered else ""


class ImdsStub(LoopbackServer):
    """The instance metadata endpoint as a host without a managed identity answers (400 Identity not found),
    plain HTTP on loopback: point AZURE_POD_IDENTITY_AUTHORITY_HOST at it so that DefaultAzureCredential's
    managed identity probe stays on this machine, and is recorded."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        super().__init__()

    def start(self) -> Self:
        self._serve(self._wsgi, _Quiet, "imds-stub")
        return self

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_port}"

    def _wsgi(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        self.requests.append(RecordedRequest(request.method, request.path, request.args.to_dict()))
        body = {"error": "invalid_request", "error_description": "Identity not found"}
        return Response(json.dumps(body), status=400, content_type="application/json")(environ, start_response)


def closed_port_url() -> str:
    """An http://127.0.0.1 URL nothing listens on."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def clean_env(**extra: str) -> dict[str, str]:
    """The environment with no Azure sign-in configured, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "IDENTITY_", "MSI_", "IMDS_"))}
    env.update(extra)
    return env
