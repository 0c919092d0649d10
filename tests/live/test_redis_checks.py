"""The Redis checks against real redis-server processes: TLS with a trustme certificate, plain TCP,
CONFIG disabled, a password, and a port where nothing listens."""

from __future__ import annotations

import secrets
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from pytest_readiness.sources.service.redis_info import RedisFailed, RedisTarget, without_password

if TYPE_CHECKING:
    from conftest import RedisServer, TLSFiles

    from tests.conftest import ReadinessRun

pytestmark = pytest.mark.slow

Runner = Callable[..., "ReadinessRun"]
Launcher = Callable[..., "RedisServer"]
CHECKS = ("PERF-REDIS-TLS", "PERF-REDIS-HIT-RATE", "PERF-REDIS-EVICTION")
CACHE = ("--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru")


def lookups(server: RedisServer, hits: int, misses: int, **options: object) -> None:
    client = server.client(**options)
    client.set("answer:hello", "world")
    for _ in range(hits):
        assert client.get("answer:hello") is not None
    for number in range(misses):
        assert client.get(f"answer:missing-{number}") is None


def redis_run(run: Runner, url: str, *extra: str) -> ReadinessRun:
    result = run({}, "-m", "live", "--readiness-timeout=30", f"--readiness-redis-url={url}", *extra)  # loaded machine
    assert "INTERNALERROR" not in result.output, result.output[-3000:]
    return result


def test_a_tls_redis_with_a_password_an_eviction_policy_and_hits_passes(
    run_readiness: Runner, launch_redis: Launcher, tls_files: TLSFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    password = secrets.token_urlsafe(24)
    server = launch_redis(*CACHE, tls=True, password=password)
    lookups(server, hits=9, misses=1, password=password, ssl_ca_certs=str(tls_files.ca))
    monkeypatch.setenv("REDIS_PASSWORD", password)
    run = redis_run(run_readiness, server.url, f"--readiness-ca-bundle={tls_files.ca}",
                    "--readiness-redis-password-env", "REDIS_PASSWORD")
    assert {c: run.status(c) for c in CHECKS} == dict.fromkeys(CHECKS, "passed"), run.messages
    assert "keyspace_hits 9, keyspace_misses 1: hit rate 90.0%" in run.junit
    assert "CONFIG GET: maxmemory-policy allkeys-lru, maxmemory 67108864" in run.junit
    assert password not in run.output + run.junit


def test_a_plain_redis_without_eviction_and_with_misses_fails(run_readiness: Runner, launch_redis: Launcher) -> None:
    server = launch_redis()
    lookups(server, hits=1, misses=3)
    run = redis_run(run_readiness, server.url)
    expected = {
        "PERF-REDIS-TLS": "Redis is reached over plain redis://, without TLS (PING answered in clear text)",
        "PERF-REDIS-HIT-RATE": "hit rate 25.0% is below the 80% target",
        "PERF-REDIS-EVICTION": "maxmemory-policy is noeviction",
    }
    for check_id, message in expected.items():
        assert run.status(check_id) == "failed", run.messages[check_id]
        assert message in run.messages[check_id], run.messages[check_id]
    assert "maxmemory is 0 (no limit)" in run.messages["PERF-REDIS-EVICTION"]


def test_with_config_disabled_the_policy_comes_from_info_memory(run_readiness: Runner, launch_redis: Launcher) -> None:
    server = launch_redis(*CACHE, conf='rename-command CONFIG ""\n')
    run = redis_run(run_readiness, server.url, "-k", "eviction or hit_rate")
    assert run.status("PERF-REDIS-EVICTION") == "passed", run.messages["PERF-REDIS-EVICTION"]
    assert "INFO memory (CONFIG is disabled): maxmemory-policy allkeys-lru" in run.junit
    assert run.status("PERF-REDIS-HIT-RATE") == "unverified"
    assert "counts no lookups yet" in run.messages["PERF-REDIS-HIT-RATE"]


def test_a_wrong_password_fails_without_showing_it(launch_redis: Launcher) -> None:
    server = launch_redis(*CACHE, password=secrets.token_urlsafe(24))
    wrong = secrets.token_urlsafe(24)
    target = RedisTarget(server.url.replace("redis://", f"redis://default:{wrong}@"), password=wrong, timeout=2)
    with pytest.raises(RedisFailed) as failed:
        target.stats()
    assert "PING failed" in str(failed.value) and "redis://default:***@127.0.0.1" in str(failed.value)
    assert wrong not in str(failed.value)


def test_an_unreachable_redis_fails_at_once_and_is_not_asked_again() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        target = RedisTarget(f"rediss://127.0.0.1:{unused.getsockname()[1]}/0", timeout=1)
        with pytest.raises(RedisFailed, match="PING failed") as first:
            target.ping()
        for later in (target.stats, target.eviction):
            with pytest.raises(RedisFailed) as again:
                later()
            assert again.value is first.value


def test_urls_are_shown_without_their_password() -> None:
    assert without_password("rediss://default:s3cr3t-value@cache.example:6380/0") == \
        "rediss://default:***@cache.example:6380/0"
    assert without_password("redis://127.0.0.1:6379") == "redis://127.0.0.1:6379"
