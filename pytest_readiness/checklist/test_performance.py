"""Performance: the seed's Caching, Context Management, Connection Pooling and Load Testing sections, read
from the agent config and the repository's load-test files.

Checks: PERF-CACHE, PERF-CACHE-TTL, PERF-SUMMARIZATION, PERF-TOKEN-LIMITS, PERF-REDIS-POOL,
PERF-LOAD-TEST-SCRIPT.
"""

from __future__ import annotations

import re
from pathlib import PurePath

import pytest

from pytest_readiness import Evidence, check, not_applicable, unverified
from pytest_readiness.sources.common import positive_int
from pytest_readiness.sources.repo.agent_config import AgentConfig
from pytest_readiness.sources.repo.config_keys import CACHE, LLM, SUMMARIZATION
from pytest_readiness.sources.repo.files import Repo

MAX_TTL_SECONDS = 7 * 24 * 3600
POOL_KEYS = ("max_connections", "pool_size", "connection_pool_size", "max_pool_size")
API_PATH = "/api/question"

# Context windows (prompt + completion tokens) of Azure OpenAI models, used when the config names the model
# but not its window. Deployment names are free text, so only an exact model name is looked up.
CONTEXT_WINDOWS = {
    "gpt-4o": 128_000,
    "gpt-4o-mini": 128_000,
    "gpt-4-turbo": 128_000,
    "gpt-4": 8_192,
    "gpt-4-32k": 32_768,
    "gpt-35-turbo-16k": 16_384,
    "gpt-4.1": 1_047_576,
    "gpt-4.1-mini": 1_047_576,
    "gpt-4.1-nano": 1_047_576,
    "o1": 200_000,
    "o3-mini": 200_000,
    "o4-mini": 200_000,
}


def _require_cache(agent_config: AgentConfig) -> None:
    if agent_config.get(f"{CACHE}.enabled") is not True:
        not_applicable(f"the cache is not enabled ({agent_config.describe(f'{CACHE}.enabled')}); PERF-CACHE reports it")


@check("PERF-CACHE")
def test_redis_cache_enabled(agent_config: AgentConfig, evidence: Evidence) -> None:
    for key in ("enabled", "backend"):
        evidence.add(agent_config.describe(f"{CACHE}.{key}"))
    if agent_config.get(f"{CACHE}.enabled") is not True:
        evidence.finding("the session cache is not enabled", agent_config.where(f"{CACHE}.enabled"))
    backend = agent_config.get(f"{CACHE}.backend")
    if backend is not None and str(backend).lower() != "redis":
        evidence.finding(f"backend = {backend!r} is not shared between replicas: use \"redis\"",
                         agent_config.where(f"{CACHE}.backend"))
    evidence.fail_if_findings("the Redis session cache is not enabled")


@check("PERF-CACHE-TTL")
def test_cache_ttl(agent_config: AgentConfig, evidence: Evidence) -> None:
    _require_cache(agent_config)
    key = f"{CACHE}.ttl_seconds"
    ttl = agent_config.get(key)
    evidence.add(agent_config.describe(key))
    assert ttl is not None, f"{agent_config.describe(key)}: cached entries get no explicit expiry"
    assert positive_int(ttl), (
        f"{agent_config.describe(key)}: the TTL must be a positive number of seconds (0 or less keeps entries forever)"
    )
    assert ttl <= MAX_TTL_SECONDS, (
        f"{agent_config.describe(key)}: entries live longer than {MAX_TTL_SECONDS // 86400} days, so the cache "
        "fills with stale sessions"
    )


@check("PERF-SUMMARIZATION")
def test_summarization_enabled(agent_config: AgentConfig, evidence: Evidence) -> None:
    for key in ("enabled", "max_tokens"):
        evidence.add(agent_config.describe(f"{SUMMARIZATION}.{key}"))
    if agent_config.get(f"{SUMMARIZATION}.enabled") is not True:
        evidence.finding("conversation summarization is not enabled, so long sessions overflow the context",
                         agent_config.where(f"{SUMMARIZATION}.enabled"))
    max_tokens = agent_config.get(f"{SUMMARIZATION}.max_tokens")
    if not positive_int(max_tokens):
        evidence.finding(f"max_tokens must be a positive integer (the history size that triggers a summary), "
                         f"got {max_tokens!r}", agent_config.where(f"{SUMMARIZATION}.max_tokens"))
    evidence.fail_if_findings("summarization is not configured")


def _context_window(agent_config: AgentConfig, evidence: Evidence) -> int | None:
    declared = agent_config.get(f"{LLM}.context_window")
    if declared is not None:
        evidence.add(agent_config.describe(f"{LLM}.context_window"))
        return declared if positive_int(declared) else None
    for key in ("model", "deployment"):
        name = agent_config.get(f"{LLM}.{key}")
        if isinstance(name, str) and name.lower() in CONTEXT_WINDOWS:
            window = CONTEXT_WINDOWS[name.lower()]
            evidence.add(f"{agent_config.describe(f'{LLM}.{key}')}: a {window}-token context window")
            return window
    return None


@check("PERF-TOKEN-LIMITS")
def test_token_limits(agent_config: AgentConfig, evidence: Evidence) -> None:
    completion_key, history_key = f"{LLM}.max_tokens", f"{SUMMARIZATION}.max_tokens"
    completion, history = agent_config.get(completion_key), agent_config.get(history_key)
    evidence.add(agent_config.describe(completion_key))
    evidence.add(agent_config.describe(history_key))
    if not positive_int(completion):
        evidence.finding(f"the model's max_tokens must be a positive integer, got {completion!r}: without it one "
                         "answer can use the whole remaining context", agent_config.where(completion_key))
    if history is not None and not positive_int(history):
        evidence.finding(f"summarization max_tokens must be a positive integer, got {history!r}",
                         agent_config.where(history_key))
    window = _context_window(agent_config, evidence)
    if window is None:
        window_key = f"{LLM}.context_window"
        if agent_config.has(window_key):
            evidence.finding(f"context_window must be a positive integer, got {agent_config.get(window_key)!r}",
                             agent_config.where(window_key))
        evidence.fail_if_findings("token limits are not configured")
        model = agent_config.get(f"{LLM}.model", agent_config.get(f"{LLM}.deployment"))
        unverified(f"the context window of model {model!r} is unknown: set [agent.llm] context_window")
    for key, value in ((completion_key, completion), (history_key, history)):
        if positive_int(value) and value >= window:
            evidence.finding(f"{key} = {value} does not fit in the {window}-token context window",
                             agent_config.where(key))
    if positive_int(completion) and positive_int(history) and completion + history > window:
        evidence.finding(f"a summarized history ({history}) plus an answer ({completion}) exceeds the {window}-token "
                         "context window", agent_config.where(history_key))
    evidence.fail_if_findings("token limits do not fit the model's context window")


@check("PERF-REDIS-POOL")
def test_redis_connection_pool(agent_config: AgentConfig, evidence: Evidence) -> None:
    _require_cache(agent_config)
    present = [key for key in POOL_KEYS if agent_config.has(f"{CACHE}.{key}")]
    if not present:
        pytest.fail(f"{agent_config.where(CACHE)}: [{CACHE}] sets none of {', '.join(POOL_KEYS)}: the Redis client's "
                    "default pool is unbounded, so a burst opens a connection per request", pytrace=False)
    for key in present:
        evidence.add(agent_config.describe(f"{CACHE}.{key}"))
        if not positive_int(agent_config.get(f"{CACHE}.{key}")):
            evidence.finding(f"{key} must be a positive integer", agent_config.where(f"{CACHE}.{key}"))
    evidence.fail_if_findings("the Redis connection pool is not bounded")


# --- load-test definitions ----------------------------------------------------------------------

_LOAD_TOOLS = (
    ("Locust", ("*.py",), re.compile(r"^\s*(?:from\s+locust\b|import\s+locust\b)", re.MULTILINE)),
    ("k6", ("*.js", "*.ts"), re.compile(r"""from\s+["']k6(?:/[\w-]+)?["']""")),
    ("JMeter", ("*.jmx",), re.compile(r"<jmeterTestPlan\b")),
    ("Azure Load Testing", ("*.yaml", "*.yml"), re.compile(r"^testPlan:|^testType:\s*(?:JMX|Locust|URL)",
                                                           re.MULTILINE)),
    ("Artillery", ("*.yaml", "*.yml"), re.compile(r"^scenarios:", re.MULTILINE)),
)


@check("PERF-LOAD-TEST-SCRIPT")
def test_load_test_script(repo: Repo, evidence: Evidence) -> None:
    found: list[tuple[str, str]] = []
    for tool, patterns, marker in _LOAD_TOOLS:
        for path in repo.matching(*patterns):
            if marker.search(repo.text(path) or ""):
                found.append((tool, path))
    if not found:
        pytest.fail("no load test in the repository: looked for Locust, k6, JMeter, Azure Load Testing and "
                    "Artillery definitions", pytrace=False)
    texts = {path: repo.text(path) or "" for _, path in found}
    plans = [p for p in repo.matching("*.jmx", "*.py", "*.js") if any(PurePath(p).name in t for t in texts.values())]
    targeting = [path for path in [*texts, *plans] if API_PATH in (repo.text(path) or "")]
    for tool, path in found:
        evidence.add(f"{tool} load test", path)
    assert targeting, (
        f"the load tests ({', '.join(p for _, p in found)}) never call {API_PATH}: load the agent's own endpoint"
    )
    evidence.add(f"exercises {API_PATH}", targeting[0])

