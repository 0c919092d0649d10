"""A read-only Kubernetes API server on loopback, for the real `kubernetes` client.

`KubeApiEmulator` serves the REST paths, List objects, pagination, label and field selectors,
`Status` errors (401, 403, 404, 400, 405) and pod logs the way kube-apiserver does, from objects
added with `add()`; the log of a pod on a node that is not Ready is the 500 the API server answers when it
cannot reach that node's kubelet. Every request is recorded so tests can count them and prove nothing writes.

    with KubeApiEmulator() as api:
        api.add_many(kube_objects.agent_stack())
        api.deny("list", "deployments", namespace="msft-agent")
        kubeconfig = api.write_kubeconfig(tmp_path / "kubeconfig", namespace="msft-agent")
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import re
import secrets
import ssl
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import yaml
from werkzeug.serving import WSGIRequestHandler
from werkzeug.wrappers import Request, Response

from tests.emulators.loopback import LoopbackServer

if TYPE_CHECKING:
    import trustme
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

Obj = dict[str, Any]
DEFAULT_USER = "system:serviceaccount:ci:readiness"
SERVER_VERSION = {
    "major": "1",
    "minor": "30",
    "gitVersion": "v1.30.6",
    "gitCommit": "00f20d443ba0cd2cf3bdc1a9d2b1e6b3d0a7f1c4",
    "gitTreeState": "clean",
    "buildDate": "2024-10-22T20:34:48Z",
    "goVersion": "go1.22.8",
    "compiler": "gc",
    "platform": "linux/amd64",
}


@dataclass(frozen=True)
class ResourceType:
    group: str  # "" is the core group
    version: str
    plural: str
    kind: str
    namespaced: bool = True
    field_labels: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """`deployments.apps` as in API server messages, `pods` for the core group."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


RESOURCE_TYPES = (
    ResourceType("", "v1", "namespaces", "Namespace", namespaced=False, field_labels=("status.phase",)),
    ResourceType("", "v1", "nodes", "Node", namespaced=False, field_labels=("spec.unschedulable",)),
    ResourceType("", "v1", "pods", "Pod",
                 field_labels=("spec.nodeName", "spec.serviceAccountName", "status.phase", "status.podIP")),
    ResourceType("", "v1", "services", "Service"),
    ResourceType("", "v1", "configmaps", "ConfigMap"),
    ResourceType("", "v1", "serviceaccounts", "ServiceAccount"),
    ResourceType("", "v1", "events", "Event",
                 field_labels=("involvedObject.kind", "involvedObject.name", "involvedObject.namespace",
                               "involvedObject.uid", "reason", "type", "source")),
    ResourceType("apps", "v1", "deployments", "Deployment"),
    ResourceType("apps", "v1", "statefulsets", "StatefulSet"),
    ResourceType("apps", "v1", "daemonsets", "DaemonSet"),
    ResourceType("apps", "v1", "replicasets", "ReplicaSet", field_labels=("status.replicas",)),
    ResourceType("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget"),
    ResourceType("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler"),
    ResourceType("networking.k8s.io", "v1", "ingresses", "Ingress"),
    ResourceType("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy"),
)
POD_LOG = "pods/log"


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: Mapping[str, str]


class StatusError(Exception):
    """An error the API server reports as a `Status` object."""

    def __init__(self, code: int, reason: str, message: str, details: Obj | None = None) -> None:
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details

    def body(self) -> Obj:
        status: Obj = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
        }
        if self.reason:  # omitted, as kube-apiserver does, for an error it passes on from a kubelet
            status["reason"] = self.reason
        if self.details is not None:
            status["details"] = self.details
        status["code"] = self.code
        return status


def bad_request(message: str) -> StatusError:
    return StatusError(400, "BadRequest", message)


def not_found_path() -> StatusError:
    return StatusError(404, "NotFound", "the server could not find the requested resource", {})


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@dataclass
class _Denial:
    verb: str
    resource: str
    namespace: str | None

    def matches(self, verb: str, resource: str, namespace: str | None) -> bool:
        return (self.verb, self.resource) == (verb, resource) and self.namespace in (None, namespace)


@dataclass
class _State:
    objects: dict[ResourceType, dict[tuple[str, str], Obj]] = field(default_factory=dict)
    logs: dict[tuple[str, str, str], str] = field(default_factory=dict)
    raw: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    denials: list[_Denial] = field(default_factory=list)
    requests: list[RecordedRequest] = field(default_factory=list)
    resource_version: int = 1000


class KubeApiEmulator(LoopbackServer):
    def __init__(self, *, tls: trustme.CA | None = None, user: str = DEFAULT_USER) -> None:
        self.user = user
        self.token = f"emulator-{secrets.token_hex(16)}"
        self._ca = tls
        self._state = _State()
        self._lock = threading.Lock()
        super().__init__()

    # lifecycle

    def start(self) -> Self:
        ssl_context = None
        if self._ca is not None:
            ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self._ca.issue_cert("127.0.0.1", "localhost").configure_cert(ssl_context)
        self._serve(self._wsgi, _QuietHandler, "kube-api", ssl_context)
        return self

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        scheme = "https" if self._ca is not None else "http"
        return f"{scheme}://127.0.0.1:{self._server.server_port}"

    # test set-up

    def add(self, obj: Mapping[str, Any]) -> Obj:
        """Store a copy of `obj`, filling in uid, resourceVersion and creationTimestamp."""
        rtype = self._type_of(obj)
        stored = copy.deepcopy(dict(obj))
        meta = stored.setdefault("metadata", {})
        if "name" not in meta:
            raise ValueError(f"{rtype.kind} without metadata.name")
        if rtype.namespaced:
            meta.setdefault("namespace", "default")
        else:
            meta.pop("namespace", None)
        meta.setdefault("uid", str(uuid.uuid4()))
        meta.setdefault("creationTimestamp", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
        with self._lock:
            self._state.resource_version += 1
            meta["resourceVersion"] = str(self._state.resource_version)
            store = self._state.objects.setdefault(rtype, {})
            store[(meta.get("namespace", ""), meta["name"])] = stored
        return stored

    def add_many(self, objects: Iterable[Mapping[str, Any]]) -> None:
        for obj in objects:
            self.add(obj)

    def deny(self, verb: str, resource: str, namespace: str | None = None) -> None:
        """Answer `verb` on `resource` (a plural such as "deployments", or "pods/log") with 403.

        `namespace=None` denies it everywhere, including cluster-wide lists.
        """
        with self._lock:
            self._state.denials.append(_Denial(verb, resource, namespace))

    def set_logs(self, namespace: str, pod: str, container: str, text: str) -> None:
        with self._lock:
            self._state.logs[(namespace, pod, container)] = text

    def serve_raw(self, path: str, body: bytes, content_type: str = "application/json") -> None:
        """Answer GET `path` (any query) with `body` as it is, 200: for what a broken server or proxy sends."""
        with self._lock:
            self._state.raw[path] = (body, content_type)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._state.requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._state.requests.clear()

    def write_kubeconfig(
        self, path: str | Path, context: str = "test-ctx", namespace: str | None = None
    ) -> Path:
        """A kubeconfig whose current context reaches this emulator with a bearer token."""
        cluster: Obj = {"server": self.url}
        if self._ca is not None:
            cluster["certificate-authority-data"] = base64.b64encode(self._ca.cert_pem.bytes()).decode()
        context_body: Obj = {"cluster": "emulator", "user": "readiness"}
        if namespace is not None:
            context_body["namespace"] = namespace
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "preferences": {},
            "clusters": [{"name": "emulator", "cluster": cluster}],
            "users": [{"name": "readiness", "user": {"token": self.token}}],
            "contexts": [{"name": context, "context": context_body}],
            "current-context": context,
        }
        target = Path(path)
        target.write_text(yaml.safe_dump(config, sort_keys=False))
        return target

    # HTTP

    def _wsgi(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        with self._lock:
            self._state.requests.append(RecordedRequest(request.method, request.path, request.args.to_dict()))
        with self._lock:
            raw = self._state.raw.get(request.path)
        try:
            response = Response(raw[0], content_type=raw[1]) if raw else self._respond(request)
        except StatusError as error:
            response = _json(error.body(), error.code)
        return response(environ, start_response)

    def _respond(self, request: Request) -> Response:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or token != self.token:
            raise StatusError(401, "Unauthorized", "Unauthorized")
        if request.method != "GET":
            raise StatusError(
                405, "MethodNotAllowed", "the server does not allow this method on the requested resource"
            )
        parts = [p for p in request.path.split("/") if p]
        if parts == ["version"]:
            return _json(SERVER_VERSION)
        if parts == ["api"]:
            return _json({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": self.url.split("://", 1)[1]}]})
        if parts == ["apis"]:
            return _json(_api_group_list())
        if parts[:1] == ["api"] and len(parts) >= 2:
            group, version, rest = "", parts[1], parts[2:]
        elif parts[:1] == ["apis"] and len(parts) >= 3:
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            raise not_found_path()
        types = [t for t in RESOURCE_TYPES if (t.group, t.version) == (group, version)]
        if not types:
            raise not_found_path()
        if not rest:
            return _json(_api_resource_list(types))
        return self._serve_resource(types, rest, request.args.to_dict())

    def _serve_resource(self, types: list[ResourceType], rest: list[str], query: dict[str, str]) -> Response:
        namespace = None
        if len(rest) >= 3 and rest[0] == "namespaces":
            namespace, rest = rest[1], rest[2:]
        rtype = next((t for t in types if t.plural == rest[0]), None)
        if rtype is None or (namespace is not None and not rtype.namespaced):
            raise not_found_path()
        if query.get("watch") in ("true", "1"):
            raise bad_request("watch is not supported by the emulator")
        if len(rest) == 1:
            self._authorize("list", rtype.plural, rtype, namespace)
            return _json(self._list(rtype, namespace, query))
        if len(rest) == 2:
            self._authorize("get", rtype.plural, rtype, namespace, rest[1])
            return _json(self._get(rtype, namespace, rest[1]))
        if len(rest) == 3 and rest[2] == "log" and rtype.plural == "pods" and namespace is not None:
            self._authorize("get", POD_LOG, rtype, namespace, rest[1])
            return Response(self._log(namespace, rest[1], query), content_type="text/plain; charset=utf-8")
        raise not_found_path()

    def _authorize(
        self, verb: str, resource: str, rtype: ResourceType, namespace: str | None, name: str | None = None
    ) -> None:
        with self._lock:
            denied = any(d.matches(verb, resource, namespace) for d in self._state.denials)
        if not denied:
            return
        subject = rtype.qualified + (f' "{name}"' if name else "")
        scope = f'in the namespace "{namespace}"' if namespace is not None else "at the cluster scope"
        details: Obj = {"name": name} if name else {}
        details.update(group=rtype.group, kind=rtype.plural)
        raise StatusError(
            403,
            "Forbidden",
            f'{subject} is forbidden: User "{self.user}" cannot {verb} resource "{resource}" '
            f'in API group "{rtype.group}" {scope}',
            details,
        )

    def _get(self, rtype: ResourceType, namespace: str | None, name: str) -> Obj:
        with self._lock:
            obj = self._state.objects.get(rtype, {}).get((namespace or "", name))
            if obj is None:
                raise StatusError(404, "NotFound", f'{rtype.qualified} "{name}" not found',
                                  {"name": name, "group": rtype.group, "kind": rtype.plural})
            return {"kind": rtype.kind, "apiVersion": rtype.api_version, **copy.deepcopy(obj)}

    def _list(self, rtype: ResourceType, namespace: str | None, query: dict[str, str]) -> Obj:
        label_match = parse_label_selector(query.get("labelSelector", ""))
        field_match = parse_field_selector(query.get("fieldSelector", ""), rtype)
        start_after = decode_continue(query["continue"]) if query.get("continue") else None
        limit = _non_negative_int(query, "limit")
        with self._lock:
            resource_version = self._state.resource_version
            store = self._state.objects.get(rtype, {})
            keys = sorted(k for k in store if (namespace is None or k[0] == namespace)
                          and (start_after is None or k > start_after))
            selected = [
                (key, store[key]) for key in keys
                if label_match(store[key]["metadata"].get("labels") or {}) and field_match(store[key])
            ]
            cut = limit or len(selected)
            page = [(key, copy.deepcopy(obj)) for key, obj in selected[:cut]]  # copy the page only, not every page
            remaining = selected[cut:]
        list_meta: Obj = {"resourceVersion": str(resource_version)}
        if remaining and page:
            list_meta["continue"] = encode_continue(page[-1][0], resource_version)
            if not query.get("labelSelector") and not query.get("fieldSelector"):
                list_meta["remainingItemCount"] = len(remaining)
        return {
            "kind": f"{rtype.kind}List",
            "apiVersion": rtype.api_version,
            "metadata": list_meta,
            "items": [_without_type(obj) for _, obj in page],
        }

    def _log(self, namespace: str, name: str, query: dict[str, str]) -> str:
        pod = self._get(_type_named("pods"), namespace, name)
        containers = [c["name"] for c in pod["spec"]["containers"]]
        container = query.get("container")
        if not container:
            if len(containers) != 1:
                raise bad_request(f"a container name must be specified for pod {name}, "
                                  f"choose one of: [{' '.join(containers)}]")
            container = containers[0]
        if container not in containers:
            raise bad_request(f"container {container} is not valid for pod {name}")
        if query.get("previous") == "true":
            raise bad_request(f'previous terminated container "{container}" in pod "{name}" not found')
        _positive_int(query, "sinceSeconds")
        self._reach_kubelet(pod, container, query)
        with self._lock:
            text = self._state.logs.get((namespace, name, container), "")
        tail = _non_negative_int(query, "tailLines")
        if tail is not None:
            lines = text.splitlines(keepends=True)
            text = "".join(lines[len(lines) - tail:]) if tail else ""
        limit_bytes = _positive_int(query, "limitBytes")
        if limit_bytes is not None:
            text = text.encode()[:limit_bytes].decode(errors="ignore")
        return text

    def _reach_kubelet(self, pod: Obj, container: str, query: dict[str, str]) -> None:
        """The API server proxies a log read to the kubelet: a node whose kubelet stopped posting status
        (Ready not True) does not answer, and the client sees the dial error as a 500."""
        with self._lock:
            node = self._state.objects.get(_type_named("nodes"), {}).get(("", str(pod["spec"].get("nodeName"))))
        if node is None:
            return
        status = node.get("status") or {}
        ready = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), {})
        if ready.get("status") == "True":
            return
        address = next((a["address"] for a in status.get("addresses") or [] if a.get("type") == "InternalIP"),
                       node["metadata"]["name"])
        port = ((status.get("daemonEndpoints") or {}).get("kubeletEndpoint") or {}).get("Port", 10250)
        namespace, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        asked = "&".join(f"{key}={query[key]}" for key in sorted(query) if key != "container")
        url = f"https://{address}:{port}/containerLogs/{namespace}/{name}/{container}" + (f"?{asked}" if asked else "")
        raise StatusError(500, "", f'Get "{url}": dial tcp {address}:{port}: i/o timeout')

    @staticmethod
    def _type_of(obj: Mapping[str, Any]) -> ResourceType:
        for rtype in RESOURCE_TYPES:
            if (rtype.api_version, rtype.kind) == (obj.get("apiVersion"), obj.get("kind")):
                return rtype
        raise ValueError(f"the emulator does not serve {obj.get('apiVersion')}/{obj.get('kind')}")


def _without_type(obj: Obj) -> Obj:
    """List items carry no kind/apiVersion on the wire; the List does."""
    return {key: value for key, value in obj.items() if key not in ("kind", "apiVersion")}


def _type_named(plural: str) -> ResourceType:
    return next(t for t in RESOURCE_TYPES if t.plural == plural)


def _json(body: Obj, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def _api_group_list() -> Obj:
    groups: dict[str, list[str]] = {}
    for rtype in RESOURCE_TYPES:
        if rtype.group and rtype.version not in groups.setdefault(rtype.group, []):
            groups[rtype.group].append(rtype.version)
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [
            {
                "name": group,
                "versions": [{"groupVersion": f"{group}/{v}", "version": v} for v in versions],
                "preferredVersion": {"groupVersion": f"{group}/{versions[0]}", "version": versions[0]},
            }
            for group, versions in groups.items()
        ],
    }


def _api_resource_list(types: list[ResourceType]) -> Obj:
    resources = [
        {"name": t.plural, "singularName": t.kind.lower(), "namespaced": t.namespaced, "kind": t.kind,
         "verbs": ["get", "list"]}
        for t in types
    ]
    if any(t.plural == "pods" for t in types):
        resources.append(
            {"name": POD_LOG, "singularName": "", "namespaced": True, "kind": "Pod", "verbs": ["get"]}
        )
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": types[0].api_version,
            "resources": resources}


def _non_negative_int(query: Mapping[str, str], name: str) -> int | None:
    if name not in query or query[name] == "":
        return None
    try:
        value = int(query[name])
    except ValueError:
        raise bad_request(f"{name}: Invalid value: {query[name]!r}: must be an integer") from None
    if value < 0:
        raise bad_request(f"{name}: Invalid value: {value}: must be greater than or equal to 0")
    return value


def _positive_int(query: Mapping[str, str], name: str) -> int | None:
    value = _non_negative_int(query, name)
    if value == 0:
        raise bad_request(f"{name}: Invalid value: 0: must be greater than 0")
    return value


def encode_continue(start_after: tuple[str, str], resource_version: int) -> str:
    """An etcd-style token: the key of the last item served (`namespace/name`), as kube-apiserver does."""
    token = {"v": "meta.k8s.io/v1", "rv": resource_version, "start": "/".join(start_after) + "\x00"}
    return base64.urlsafe_b64encode(json.dumps(token).encode()).decode()


def decode_continue(token: str) -> tuple[str, str]:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token.encode()))
        start = decoded["start"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise bad_request("continue key is not valid: incorrect encoded start resourceVersion") from None
    if decoded.get("v") != "meta.k8s.io/v1" or not isinstance(start, str) or "/" not in start:
        raise bad_request("continue key is not valid: server does not recognize this encoded key")
    namespace, name = start.rstrip("\x00").split("/", 1)
    return namespace, name


# selectors

_KEY = r"(?:[A-Za-z0-9][-A-Za-z0-9_.]*/)?[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?"
_VALUE = r"(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?"
LabelMatch = Callable[[Mapping[str, str]], bool]


def parse_label_selector(selector: str) -> LabelMatch:
    """Parse `app=x,tier!=db,env in (a,b),!legacy,team` into a predicate over labels."""
    requirements = [_parse_requirement(part) for part in _split_top_level(selector)]
    return lambda labels: all(requirement(labels) for requirement in requirements)


def _split_top_level(selector: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in selector:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def _parse_requirement(text: str) -> LabelMatch:
    if match := re.fullmatch(rf"!\s*({_KEY})", text):
        key = match[1]
        return lambda labels: key not in labels
    if match := re.fullmatch(rf"({_KEY})\s+(in|notin)\s*\(([^()]*)\)", text):
        key, operator = match[1], match[2]
        values = {v.strip() for v in match[3].split(",")}
        if not all(re.fullmatch(_VALUE, v) for v in values):
            raise bad_request(f"unable to parse requirement: invalid label value in {text!r}")
        if operator == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    if match := re.fullmatch(rf"({_KEY})\s*(==|=|!=)\s*({_VALUE})", text):
        key, operator, value = match[1], match[2], match[3]
        if operator == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    if match := re.fullmatch(_KEY, text):
        key = match[0]
        return lambda labels: key in labels
    raise bad_request(f"unable to parse requirement: {text!r}")


def parse_field_selector(selector: str, rtype: ResourceType) -> Callable[[Obj], bool]:
    """Parse `metadata.name=x,status.phase!=Running` for the fields the resource supports."""
    checks: list[Callable[[Obj], bool]] = []
    for part in _split_top_level(selector):
        match = re.fullmatch(r"([A-Za-z.]+)\s*(==|=|!=)\s*(.*)", part)
        if match is None:
            raise bad_request(f"invalid selector: '{selector}'; can't understand '{part}'")
        path, operator, value = match[1], match[2], match[3]
        if path not in ("metadata.name", "metadata.namespace", *rtype.field_labels):
            raise bad_request(f'field label not supported: {path}')
        checks.append(_field_check(path, operator == "!=", value))
    return lambda obj: all(check(obj) for check in checks)


def _field_check(path: str, negate: bool, value: str) -> Callable[[Obj], bool]:
    def check(obj: Obj) -> bool:
        current: Any = obj
        for key in path.split("."):
            current = current.get(key) if isinstance(current, dict) else None
        if isinstance(current, bool):
            current = str(current).lower()
        actual = "" if current is None else str(current)
        return (actual == value) != negate

    return check
