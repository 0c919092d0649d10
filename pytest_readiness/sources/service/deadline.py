"""An overall deadline for one HTTP probe, enforced on every socket operation.

httpx's timeouts bound each read, so a server that drips one byte a second (in its headers, its body
or its TLS handshake) would hold a probe forever. The network backend here gives every connect,
TLS handshake, read and write of the connection pool at most the time left until the probe's deadline,
and raises a timeout once it has passed.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import httpcore
from httpcore import NetworkBackend, NetworkStream


class Deadline:
    """The deadline of the probe in flight (one at a time: the service client is not shared across threads)."""

    def __init__(self) -> None:
        self.at: float | None = None
        self.seconds = 0.0

    def start(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def clear(self) -> None:
        self.at = None

    def passed(self) -> bool:
        return self.at is not None and time.monotonic() >= self.at

    def bound(self, timeout: float | None, error: type[Exception]) -> float | None:
        """`timeout` cut to the time left; `error` once none is left."""
        if self.at is None:
            return timeout
        left = self.at - time.monotonic()
        if left <= 0:
            raise error(f"the probe's deadline of {self.seconds:g}s passed")
        return left if timeout is None else min(timeout, left)


class _Stream(NetworkStream):
    def __init__(self, inner: NetworkStream, deadline: Deadline) -> None:
        self.inner = inner
        self.deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.inner.read(max_bytes, self.deadline.bound(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.inner.write(buffer, self.deadline.bound(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self.inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> NetworkStream:
        tls = self.inner.start_tls(ssl_context, server_hostname, self.deadline.bound(timeout, httpcore.ConnectTimeout))
        return _Stream(tls, self.deadline)

    def get_extra_info(self, info: str) -> Any:
        return self.inner.get_extra_info(info)


class DeadlineBackend(NetworkBackend):
    def __init__(self, inner: NetworkBackend, deadline: Deadline) -> None:
        self.inner = inner
        self.deadline = deadline

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> NetworkStream:
        stream = self.inner.connect_tcp(host, port, self.deadline.bound(timeout, httpcore.ConnectTimeout),
                                        local_address, socket_options)
        return _Stream(stream, self.deadline)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> NetworkStream:
        stream = self.inner.connect_unix_socket(path, self.deadline.bound(timeout, httpcore.ConnectTimeout),
                                                socket_options)
        return _Stream(stream, self.deadline)

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


def install(transport: Any, deadline: Deadline) -> bool:
    """Put the deadline under an httpx.HTTPTransport's connection pool; False if its layout is unknown."""
    pool = getattr(transport, "_pool", None)
    inner = getattr(pool, "_network_backend", None)
    if not isinstance(inner, NetworkBackend):
        return False
    pool._network_backend = DeadlineBackend(inner, deadline)  # type: ignore[union-attr]
    return True
