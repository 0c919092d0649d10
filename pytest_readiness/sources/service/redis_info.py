"""The agent's Redis: one redis-py connection, read-only commands (PING, INFO, CONFIG GET), no retries.

TLS is the `rediss://` scheme (TLS 1.2 at least; the CA from --readiness-ca-bundle). The password comes
from the environment variable named by --readiness-redis-password-env, or from the URL; neither is
ever shown. When CONFIG is disabled (as on Azure Cache for Redis) the eviction policy is read from
`INFO memory` instead.
"""

from __future__ import annotations

import os
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import pytest

from pytest_readiness.results import Location
from pytest_readiness.secrets import mask_in_text
from pytest_readiness.settings import Settings

T = TypeVar("T")


Failed = pytest.fail.Exception


class RedisFailed(Failed):  # type: ignore[misc,valid-type]
    """Redis could not be reached or refused a command: the check fails with this message."""

    def __init__(self, message: str) -> None:
        super().__init__(message, pytrace=False)


@dataclass(frozen=True)
class EvictionPolicy:
    policy: str
    maxmemory: int | None  # bytes; 0 means no limit; None when Redis did not say
    source: str  # the command the values came from


def without_password(url: str) -> str:
    """The URL as it may be shown: user kept, password removed."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


@dataclass
class RedisTarget:
    """The Redis at `url`; connects on first use, and a failure is remembered for the rest of the run."""

    url: str
    password: str | None = field(default=None, repr=False)
    timeout: float = 5.0
    cafile: str | None = None
    insecure: bool = False
    deadline: float = 30.0  # each command's whole answer, however the server drips it
    _client: Any = field(default=None, init=False, repr=False)
    _memo: dict[str, tuple[bool, Any]] = field(default_factory=dict, init=False, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> RedisTarget:
        env = settings.redis_password_env
        password = os.environ.get(env) if env else None
        cafile = str(settings.resolve(settings.ca_bundle)) if settings.ca_bundle else None
        return cls(settings.redis_url, password or None, settings.timeout, cafile, settings.insecure,
                   settings.probe_deadline)

    @property
    def display(self) -> str:
        return without_password(self.url)

    @property
    def location(self) -> Location:
        return Location(self.display)

    @property
    def uses_tls(self) -> bool:
        return urlsplit(self.url).scheme == "rediss"

    def _connect(self) -> Any:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        options: dict[str, Any] = {
            "socket_timeout": self.timeout,
            "socket_connect_timeout": self.timeout,
            "retry": Retry(NoBackoff(), 0),
            "retry_on_timeout": False,
            "decode_responses": True,
        }
        if self.password:
            options["password"] = self.password
        if self.uses_tls:
            options["ssl_min_version"] = ssl.TLSVersion.TLSv1_2
            options["ssl_cert_reqs"] = "none" if self.insecure else "required"
            options["ssl_check_hostname"] = not self.insecure
            if self.cafile:
                options["ssl_ca_certs"] = self.cafile
        try:
            return redis.Redis.from_url(self.url, **options)
        except ValueError as exc:
            raise RedisFailed(f"invalid --readiness-redis-url {self.display}: {exc}") from None

    def _run(self, what: str, command: Callable[[Any], T]) -> T:
        import redis

        if self._client is None:
            self._client = self.memo("connect", self._connect)
        client = self._client
        outcome: list[Any] = []
        # A daemon thread, so a command stuck on a server that drips never holds the run or its exit.
        worker = threading.Thread(target=lambda: outcome.append(_attempt(command, client)), daemon=True,
                                  name="readiness-redis")
        worker.start()
        worker.join(self.deadline)
        if not outcome:
            client.connection_pool.disconnect()  # unblocks the read the command is stuck in
            raise RedisFailed(f"Redis {self.display}: {what} gave no complete answer within {self.deadline:g} s "
                              "(--readiness-probe-deadline): the server stalls or drips")
        ok, value = outcome[0]
        if ok:
            return value  # type: ignore[no-any-return]
        if isinstance(value, redis.exceptions.RedisError):
            message = mask_in_text(f"Redis {self.display}: {what} failed: {value}", [self.password or ""])
            raise RedisFailed(message) from None
        raise value

    def memo(self, key: str, load: Callable[[], T]) -> T:
        if key not in self._memo:
            try:
                self._memo[key] = (True, load())
            except (Exception, pytest.fail.Exception) as exc:
                self._memo[key] = (False, exc)
        ok, value = self._memo[key]
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]

    def ping(self) -> None:
        """PING once; a connection failure fails every later command at once."""
        self.memo("ping", lambda: self._run("PING", lambda client: client.ping()))

    def stats(self) -> dict[str, Any]:
        self.ping()
        return self.memo("stats", lambda: dict(self._run("INFO stats", lambda client: client.info("stats"))))

    def eviction(self) -> EvictionPolicy:
        self.ping()
        return self.memo("eviction", self._eviction)

    def _eviction(self) -> EvictionPolicy:
        import redis

        try:
            config = self._client.config_get("maxmemory-policy", "maxmemory")
            maxmemory = config.get("maxmemory")
            return EvictionPolicy(
                str(config["maxmemory-policy"]),
                int(maxmemory) if maxmemory is not None else None,
                "CONFIG GET",
            )
        except (redis.exceptions.ResponseError, KeyError):
            memory = self._run("INFO memory", lambda client: client.info("memory"))
            if "maxmemory_policy" not in memory:
                raise RedisFailed(
                    f"Redis {self.display}: neither CONFIG GET nor INFO memory gives maxmemory-policy"
                ) from None
            maxmemory = memory.get("maxmemory")
            return EvictionPolicy(
                str(memory["maxmemory_policy"]),
                int(maxmemory) if maxmemory is not None else None,
                "INFO memory (CONFIG is disabled)",
            )
        except redis.exceptions.RedisError as exc:
            message = f"Redis {self.display}: CONFIG GET failed: {exc}"
            raise RedisFailed(mask_in_text(message, [self.password or ""])) from None

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def _attempt(command: Callable[[Any], T], client: Any) -> tuple[bool, Any]:
    try:
        return True, command(client)
    except Exception as exc:  # handed back to the caller's thread, which judges it
        return False, exc
