"""The static compliance checks, run with `pytest --readiness` on deployment repos written to disk.

GOOD passes every check; each test overrides a file of it.
"""

from __future__ import annotations

import textwrap

import pytest

from pytest_readiness.catalog import load_catalog
from tests.checks.material import documents, patched, shared, with_files

ONLY_COMPLIANCE = ("-m", "compliance and static", "-p", "no:hypothesispytest")
STATIC_IDS = [c.id for c in load_catalog().values() if c.category == "compliance" and c.verify == "static"]

GOOD_CONFIG = """
    [agent.llm]
    endpoint = "https://contoso-agent-openai.openai.azure.com/"

    [agent.secrets]
    keyvault_url = "https://contoso-agent-kv.vault.azure.net/"

    [agent.memory.cache]
    enabled = true
    redis_url = "rediss://contoso-agent.redis.cache.windows.net:6380/0"

    [agent.memory.persistence]
    enabled = true
    backend = "adls"
    account_url = "https://contosoagentdata.dfs.core.windows.net/"
    retention_days = 90

    [agent.observability]
    otlp_endpoint = "http://localhost:4317"

    [agent.data]
    retention_days = 30
"""

INGRESS = documents(shared("agent-ingress-tls.yaml"), shared("agent-configmap.yaml")
                    + "  OTEL_EXPORTER_OTLP_ENDPOINT: http://otel-collector.monitoring.svc:4317\n")

GOOD: dict[str, str] = {"config/agent.toml": GOOD_CONFIG, "deployment/kubernetes/ingress.yaml": INGRESS}


def bad(overrides: dict[str, str | None]) -> dict[str, str]:
    return with_files(GOOD, overrides)


@pytest.fixture
def run(run_readiness):
    return lambda files, *args: run_readiness(files, *ONLY_COMPLIANCE, *args)


def test_good_repo_passes_every_static_check(run) -> None:
    result = run(GOOD)
    assert {check: result.status(check) for check in STATIC_IDS} == dict.fromkeys(STATIC_IDS, "passed")
    assert "agent.memory.cache.redis_url = rediss://" in result.junit


BAD_CONFIG = """
    [agent.llm]
    endpoint = "http://contoso-agent-openai.openai.azure.com/"

    [agent.memory.cache]
    redis_url = "redis://:s3cr3tPassw0rdValue9@contoso-agent.redis.cache.windows.net:6379/0"
    ssl = false

    [agent.memory.persistence]
    enabled = true
    retention_days = 0
"""

STORAGE_OVER_HTTP = textwrap.dedent("""
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: msft-agent
    spec:
      template:
        spec:
          containers:
            - name: agent
              image: msft-agent:1.4.2
              env:
                - name: STORAGE_URL
                  value: http://contosoagentdata.blob.core.windows.net/
""").lstrip("\n")

# The shared Ingresses without TLS, named and hosted as the assertions below say.
BAD_INGRESS = documents(patched(shared("agent-ingresses-without-tls.yaml"), ("name: plain", "name: msft-agent"),
                                ("      secretName: agent-tls\n", ""), ("admin.contoso.com", "admin.contoso.net")),
                        STORAGE_OVER_HTTP)


def test_each_gap_fails_and_names_the_file_and_line(run) -> None:
    result = run({"config/agent.toml": BAD_CONFIG, "deployment/kubernetes/ingress.yaml": BAD_INGRESS})
    assert result.status("COMP-DATA-RETENTION") == "failed"
    assert ("config/agent.toml:10: agent.memory.persistence.retention_days = 0: retention must be a positive number "
            "of days") in result.messages["COMP-DATA-RETENTION"]
    assert result.status("COMP-ENCRYPTION-IN-TRANSIT") == "failed"
    message = result.messages["COMP-ENCRYPTION-IN-TRANSIT"]
    for expected in (
        "config/agent.toml:2: agent.llm.endpoint: http:// to contoso-agent-openai.openai.azure.com is unencrypted",
        "config/agent.toml:5: agent.memory.cache.redis_url: redis:// to contoso-agent.redis.cache.windows.net",
        "config/agent.toml:6: agent.memory.cache.ssl = false turns TLS",
        "deployment/kubernetes/ingress.yaml:1: Ingress/msft-agent has no tls section",
        "deployment/kubernetes/ingress.yaml:9: Ingress/partial host admin.contoso.net is not in its tls hosts",
        'Ingress/partial sets nginx.ingress.kubernetes.io/ssl-redirect: "false"',
        "ingress.yaml:30: Deployment/msft-agent/agent env STORAGE_URL: http:// to contosoagentdata.blob",
    ):
        assert expected in message, (expected, message)
    assert "s3cr3tPassw0rdValue9" not in result.output + result.junit


def test_absent_inputs_are_unverified(run) -> None:
    result = run({"README.md": "# nothing here\n"})
    for check in STATIC_IDS:
        assert result.status(check) == "unverified", check
    assert "no agent config at config/agent.toml" in result.messages["COMP-DATA-RETENTION"]
    assert "neither the agent config nor Kubernetes manifests" in result.messages["COMP-ENCRYPTION-IN-TRANSIT"]


def test_encryption_is_unverified_with_only_half_the_inputs(run) -> None:
    result = run(bad({"deployment/kubernetes/ingress.yaml": None}))
    assert result.status("COMP-ENCRYPTION-IN-TRANSIT") == "unverified"
    assert "set --readiness-manifests" in result.messages["COMP-ENCRYPTION-IN-TRANSIT"]


def test_retention_is_unverified_when_nothing_is_persisted(run) -> None:
    nothing_kept = '[agent]\nname = "msft-agent"\n'
    assert run(bad({"config/agent.toml": nothing_kept})).status("COMP-DATA-RETENTION") == "unverified"


def test_persisted_sessions_without_retention_fail(run) -> None:
    unbounded = "[agent.memory.persistence]\nenabled = true\nbackend = \"adls\"\n"
    result = run(bad({"config/agent.toml": unbounded}))
    assert result.status("COMP-DATA-RETENTION") == "failed"
    assert "config/agent.toml:2: sessions are persisted" in result.messages["COMP-DATA-RETENTION"]


def test_malformed_config_is_an_error(run) -> None:
    result = run(bad({"config/agent.toml": "[agent.data]\nretention_days = = 30\n"}))
    for check in STATIC_IDS:
        assert result.status(check) == "error", check
        assert "config/agent.toml:2" in result.messages[check]


def test_malformed_manifest_is_an_error_for_encryption_only(run) -> None:
    result = run(bad({"deployment/kubernetes/broken.yaml": "kind: Ingress\nspec: [\n"}))
    assert result.status("COMP-ENCRYPTION-IN-TRANSIT") == "error"
    assert "deployment/kubernetes/broken.yaml:" in result.messages["COMP-ENCRYPTION-IN-TRANSIT"]
    assert result.status("COMP-DATA-RETENTION") == "passed"
