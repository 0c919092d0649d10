"""The Azure source end to end through the real azure-identity credential and azure-mgmt clients against the
ARM emulator: no subscription, no credential, an expired token, 403s, paging, resource groups, an unreachable
endpoint, TLS trust, and proof that only GET requests were sent, a fixed number per resource type."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from pytest_readiness.catalog import load_catalog
from tests.azure.conftest import RunAzure, arm_args
from tests.conftest import REPO_ROOT
from tests.emulators import arm_resources as res
from tests.emulators.arm_api import ArmEmulator, ImdsStub, clean_env, closed_port_url

AZURE_CHECKS = sorted(c.id for c in load_catalog().values() if c.verify == "azure")
REDIS = "Microsoft.Cache/redis"


def _azure_results(statuses: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in statuses.items() if k.split("[")[0] in AZURE_CHECKS}


def test_without_subscription_every_azure_check_is_unverified_naming_the_option(run_readiness) -> None:
    run = run_readiness({}, "-m", "azure")
    results = _azure_results(run.statuses)
    assert {k.split("[")[0] for k in results} == set(AZURE_CHECKS)
    assert set(results.values()) == {"unverified"}, results
    for key in results:
        assert "--readiness-azure-subscription" in run.messages[key], run.messages[key]
    assert "GET requests to Azure Resource Manager" not in run.output


def test_without_subscription_nothing_azure_is_imported(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("""
        import json, sys
        def pytest_sessionfinish(session):
            heavy = sorted(m for m in sys.modules if m == "azure" or m.startswith(("azure.", "msal", "requests")))
            open("modules.json", "w").write(json.dumps(heavy))
    """)
    result = pytester.runpytest_subprocess("--readiness", "-p", "no:cacheprovider", "-m", "azure")
    assert result.ret == 101, result.stdout.str()[-2000:]  # NOT VERIFIED: every Azure check needs a subscription
    result.stdout.fnmatch_lines(["*NOT VERIFIED*"])
    loaded = json.loads((pytester.path / "modules.json").read_text())
    assert not [m for m in loaded if m.startswith(("azure", "msal"))], loaded


def test_only_get_requests_a_fixed_number_per_resource_type(run_azure: RunAzure, arm: ArmEmulator) -> None:
    run = run_azure(None, "-m", "azure")
    assert set(_azure_results(run.statuses).values()) <= {"passed", "unverified"}
    requests = arm.requests
    assert requests and {r.method for r in requests} == {"GET"}
    assert all(r.query.get("api-version") for r in requests)
    whole = len(requests)
    arm.clear_requests()
    one = run_azure([], "-k", "tls_12_enforced")
    assert one.status(f"SEC-AZURE-TLS[{REDIS}/agent-cache]") == "passed"
    assert len(arm.requests) == whole  # one read per session, whatever the checks selected
    assert f"azure: {whole} GET requests to Azure Resource Manager" in run.output


def test_nextlink_paging_reads_every_page(run_azure: RunAzure, arm: ArmEmulator) -> None:
    caches = [res.redis_cache(f"agent-cache-{i}") for i in range(5)]
    caches[3]["properties"]["minimumTlsVersion"] = "1.1"
    run = run_azure([c for c in res.agent_stack() if c["name"] != "agent-cache"] + caches, "-k", "tls_12_enforced")
    redis_lists = [r for r in arm.requests if r.path.endswith("/providers/Microsoft.Cache/redis")]
    assert len(redis_lists) == 3  # 5 caches, 2 a page
    assert [r.query.get("$skiptoken") for r in redis_lists] == [None, "2", "4"]
    statuses = {k: v for k, v in run.statuses.items() if REDIS in k}
    assert len(statuses) == 5
    assert statuses.pop(f"SEC-AZURE-TLS[{REDIS}/agent-cache-3]") == "failed"
    assert set(statuses.values()) == {"passed"}


def test_403_makes_the_type_unverified_naming_the_permission(run_azure: RunAzure, arm: ArmEmulator) -> None:
    arm.deny("Microsoft.Cache/redis/read")
    arm.deny("Microsoft.Authorization/roleAssignments/read")
    run = run_azure(None, "-m", "azure")
    for check_id in ("SEC-AZURE-TLS", "SEC-PRIVATE-ENDPOINTS", "SEC-NO-PUBLIC-ENDPOINTS"):
        key = f"{check_id}[{REDIS}]"
        assert run.status(key) == "unverified"
        assert "403 AuthorizationFailed" in run.messages[key]
        assert "Microsoft.Cache/redis/read" in run.messages[key]
    key = "SEC-SP-SCOPED[Microsoft.ManagedIdentity/userAssignedIdentities/id-msft-agent]"
    assert run.status(key) == "unverified"
    assert "Microsoft.Authorization/roleAssignments/read" in run.messages[key]
    assert run.status("SEC-AZURE-TLS[Microsoft.Storage/storageAccounts/stagentsessions]") == "passed"


def test_403_on_diagnostic_settings_unverifies_log_aggregation(run_azure: RunAzure, arm: ArmEmulator) -> None:
    arm.deny("Microsoft.Insights/diagnosticSettings/read")
    run = run_azure(None, "-k", "diagnostics_to_log_analytics")
    results = run.of_check("OBS-AZURE-LOG-AGGREGATION")
    assert len(results) == 5 and set(results.values()) == {"unverified"}, results
    assert all("Microsoft.Insights/diagnosticSettings/read" in run.messages[k] for k in results)


def test_resource_group_option_reads_only_those_groups(run_azure: RunAzure, arm: ArmEmulator) -> None:
    elsewhere = res.redis_cache("other-team-cache")
    elsewhere["id"] = elsewhere["id"].replace(res.RG, "rg-other-team")
    elsewhere["properties"]["minimumTlsVersion"] = "1.0"
    run = run_azure([*res.agent_stack(), elsewhere], "-k", "tls_12_enforced",
                    f"--readiness-azure-resource-group={res.RG}")
    assert set(run.of_check("SEC-AZURE-TLS").values()) == {"passed"}
    lists = [r.path for r in arm.requests if "/providers/Microsoft.Cache/" in r.path]
    assert lists and all(f"/resourceGroups/{res.RG}/" in p for p in lists)


def test_missing_resource_group_is_an_error_the_others_still_read(run_azure: RunAzure) -> None:
    run = run_azure(None, "-k", "tls_12_enforced", f"--readiness-azure-resource-group={res.RG}",
                    "--readiness-azure-resource-group=rg-gone")
    results = run.of_check("SEC-AZURE-TLS")
    errors = {k for k, v in results.items() if v == "error"}
    assert errors == {f"SEC-AZURE-TLS[azure:{res.SUB}/resourceGroups/rg-gone]"}, results  # one per group
    assert "ResourceGroupNotFound" in run.messages[errors.pop()]
    assert results[f"SEC-AZURE-TLS[{REDIS}/agent-cache]"] == "passed"


def test_unreachable_endpoint_is_an_error_quickly(run_readiness, az_stub: Path, ca_file: Path) -> None:
    endpoint = closed_port_url().replace("http://", "https://")
    started = time.monotonic()
    run = run_readiness({}, "-m", "azure", f"--readiness-azure-subscription={res.SUB}",
                        "--readiness-azure-credential=cli", f"--readiness-azure-arm-endpoint={endpoint}",
                        f"--readiness-ca-bundle={ca_file}")
    assert time.monotonic() - started < 60
    results = _azure_results(run.statuses)
    assert results and set(results.values()) == {"error"}, results
    message = next(iter(run.messages[k] for k in results))
    assert f"cannot read Azure Resource Manager at {endpoint}" in message


def test_untrusted_certificate_fails_and_requests_ca_bundle_is_honoured(
        run_readiness, arm: ArmEmulator, az_stub: Path, ca_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    arm.add_many(res.agent_stack())
    args = [a for a in arm_args(arm, ca_file) if not a.startswith("--readiness-ca-bundle")]
    untrusted = run_readiness({}, "-k", "tls_12_enforced", *args)
    assert set(untrusted.of_check("SEC-AZURE-TLS").values()) == {"error"}
    assert "SSL" in untrusted.output or "certificate" in untrusted.output
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca_file))
    trusted = run_readiness({}, "-k", "tls_12_enforced", *args)
    assert set(trusted.of_check("SEC-AZURE-TLS").values()) == {"passed"}


def test_expired_token_is_unverified_with_what_to_do(run_readiness, arm: ArmEmulator, ca_file: Path,
                                                     tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    arm.add_many(res.agent_stack())
    stub = arm.write_az_stub(tmp_path / "bin", expires_in=-600)
    monkeypatch.setenv("PATH", f"{stub}:{clean_env()['PATH']}")
    run = run_readiness({}, "-m", "azure", *arm_args(arm, ca_file))
    results = _azure_results(run.statuses)
    assert results and set(results.values()) == {"unverified"}, results
    message = run.messages[next(iter(results))]
    assert "ExpiredAuthenticationToken" in message and "az login" in message


def test_cli_not_logged_in_is_one_clear_reason(run_readiness, arm: ArmEmulator, ca_file: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    stub = arm.write_az_stub(tmp_path / "bin", logged_in=False)
    monkeypatch.setenv("PATH", f"{stub}:{clean_env()['PATH']}")
    run = run_readiness({}, "-m", "azure", *arm_args(arm, ca_file))
    results = _azure_results(run.statuses)
    assert set(results.values()) == {"unverified"}
    message = run.messages[next(iter(results))]
    assert "--readiness-azure-credential=cli (AzureCliCredential)" in message
    assert "az login" in message
    assert arm.requests == []  # no token, no ARM request


def test_default_credential_with_nothing_configured_fails_fast_on_loopback(
        run_readiness, arm: ArmEmulator, ca_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """DefaultAzureCredential tries environment, workload identity, managed identity, the shared cache, az, azd
    and PowerShell. Nothing is configured here: no AZURE_* variables, an empty HOME, an empty PATH; and
    AZURE_POD_IDENTITY_AUTHORITY_HOST (azure-identity's documented override of the IMDS address) sends the
    managed identity request to a loopback stub, never to 169.254.169.254."""
    with ImdsStub() as imds:
        for name in [k for k in clean_env.__globals__["os"].environ if k.startswith(("AZURE_", "IDENTITY_", "MSI_"))]:
            monkeypatch.delenv(name)
        monkeypatch.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", imds.url)
        monkeypatch.setenv("HOME", str(tmp_path / "home"))
        empty = tmp_path / "empty-bin"
        empty.mkdir()
        monkeypatch.setenv("PATH", str(empty))  # no az, azd or pwsh, even on a machine that has them
        started = time.monotonic()
        run = run_readiness({}, "-m", "azure", f"--readiness-azure-subscription={res.SUB}",
                            f"--readiness-azure-arm-endpoint={arm.url}", f"--readiness-ca-bundle={ca_file}")
        elapsed = time.monotonic() - started
    results = _azure_results(run.statuses)
    assert results and set(results.values()) == {"unverified"}, results
    message = run.messages[next(iter(results))]
    assert "--readiness-azure-credential=default (DefaultAzureCredential)" in message
    assert "az login" in message and "AZURE_CLIENT_SECRET" in message
    assert imds.requests and all(r.path == "/metadata/identity/oauth2/token" for r in imds.requests)
    assert arm.requests == []
    assert elapsed < 30


def test_bad_option_values_are_usage_errors(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--readiness", "-p", "no:cacheprovider", "--readiness-azure-credential=password")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--readiness-azure-credential: expected one of default, cli, environment" in result.stderr.str()


def test_docs_name_every_azure_option() -> None:
    docs = (REPO_ROOT / "docs" / "azure.md").read_text()
    for flag in ("--readiness-azure-subscription", "--readiness-azure-resource-group", "--readiness-azure-credential",
                 "--readiness-azure-cloud", "--readiness-azure-arm-endpoint"):
        assert flag in docs
    assert '"Microsoft.Authorization/roleAssignments/read"' in docs  # the custom role lists what it reads


def test_under_xdist_the_request_line_appears_once_for_all_workers(run_azure: RunAzure) -> None:
    run = run_azure(None, "-m", "azure", "-n", "2", "-p", "xdist")
    lines = [line for line in run.output.splitlines() if "GET requests to Azure Resource Manager" in line]
    assert len(lines) == 1, run.output[-3000:]
    assert "by each of 2 xdist workers (each reads the subscription once;" in lines[0]
