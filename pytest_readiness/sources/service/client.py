"""The running agent service over HTTP(S): one shared httpx client, bounded in time and in requests.

Every probe of the live checks goes through `ServiceTarget.request`: it spends one unit of the run's
request budget, uses connect/read timeouts from the settings, and turns transport failures into a
failed check with a clear message. A target that refuses connections is not asked again: every later
probe fails at once with the first error, so an unreachable service costs one timeout, not one per
check. Credentials come from environment variables the user names and never appear in a message.
"""

from __future__ import annotations

import fnmatch
import os
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn, TypeVar
from urllib.parse import urlsplit

import httpx
import pytest

from pytest_readiness.api import Unverified
from pytest_readiness.results import Location
from pytest_readiness.secrets import mask_in_text
from pytest_readiness.settings import Settings
from pytest_readiness.sources.reading import quote
from pytest_readiness.sources.service.deadline import Deadline, install

T = TypeVar("T")
READ_TIMEOUTS_BEFORE_DOWN = 2  # a target that let this many requests time out is treated as down


Failed = pytest.fail.Exception


class ProbeFailed(Failed):  # type: ignore[misc,valid-type]
    """The service could not be asked (refused, timed out, invalid answer): the check fails."""

    def __init__(self, message: str) -> None:
        super().__init__(message, pytrace=False)


class BudgetExhausted(Unverified):
    def __init__(self, limit: int, detail: str = "") -> None:
        super().__init__(
            f"request budget of {limit} exhausted{detail}: raise --readiness-request-budget "
            "(ini readiness_request_budget)"
        )


@dataclass(frozen=True)
class Credential:
    """A caller's token or API key, read from the environment variable `env`."""

    env: str
    value: str = field(repr=False)
    scheme: str = "bearer"  # "bearer", or the name of the header that carries the key

    def headers(self) -> dict[str, str]:
        if self.scheme.lower() == "bearer":
            return {"Authorization": f"Bearer {self.value}"}
        return {self.scheme: self.value}

    def __str__(self) -> str:
        return f"the credential in ${self.env}"


@dataclass(frozen=True)
class Answer:
    """One response, read in full, with the wall-clock time the request took."""

    response: httpx.Response
    seconds: float

    @property
    def status(self) -> int:
        return self.response.status_code

    def snippet(self, limit: int = 200) -> str:
        text = " ".join(self.response.text.split())
        return text if len(text) <= limit else text[:limit] + "…"


def _tls_verify(settings: Settings) -> ssl.SSLContext | bool:
    if settings.insecure:
        return False
    if settings.ca_bundle:
        return ssl.create_default_context(cafile=str(settings.resolve(settings.ca_bundle)))
    return True


class ServiceTarget:
    """The service at `settings.url`; nothing is sent until a check asks for something."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.base_url = settings.url.rstrip("/")
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ProbeFailed(f"--readiness-url {settings.url!r} is not an http(s) URL with a host")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.sent = 0
        self._client: httpx.Client | None = None
        self._down: str | None = None
        self._read_timeouts = 0
        self._memo: dict[str, tuple[bool, Any]] = {}
        self._deadline = Deadline()

    @property
    def cafile(self) -> str | None:
        """The CA bundle that verifies the service's certificate (None: the system's CAs)."""
        return str(self.settings.resolve(self.settings.ca_bundle)) if self.settings.ca_bundle else None

    # --- budget and state ---------------------------------------------------------------------

    @property
    def budget(self) -> int:
        return self.settings.request_budget

    @property
    def remaining(self) -> int:
        return max(0, self.budget - self.sent)

    def spend(self, count: int = 1) -> None:
        """Take `count` requests from the budget, or end the check as unverified."""
        if self.sent + count > self.budget:
            raise BudgetExhausted(self.budget)
        self.sent += count

    def require(self, count: int, purpose: str) -> None:
        """End the check as unverified, before sending anything, when fewer than `count` requests are left."""
        if self.remaining < count:
            raise BudgetExhausted(self.budget, f" ({purpose} needs up to {count}, {self.remaining} left)")

    def fail_if_down(self) -> None:
        if self._down is not None:
            raise ProbeFailed(self._down)

    def mark_down(self, reason: str) -> None:
        self._down = f"{reason} (not asked again in this run)"

    def memo(self, key: str, load: Callable[[], T]) -> T:
        """Run `load` once per session; a failure is remembered and raised again."""
        if key not in self._memo:
            try:
                self._memo[key] = (True, load())
            except (Exception, pytest.fail.Exception, pytest.skip.Exception) as exc:
                self._memo[key] = (False, exc)
        ok, value = self._memo[key]
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]

    # --- credentials --------------------------------------------------------------------------

    def credential(self, second: bool = False) -> Credential | None:
        """The (second) caller's credential, or None when no variable is named or it is empty."""
        env = self.settings.second_auth_env if second else self.settings.auth_env
        value = os.environ.get(env, "") if env else ""
        return Credential(env, value, self.settings.auth_scheme) if value else None

    def missing_credential(self, second: bool = False) -> str:
        """Why `credential(second)` is None, as an unverified reason."""
        flag, env = (
            ("--readiness-second-auth-env", self.settings.second_auth_env)
            if second
            else ("--readiness-auth-env", self.settings.auth_env)
        )
        if not env:
            return f"no credential: set {flag} to the NAME of an environment variable holding a token or key"
        return f"${env} (named by {flag}) is not set or empty"

    def secrets(self) -> list[str]:
        return [c.value for c in (self.credential(), self.credential(second=True)) if c is not None]

    def mask(self, text: str) -> str:
        return mask_in_text(text, self.secrets())

    # --- requests -----------------------------------------------------------------------------

    def url_of(self, path: str) -> str:
        return path if "://" in path else self.base_url + "/" + path.lstrip("/")

    def where(self, path: str) -> Location:
        return Location(self.url_of(path))

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            timeout = httpx.Timeout(self.settings.timeout)
            transport = httpx.HTTPTransport(verify=_tls_verify(self.settings), trust_env=False)
            install(transport, self._deadline)
            self._client = httpx.Client(timeout=timeout, transport=transport, follow_redirects=False, trust_env=False)
        return self._client

    @property
    def max_response_bytes(self) -> int:
        return max(1, int(self.settings.max_response_mib * 1024 * 1024))

    def request(
        self,
        method: str,
        path: str,
        *,
        credential: Credential | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        content: bytes | None = None,
    ) -> Answer:
        """Send one request (budget and timeouts applied) and read the whole answer."""
        self.fail_if_down()
        self.spend()
        all_headers = {**(credential.headers() if credential else {}), **(headers or {})}
        label = f"{method} {self.url_of(path)}"
        client = self.client
        started = time.perf_counter()
        self._deadline.start(self.settings.probe_deadline)
        try:
            with client.stream(method, self.url_of(path), headers=all_headers, json=json, content=content) as streamed:
                response = self._read_capped(streamed, label)
        except httpx.TimeoutException as exc:
            if self._deadline.passed():
                self._past_deadline(label)
            self._timed_out(label, exc)
        except httpx.DecodingError as exc:
            raise ProbeFailed(self.mask(f"{label}: the answer's body cannot be decoded: {quote(str(exc))}")) from None
        except (httpx.ConnectError, httpx.UnsupportedProtocol) as exc:
            reason = f"cannot connect to {self.base_url}: {_describe(exc)}"
            self.mark_down(reason)
            raise ProbeFailed(self.mask(f"{label}: {reason}")) from None
        except httpx.TransportError as exc:
            raise ProbeFailed(self.mask(f"{label}: {quote(_describe(exc))}")) from None
        finally:
            self._deadline.clear()
        return Answer(response, time.perf_counter() - started)

    def _read_capped(self, streamed: httpx.Response, label: str) -> httpx.Response:
        """The streamed answer read up to the size cap, as a complete httpx.Response."""
        cap = self.max_response_bytes
        declared = streamed.headers.get("content-length", "")
        if declared.isdigit() and len(declared) < 30 and int(declared) > cap:
            raise ProbeFailed(f"{label}: the answer declares {int(declared)} bytes, more than the "
                              f"{_size(cap)} read (--readiness-max-response-mib); not read")
        chunks: list[bytes] = []
        total = 0
        for chunk in streamed.iter_bytes():
            total += len(chunk)
            if total > cap:
                raise ProbeFailed(f"{label}: the answer is larger than the {_size(cap)} read "
                                  "(--readiness-max-response-mib); stopped reading")
            chunks.append(chunk)
            if self._deadline.passed():
                self._past_deadline(label)
        headers = streamed.headers.copy()
        headers.pop("content-encoding", None)  # the body is decoded already
        return httpx.Response(streamed.status_code, headers=headers, content=b"".join(chunks),
                              request=streamed.request, extensions=streamed.extensions)

    def _past_deadline(self, label: str) -> NoReturn:
        seconds = self.settings.probe_deadline
        self._read_timeouts += 1
        if self._read_timeouts >= READ_TIMEOUTS_BEFORE_DOWN:
            self.mark_down(f"{self.base_url} stopped answering: {self._read_timeouts} requests timed out")
        raise ProbeFailed(f"{label}: no complete answer within the probe deadline of {seconds:g}s "
                          "(--readiness-probe-deadline); stopped waiting") from None

    def _timed_out(self, label: str, exc: httpx.TimeoutException) -> NoReturn:
        seconds = self.settings.timeout
        if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
            reason = f"cannot connect to {self.base_url}: no connection within {seconds:g}s"
            self.mark_down(reason)
            raise ProbeFailed(f"{label}: {reason}") from None
        self._read_timeouts += 1
        if self._read_timeouts >= READ_TIMEOUTS_BEFORE_DOWN:
            self.mark_down(f"{self.base_url} stopped answering: {self._read_timeouts} requests timed out")
        raise ProbeFailed(f"{label}: no answer within {seconds:g}s (--readiness-timeout)") from None

    def get_json(self, path: str) -> tuple[Answer, Any]:
        """GET `path`; the parsed JSON body, or a failed check saying what came back instead."""
        answer = self.request("GET", path)
        try:
            return answer, answer.response.json()
        except ValueError:
            kind = answer.response.headers.get("content-type", "no content type")
            raise ProbeFailed(
                self.mask(f"GET {self.url_of(path)} answered {answer.status} {kind}, not JSON: {answer.snippet()!r}")
            ) from None

    def metrics(self) -> Metrics:
        """The scraped /metrics (or --readiness-metrics-url), parsed once per session."""
        return self.memo("metrics", self._scrape)

    def _scrape(self) -> Metrics:
        from prometheus_client.parser import text_string_to_metric_families

        url = self.settings.metrics_url or self.url_of("/metrics")
        answer = self.request("GET", url)
        if answer.status != 200:
            raise ProbeFailed(f"GET {url} answered {answer.status}, not 200 with Prometheus text")
        text = answer.response.text
        try:
            families = list(text_string_to_metric_families(text))
        except Exception as exc:  # the parser raises ValueError, IndexError, KeyError...
            line = _first_bad_line(text)
            raise ProbeFailed(
                self.mask(f"{url}:{line}: not valid Prometheus text ({quote(str(exc))}): {_line(text, line)!r}")
            ) from None
        return Metrics(url, families)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def _size(count: int) -> str:
    return f"{count / 1024 / 1024:g} MiB" if count >= 1024 * 1024 else f"{count} bytes"


def _describe(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    if "CERTIFICATE_VERIFY_FAILED" in text:
        text += " (set --readiness-ca-bundle to the CA that signed it, or --readiness-insecure)"
    return text


def _first_bad_line(text: str) -> int:
    from prometheus_client.parser import text_string_to_metric_families

    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() and not line.startswith("#"):
            try:
                list(text_string_to_metric_families(line + "\n"))
            except Exception:
                return number
    return 1


def _line(text: str, number: int) -> str:
    lines = text.splitlines()
    return lines[number - 1][:120] if 0 < number <= len(lines) else ""


@dataclass(frozen=True)
class Metrics:
    """Parsed Prometheus families (prometheus_client `Metric` objects) of one scrape."""

    url: str
    families: list[Any]

    def matching(self, pattern: str) -> list[Any]:
        """Families whose name, or one of whose sample names, matches the glob `pattern`."""
        return [
            family
            for family in self.families
            if fnmatch.fnmatchcase(family.name, pattern)
            or any(fnmatch.fnmatchcase(sample.name, pattern) for sample in family.samples)
        ]

    def total(self, pattern: str) -> float | None:
        """The sum of the counter values of the matching families, or None when none match."""
        families = self.matching(pattern)
        if not families:
            return None
        return sum(_counter_values(family) for family in families)


def _counter_values(family: Any) -> float:
    names = {f"{family.name}_total", family.name}
    return float(sum(sample.value for sample in family.samples if sample.name in names))


def header_values(response: httpx.Response, names: Iterable[str]) -> dict[str, str]:
    return {name: response.headers[name] for name in names if name in response.headers}
