"""The static performance checks, run with `pytest --readiness` on deployment repos written to disk.

GOOD passes every check; each test overrides one or two files of it.
"""

from __future__ import annotations

import pytest

from pytest_readiness.catalog import load_catalog
from tests.checks.material import patched, with_files

ONLY_PERFORMANCE = ("-m", "performance and static", "-p", "no:hypothesispytest")
STATIC_IDS = [c.id for c in load_catalog().values() if c.category == "performance" and c.verify == "static"]
CONFIG_CHECKS = ("PERF-CACHE", "PERF-CACHE-TTL", "PERF-SUMMARIZATION", "PERF-TOKEN-LIMITS", "PERF-REDIS-POOL")

GOOD_CONFIG = """
    [agent]
    name = "msft-agent"

    [agent.llm]
    deployment = "gpt-4o"
    max_tokens = 4096
    context_window = 128000

    [agent.memory.cache]
    enabled = true
    backend = "redis"
    redis_url = "rediss://contoso-agent.redis.cache.windows.net:6380/0"
    ttl_seconds = 3600
    max_connections = 20

    [agent.memory.summarization]
    enabled = true
    max_tokens = 8000
"""

LOCUSTFILE = """
    from locust import HttpUser, task


    class AgentUser(HttpUser):
        @task
        def ask(self):
            self.client.post("/api/question", json={"question": "How do I request a laptop?"})
"""

GOOD: dict[str, str] = {"config/agent.toml": GOOD_CONFIG, "loadtest/locustfile.py": LOCUSTFILE}


def bad(overrides: dict[str, str | None]) -> dict[str, str]:
    return with_files(GOOD, overrides)


def config(*replacements: tuple[str, str]) -> dict[str, str]:
    return bad({"config/agent.toml": patched(GOOD_CONFIG, *replacements)})


@pytest.fixture
def run(run_readiness):
    return lambda files, *args: run_readiness(files, *ONLY_PERFORMANCE, *args)


def test_good_repo_passes_every_static_check(run) -> None:
    result = run(GOOD)
    assert {check: result.status(check) for check in STATIC_IDS} == dict.fromkeys(STATIC_IDS, "passed")
    assert "loadtest/locustfile.py" in result.junit  # evidence names the load test


BAD_CONFIG = """
    [agent.llm]
    deployment = "gpt-4o"
    max_tokens = 200000
    context_window = 128000

    [agent.memory.cache]
    enabled = true
    backend = "memory"
    ttl_seconds = 0
    max_connections = 0

    [agent.memory.summarization]
    enabled = false
"""


def test_each_gap_fails_and_names_the_file_and_line(run) -> None:
    result = run({"config/agent.toml": BAD_CONFIG, "loadtest/locustfile.py": LOCUSTFILE.replace("/api/question", "/")})
    expected = {
        "PERF-CACHE": "config/agent.toml:8: backend = 'memory' is not shared between replicas",
        "PERF-CACHE-TTL": "config/agent.toml:9: agent.memory.cache.ttl_seconds = 0: the TTL must be a positive",
        "PERF-SUMMARIZATION": "config/agent.toml:13: conversation summarization is not enabled",
        "PERF-TOKEN-LIMITS": "config/agent.toml:3: agent.llm.max_tokens = 200000 does not fit in the 128000-token",
        "PERF-REDIS-POOL": "config/agent.toml:10: max_connections must be a positive integer",
        "PERF-LOAD-TEST-SCRIPT": "never call /api/question",
    }
    for check, message in expected.items():
        assert result.status(check) == "failed", check
        assert message in result.messages[check], (check, result.messages[check])
    assert "max_tokens must be a positive integer (the history size" in result.messages["PERF-SUMMARIZATION"]
    assert "remediation" in result.messages["PERF-CACHE"]


def test_absent_config_is_unverified_and_absent_load_test_fails(run) -> None:
    result = run({"README.md": "# nothing here\n"})
    for check in CONFIG_CHECKS:
        assert result.status(check) == "unverified", check
        assert "no agent config at config/agent.toml" in result.messages[check]
    assert result.status("PERF-LOAD-TEST-SCRIPT") == "failed"
    assert "looked for Locust, k6, JMeter" in result.messages["PERF-LOAD-TEST-SCRIPT"]


def test_absent_keys(run) -> None:
    result = run(bad({"config/agent.toml": '[agent]\nname = "msft-agent"\n'}))
    assert result.status("PERF-CACHE") == "failed"
    assert "config/agent.toml:1: the session cache is not enabled" in result.messages["PERF-CACHE"]
    for check in ("PERF-CACHE-TTL", "PERF-REDIS-POOL"):  # about a cache that is not there
        assert result.status(check) == "not_applicable", check
    assert result.status("PERF-SUMMARIZATION") == "failed"
    assert result.status("PERF-TOKEN-LIMITS") == "failed"
    assert "the model's max_tokens must be a positive integer, got None" in result.messages["PERF-TOKEN-LIMITS"]


def test_missing_ttl_and_pool_fail(run) -> None:
    result = run(config(("ttl_seconds = 3600\n", ""), ("max_connections = 20\n", "")))
    assert result.status("PERF-CACHE-TTL") == "failed"
    assert "agent.memory.cache.ttl_seconds is not set: cached entries get no explicit expiry" in \
        result.messages["PERF-CACHE-TTL"]
    assert result.status("PERF-REDIS-POOL") == "failed"
    assert "config/agent.toml:9: [agent.memory.cache] sets none of max_connections" in \
        result.messages["PERF-REDIS-POOL"]


def test_unbounded_ttl_fails(run) -> None:
    result = run(config(("ttl_seconds = 3600", "ttl_seconds = 31536000")))
    assert result.status("PERF-CACHE-TTL") == "failed"
    assert "longer than 7 days" in result.messages["PERF-CACHE-TTL"]


@pytest.mark.parametrize(("replacements", "status", "message"), [
    pytest.param([("context_window = 128000\n", "")], "passed", "", id="window-from-known-model"),
    pytest.param([("context_window = 128000\n", ""), ('"gpt-4o"', '"my-deployment"')], "unverified",
                 "set [agent.llm] context_window", id="unknown-window"),
    pytest.param([("context_window = 128000", "context_window = 8000"), ("max_tokens = 4096", "max_tokens = 1024")],
                 "failed", "config/agent.toml:18: agent.memory.summarization.max_tokens = 8000 does not fit",
                 id="history-too-big"),
    pytest.param([("context_window = 128000", "context_window = 12000")], "failed",
                 "a summarized history (8000) plus an answer (4096) exceeds the 12000-token", id="sum-too-big"),
])
def test_token_limits_against_the_context_window(run, replacements: list[tuple[str, str]], status: str,
                                                 message: str) -> None:
    result = run(config(*replacements))
    assert result.status("PERF-TOKEN-LIMITS") == status, result.messages["PERF-TOKEN-LIMITS"]
    assert message in result.messages["PERF-TOKEN-LIMITS"]


@pytest.mark.parametrize(("path", "content"), [
    ("tests/load/script.js", "import http from 'k6/http';\nexport default function () {\n"
                             "  http.post(`${__ENV.BASE}/api/question`, '{}');\n}\n"),
    ("load/plan.jmx", '<jmeterTestPlan version="1.2"><stringProp name="HTTPSampler.path">/api/question'
                      "</stringProp></jmeterTestPlan>\n"),
    ("load/config.yaml", "version: v0.1\ntestId: agent\ntestPlan: plan.jmx\ntestType: JMX\n"),
])
def test_other_load_test_tools(run, path: str, content: str) -> None:
    files = bad({"loadtest/locustfile.py": None, path: content})
    if path.endswith("config.yaml"):
        files["load/plan.jmx"] = '<jmeterTestPlan><stringProp>/api/question</stringProp></jmeterTestPlan>\n'
    result = run(files)
    assert result.status("PERF-LOAD-TEST-SCRIPT") == "passed", result.messages["PERF-LOAD-TEST-SCRIPT"]


def test_importing_locust_elsewhere_is_not_a_load_test(run) -> None:
    files = bad({"loadtest/locustfile.py": None, "src/notes.py": '"""We could use locust one day."""\n'})
    assert run(files).status("PERF-LOAD-TEST-SCRIPT") == "failed"


def test_malformed_config_is_an_error_and_the_load_test_check_still_runs(run) -> None:
    result = run(bad({"config/agent.toml": "[agent.memory.cache]\nenabled = yes\n"}))
    for check in CONFIG_CHECKS:
        assert result.status(check) == "error", check
        assert "config/agent.toml:2" in result.messages[check]
    assert result.status("PERF-LOAD-TEST-SCRIPT") == "passed"
