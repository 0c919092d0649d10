"""Live Kubernetes objects: one read-only snapshot of a namespace, listed with the kubernetes client.

`load_snapshot` lists every kind the checks look at once, page by page, with GET requests only,
so the number of API requests depends on the amount of data, never on the number of checks.
A kind the credentials may not list is recorded in `denied` and the rest still load; an
unreachable API server fails at once (no retries, short timeouts). Objects are the API server's JSON,
read through the client's own list methods with `_preload_content=False`: building the client's
models and serialising them back costs several times the request itself (docs/cluster.md, "Scale").
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import yaml

from pytest_readiness.api import SourceError
from pytest_readiness.results import Location
from pytest_readiness.sources.kube import shapes
from pytest_readiness.sources.kube.model import KubeObject, ObjectSet, ParseProblem
from pytest_readiness.sources.reading import quote

if TYPE_CHECKING:
    from kubernetes.client import ApiClient, Configuration
    from kubernetes.client.exceptions import ApiException

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
DEFAULT_KUBECONFIG = "~/.kube/config"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
LOG_LIMIT_BYTES = 1024 * 1024


@dataclass(frozen=True)
class ClusterTarget:
    kubeconfig: str | None  # path; None -> $KUBECONFIG or ~/.kube/config
    context: str | None  # None -> the kubeconfig's current-context
    namespace: str | None  # None -> the context's namespace, else "default"
    in_cluster: bool = False


class ClusterUnavailable(SourceError):
    """The cluster, or one kind of object in it, cannot be read; the message says why."""

    def __init__(self, reason: str) -> None:
        super().__init__("cluster", reason)
        self.reason = reason


@dataclass(frozen=True)
class _Kind:
    kind: str
    api_version: str
    api: str  # the kubernetes.client API class
    list_method: str
    plural: str
    namespaced: bool = True


KINDS = (
    _Kind("Deployment", "apps/v1", "AppsV1Api", "list_namespaced_deployment", "deployments"),
    _Kind("StatefulSet", "apps/v1", "AppsV1Api", "list_namespaced_stateful_set", "statefulsets"),
    _Kind("DaemonSet", "apps/v1", "AppsV1Api", "list_namespaced_daemon_set", "daemonsets"),
    _Kind("ReplicaSet", "apps/v1", "AppsV1Api", "list_namespaced_replica_set", "replicasets"),
    _Kind("Pod", "v1", "CoreV1Api", "list_namespaced_pod", "pods"),
    _Kind("PodDisruptionBudget", "policy/v1", "PolicyV1Api", "list_namespaced_pod_disruption_budget",
          "poddisruptionbudgets"),
    _Kind("HorizontalPodAutoscaler", "autoscaling/v2", "AutoscalingV2Api",
          "list_namespaced_horizontal_pod_autoscaler", "horizontalpodautoscalers"),
    _Kind("Service", "v1", "CoreV1Api", "list_namespaced_service", "services"),
    _Kind("Ingress", "networking.k8s.io/v1", "NetworkingV1Api", "list_namespaced_ingress", "ingresses"),
    _Kind("NetworkPolicy", "networking.k8s.io/v1", "NetworkingV1Api", "list_namespaced_network_policy",
          "networkpolicies"),
    _Kind("ServiceAccount", "v1", "CoreV1Api", "list_namespaced_service_account", "serviceaccounts"),
    _Kind("ConfigMap", "v1", "CoreV1Api", "list_namespaced_config_map", "configmaps"),
    _Kind("Node", "v1", "CoreV1Api", "list_node", "nodes", namespaced=False),
    _Kind("Event", "v1", "CoreV1Api", "list_namespaced_event", "events"),
)
COLLECTED_KINDS = tuple(k.kind for k in KINDS)


class _Session:
    """One ApiClient for one context; counts requests and turns transport failures into ClusterUnavailable."""

    def __init__(self, api_client: ApiClient, context: str, namespace: str, timeout: float) -> None:
        self.api_client = api_client
        self.context = context
        self.namespace = namespace
        self.timeout = timeout
        self.request_count = 0
        self.problems: list[ParseProblem] = []  # live objects of a shape the checks cannot read

    @property
    def server(self) -> str:
        return str(self.api_client.configuration.host)

    def get(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> bytes:
        """One GET through a kubernetes.client API method, returning the raw body: the client's models would
        cost far more time and memory than the request itself (and the checks want plain dicts anyway)."""
        import urllib3
        from kubernetes.client.exceptions import ApiException

        self.request_count += 1
        try:
            response = method(*args, _request_timeout=self.timeout, _preload_content=False, **kwargs)
            try:
                return bytes(response.data)  # read here, so a timeout while reading is caught below
            finally:
                response.release_conn()
        except urllib3.exceptions.MaxRetryError as exc:
            raise self.unreachable(_transport_problem(exc.reason or exc, self.timeout)) from exc
        except urllib3.exceptions.HTTPError as exc:
            raise self.unreachable(_transport_problem(exc, self.timeout)) from exc
        except ApiException as exc:
            if exc.status == 0:  # the client's wrapping of TLS failures
                raise self.unreachable(f"TLS failed ({_first_line(str(exc.reason))})") from exc
            if exc.status == 401:
                raise ClusterUnavailable(
                    f"the Kubernetes API server at {self.server} rejected the credentials of context "
                    f"{self.context} (401 Unauthorized)"
                ) from exc
            raise

    def unreachable(self, problem: str) -> ClusterUnavailable:
        return ClusterUnavailable(f"cannot reach the Kubernetes API server at {self.server}: {problem}")

    def list_all(self, kind: _Kind, page_size: int) -> list[KubeObject]:
        from kubernetes import client

        method = getattr(getattr(client, kind.api)(self.api_client), kind.list_method)
        args = (self.namespace,) if kind.namespaced else ()
        objects: list[KubeObject] = []
        token = None
        while True:
            body = self.get(method, *args, limit=page_size, **({"_continue": token} if token else {}))
            items, token = _page(body)
            for item in items:
                obj = self.to_object(kind, item)
                wrong = shapes.first_problem(obj.body)
                if wrong is None:
                    objects.append(obj)
                else:
                    self.problems.append(ParseProblem(obj.location, f"{wrong.message} ({obj.ref})"))
            if not token:
                return objects

    def to_object(self, kind: _Kind, item: dict[str, Any]) -> KubeObject:
        item.pop("apiVersion", None)  # list items carry none on the wire; the List does
        item.pop("kind", None)
        body = {"apiVersion": kind.api_version, "kind": kind.kind, **item}
        metadata = body.get("metadata")
        if not isinstance(metadata, dict):
            metadata = body["metadata"] = {}
        metadata.pop("managedFields", None)
        if kind.kind == "ConfigMap":
            _blank_values(body)
        scope = f"{metadata.get('namespace')}/" if kind.namespaced else ""
        where = f"cluster:{self.context}/{scope}{kind.kind}/{metadata.get('name', '<unnamed>')}"
        return KubeObject(body, Location(where), origin="cluster")

    def read_log(self, namespace: str, pod: str, container: str, tail_lines: int) -> str:
        from kubernetes import client
        from kubernetes.client.exceptions import ApiException

        api = client.CoreV1Api(self.api_client)
        try:
            text = self.get(api.read_namespaced_pod_log, pod, namespace, container=container,
                            tail_lines=tail_lines, limit_bytes=LOG_LIMIT_BYTES)
        except ApiException as exc:
            if exc.status == 403:
                reason = f"no permission to read logs of pod {pod} in namespace {namespace}"
                raise ClusterUnavailable(reason) from exc
            raise ClusterUnavailable(
                f"cannot read logs of container {container} in pod {pod}: {_status_message(exc)}"
            ) from exc
        return text.decode("utf-8", errors="replace")  # limitBytes may cut a character in two


class ClusterSnapshot(ObjectSet):
    """The objects of one namespace (and the cluster's nodes), listed once."""

    def __init__(self, session: _Session, objects: list[KubeObject], denied: dict[str, str]) -> None:
        super().__init__(name=f"cluster:{session.context}", objects=objects, problems=list(session.problems))
        self.context = session.context
        self.namespace = session.namespace
        self.server = session.server
        self.denied = denied  # kind -> why it could not be listed
        self._session = session
        self._logs: dict[tuple[str, str, str, int], str | ClusterUnavailable] = {}
        self._by_kind: dict[str, list[KubeObject]] = {}
        for obj in objects:
            self._by_kind.setdefault(obj.kind, []).append(obj)

    def of_kind(self, *kinds: str) -> list[KubeObject]:
        if len(kinds) == 1:  # the common lookup, made per workload: no scan of thousands of objects
            return list(self._by_kind.get(kinds[0], []))
        return super().of_kind(*kinds)

    def covers(self, kind: str) -> bool:
        return kind in COLLECTED_KINDS and kind not in self.denied

    @property
    def description(self) -> str:
        return f"context {self.context} ({self.server}), namespace {self.namespace}"

    @property
    def request_count(self) -> int:
        return self._session.request_count

    def require(self, kind: str) -> list[KubeObject]:
        """The objects of `kind`; ClusterUnavailable if they could not be listed."""
        if kind not in COLLECTED_KINDS:
            collected = ", ".join(COLLECTED_KINDS)
            raise ValueError(f"{kind} is not collected from the cluster (collected: {collected})")
        if kind in self.denied:
            raise ClusterUnavailable(self.denied[kind])
        return self.of_kind(kind)

    def pod_logs(self, pod: KubeObject, container: str, tail_lines: int = 200) -> str:
        """The last `tail_lines` lines (at most 1 MiB) of a container's log, fetched once."""
        key = (pod.namespace or self.namespace, pod.name, container, tail_lines)
        if key not in self._logs:
            try:
                self._logs[key] = self._session.read_log(*key)
            except ClusterUnavailable as exc:
                self._logs[key] = exc
        result = self._logs[key]
        if isinstance(result, ClusterUnavailable):
            raise result
        return result

    def close(self) -> None:
        self._session.api_client.close()  # type: ignore[no-untyped-call]


def load_snapshot(target: ClusterTarget, *, page_size: int = 500, timeout: float = 10) -> ClusterSnapshot:
    """List every collected kind once; raises ClusterUnavailable if the cluster cannot be read at all."""
    from kubernetes.client.exceptions import ApiException

    if page_size < 1:
        raise ValueError(f"page_size must be at least 1, not {page_size}")
    session = _connect_in_cluster(target, timeout) if target.in_cluster else _connect(target, timeout)
    objects: list[KubeObject] = []
    denied: dict[str, str] = {}
    try:
        for kind in KINDS:
            try:
                objects.extend(session.list_all(kind, page_size))
            except ApiException as exc:
                denied[kind.kind] = _unlisted_reason(exc, kind, session)
            except ValueError as exc:  # a body that is not a JSON list of objects
                denied[kind.kind] = f"the API server returned {kind.plural} that cannot be read: " + \
                    quote(_first_line(str(exc)), 200)
        if len(denied) == len(KINDS):
            raise ClusterUnavailable(f"nothing could be read from the Kubernetes API server at {session.server} "
                                     f"(context {session.context}, namespace {session.namespace}): "
                                     + _summary(denied))
    except BaseException:
        session.api_client.close()  # type: ignore[no-untyped-call]
        raise
    return ClusterSnapshot(session, objects, denied)


def _summary(denied: dict[str, str]) -> str:
    """Why no kind could be listed, each reason told once."""
    reasons = list(dict.fromkeys(denied.values()))
    more = f" (and {len(reasons) - 3} more reasons)" if len(reasons) > 3 else ""
    return "; ".join(reasons[:3]) + more


def _connect(target: ClusterTarget, timeout: float) -> _Session:
    from kubernetes import config
    from kubernetes.client import ApiClient
    from kubernetes.config.config_exception import ConfigException

    path = target.kubeconfig or os.environ.get("KUBECONFIG") or DEFAULT_KUBECONFIG
    if target.kubeconfig and not Path(target.kubeconfig).expanduser().is_file():
        raise ClusterUnavailable(f"kubeconfig {target.kubeconfig} does not exist")
    path = os.path.expanduser(path)
    try:
        contexts, current = config.list_kube_config_contexts(config_file=path)  # type: ignore[no-untyped-call]
    except yaml.YAMLError as exc:
        raise ClusterUnavailable(f"cannot read kubeconfig {path}: {_yaml_problem(exc)}") from exc
    except (ConfigException, OSError, ValueError) as exc:
        raise ClusterUnavailable(f"cannot read kubeconfig {path}: {_first_line(str(exc))}") from exc
    except (TypeError, AttributeError, KeyError) as exc:  # YAML, but not shaped like a kubeconfig
        raise ClusterUnavailable(f"cannot read kubeconfig {path}: not a kubeconfig (a mapping with clusters, "
                                 f"contexts and users): {type(exc).__name__}: {_first_line(str(exc))}") from exc
    context = target.context or (current or {}).get("name")
    if not context:
        raise ClusterUnavailable(f"kubeconfig {path} has no current-context; name the context to use")
    entry = next((c for c in contexts or [] if c.get("name") == context), None)
    if entry is None:
        names = ", ".join(str(c.get("name")) for c in contexts or []) or "none"
        raise ClusterUnavailable(f"context {context} is not in kubeconfig {path} (contexts: {names})")
    configuration = _configuration()
    try:
        config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=path, context=context, client_configuration=configuration, persist_config=False
        )
    except (ConfigException, OSError, ValueError) as exc:
        raise ClusterUnavailable(f"cannot use context {context} of kubeconfig {path}: "
                                 f"{_first_line(str(exc))}") from exc
    except (TypeError, AttributeError, KeyError) as exc:
        raise ClusterUnavailable(f"cannot use context {context} of kubeconfig {path}: not a kubeconfig: "
                                 f"{type(exc).__name__}: {_first_line(str(exc))}") from exc
    if not urlsplit(str(configuration.host or "")).hostname:
        cluster = (entry.get("context") or {}).get("cluster") if isinstance(entry.get("context"), dict) else None
        raise ClusterUnavailable(f"the kubeconfig's cluster has no server: context {context} of kubeconfig {path} "
                                 f"names cluster {cluster or '(none)'}, which gives no `server` URL")
    namespace = target.namespace or (entry.get("context") or {}).get("namespace") or "default"
    return _Session(ApiClient(configuration), context, namespace, timeout)


def _connect_in_cluster(target: ClusterTarget, timeout: float) -> _Session:
    from kubernetes.client import ApiClient
    from kubernetes.config.config_exception import ConfigException
    from kubernetes.config.incluster_config import InClusterConfigLoader

    configuration = _configuration()
    loader = InClusterConfigLoader(  # type: ignore[no-untyped-call]
        token_filename=str(SERVICE_ACCOUNT_DIR / "token"), cert_filename=str(SERVICE_ACCOUNT_DIR / "ca.crt")
    )
    try:
        loader.load_and_set(configuration)  # type: ignore[no-untyped-call]
    except (ConfigException, OSError) as exc:
        raise ClusterUnavailable(f"no in-cluster service account (not running in a pod?): {exc}") from exc
    namespace_file = SERVICE_ACCOUNT_DIR / "namespace"
    own_namespace = namespace_file.read_text().strip() if namespace_file.is_file() else ""
    return _Session(ApiClient(configuration), "in-cluster", target.namespace or own_namespace or "default",
                    timeout)


def _configuration() -> Configuration:
    """A private client configuration (never the global default) that fails fast: no retries."""
    from kubernetes.client import Configuration

    configuration = Configuration()
    configuration.retries = 0
    return configuration


def _unlisted_reason(exc: ApiException, kind: _Kind, session: _Session) -> str:
    where = f"in namespace {session.namespace}" if kind.namespaced else "(cluster-scoped)"
    if exc.status == 403:
        return f"no permission to list {kind.plural} {where}"
    if exc.status == 404:
        return f"the API server does not serve {kind.plural} ({kind.api_version})"
    raise ClusterUnavailable(
        f"listing {kind.plural} {where} failed: {exc.status} {exc.reason}: {_status_message(exc)}"
    ) from exc


def _page(body: bytes) -> tuple[list[dict[str, Any]], str | None]:
    """The items of one page of a List, and the token of the next page (None after the last)."""
    if body.lstrip()[:1] == b"<":
        raise ValueError("an HTML or XML page, not JSON (a proxy or a login page in front of the API server?)")
    try:
        page = json.loads(body)  # never quote the body in a message: it may hold a ConfigMap's values
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    items = page.get("items") if isinstance(page, dict) else None
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ValueError(f"a JSON {type(page).__name__} that is not a List of objects")
    metadata = page.get("metadata")
    token = metadata.get("continue") if isinstance(metadata, dict) else None
    return items, str(token) if token else None


def _blank_values(config_map: dict[str, Any]) -> None:
    """Keep a ConfigMap's keys, drop its values (and kubectl's copy of them) so none reach a report."""
    for field in ("data", "binaryData"):
        if isinstance(config_map.get(field), dict):
            config_map[field] = dict.fromkeys(config_map[field], "")
    annotations = (config_map.get("metadata") or {}).get("annotations") or {}
    if LAST_APPLIED in annotations:
        annotations[LAST_APPLIED] = ""


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or _first_line(str(exc))
    return f"line {mark.line + 1}: {problem}" if mark is not None else str(problem)


def _status_message(exc: ApiException) -> str:
    try:
        message = json.loads(exc.body or "").get("message")
    except (ValueError, AttributeError):
        message = None
    return str(message or exc.reason or "no message")


def _transport_problem(error: BaseException, timeout: float) -> str:
    from urllib3 import exceptions

    if isinstance(error, exceptions.SSLError):
        return f"TLS failed ({_first_line(str(error))})"
    # NameResolutionError < NewConnectionError < ConnectTimeoutError in urllib3, so test in this order
    if isinstance(error, exceptions.NameResolutionError):
        return "the host name does not resolve"
    if isinstance(error, exceptions.NewConnectionError):
        refused = isinstance(error.__cause__, ConnectionRefusedError) or "refused" in str(error).lower()
        return "connection refused" if refused else f"cannot connect ({_first_line(str(error))})"
    if isinstance(error, exceptions.ConnectTimeoutError):
        return f"no connection within {timeout:g}s"
    if isinstance(error, exceptions.ReadTimeoutError):
        return f"no response within {timeout:g}s"
    if isinstance(error, exceptions.ProtocolError):
        return "the connection closed before the response was complete"
    return _first_line(str(error))


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text
