"""A Redis that drips or stalls cannot hold its checks: each command has an overall deadline
(--readiness-probe-deadline), not only redis-py's per-read timeout, which a byte a second never trips."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from pytest_readiness.sources.service.redis_info import RedisFailed, RedisTarget


def _serve(listener: socket.socket, answer: bytes, gap: float, stop: threading.Event) -> None:
    listener.settimeout(0.2)
    while not stop.is_set():
        try:
            conn, _ = listener.accept()
        except OSError:
            continue
        with conn:
            conn.settimeout(0.2)
            try:
                conn.recv(65536)  # the command
                for byte in answer:
                    if stop.is_set():
                        return
                    conn.sendall(bytes([byte]))
                    time.sleep(gap)
                while not stop.is_set():  # then silence: an answer that never ends
                    time.sleep(0.05)
            except OSError:
                continue


@pytest.fixture
def dripping_redis() -> Iterator[str]:
    """A loopback server that answers PING with '+PONG...' one byte every 0.3 s and never ends the line."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    thread = threading.Thread(target=_serve, args=(listener, b"+PONGPONGPONGPONGPONGPONG", 0.3, stop), daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    stop.set()
    listener.close()
    thread.join(5)


@pytest.mark.parametrize("deadline", [1.5, 3.0])
def test_a_dripping_redis_fails_within_the_deadline(dripping_redis: str, deadline: float) -> None:
    target = RedisTarget(dripping_redis, timeout=5.0, deadline=deadline)  # per read: 5 s, never reached
    started = time.monotonic()
    stalled = r"PING gave no complete answer within [0-9.]+ s \(--readiness-probe-deadline\)"
    with pytest.raises(RedisFailed, match=stalled):
        target.ping()
    elapsed = time.monotonic() - started
    assert deadline <= elapsed < deadline + 5
    with pytest.raises(RedisFailed):  # remembered: later checks do not wait again
        target.ping()
    assert time.monotonic() - started < deadline + 6
    target.close()


def test_a_redis_that_is_not_there_fails_fast_with_its_own_reason() -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    target = RedisTarget(f"redis://127.0.0.1:{port}/0", timeout=2.0, deadline=30.0)
    started = time.monotonic()
    with pytest.raises(RedisFailed, match="PING failed"):
        target.ping()
    assert time.monotonic() - started < 10
