"""A readiness.toml waiver may name an Azure resource by its full ARM id (case-insensitive, as ARM ids are)
instead of the test's target: it covers that resource's results only, live or declared."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.azure.conftest import RunAzure
from tests.azure.test_drift_check import _stack
from tests.emulators import arm_resources as res
from tests.iac.conftest import DATA

REDIS = "Microsoft.Cache/redis/agent-cache"
STORAGE = "Microsoft.Storage/storageAccounts/stagentsessions"
WAIVER = """
    [[waiver]]
    check = "{check}"
    object = "{object}"
    justification = "Public until the hub VNet peering lands (NET-311)."
    approver = "Daniel Fischer (Principal architect)"
    expires = 2099-12-31
"""


def _public(stack: list[dict[str, object]]) -> list[dict[str, object]]:
    for name in ("agent-cache", "stagentsessions"):
        res.by_name(stack, name)["properties"]["publicNetworkAccess"] = "Enabled"  # type: ignore[index]
    res.by_name(stack, "stagentsessions")["properties"]["networkAcls"]["defaultAction"] = "Allow"  # type: ignore[index]
    return stack


@pytest.mark.parametrize("object_id", [
    res.rid("Microsoft.Cache/Redis", "agent-cache"),  # as ARM returns it
    res.rid("Microsoft.Cache/redis", "agent-cache").upper(),  # ARM ids are case-insensitive
    f"/subscriptions/{res.SUB}/resourceGroups/*/providers/Microsoft.Cache/redis/*",  # a glob, as for targets
])
def test_a_waiver_naming_the_resource_id_waives_that_resource(run_azure: RunAzure, object_id: str) -> None:
    run = run_azure(_public(res.agent_stack()), "-m", "azure", files={"readiness.toml": WAIVER.format(
        check="SEC-NO-PUBLIC-ENDPOINTS", object=object_id)})
    assert run.status(f"SEC-NO-PUBLIC-ENDPOINTS[{REDIS}]") == "waived", run.messages.get(
        f"SEC-NO-PUBLIC-ENDPOINTS[{REDIS}]")
    assert run.status(f"SEC-NO-PUBLIC-ENDPOINTS[{STORAGE}]") == "failed"
    assert "NET-311" in run.junit
    assert f"APPLIED       SEC-NO-PUBLIC-ENDPOINTS[{object_id}]" in run.output
    assert f"covers SEC-NO-PUBLIC-ENDPOINTS[{REDIS}]" in run.output


@pytest.mark.parametrize("object_id", [
    res.rid("Microsoft.Cache/redis", "agent-cache", group="rg-agent-staging"),  # another group's cache
    res.rid("Microsoft.Cache/redis", "agent-cache2"),
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-agent-prod/providers/"
    "Microsoft.Cache/redis/agent-cache",
])
def test_a_waiver_naming_another_resource_id_waives_nothing(run_azure: RunAzure, object_id: str) -> None:
    run = run_azure(_public(res.agent_stack()), "-m", "azure", files={"readiness.toml": WAIVER.format(
        check="SEC-NO-PUBLIC-ENDPOINTS", object=object_id)})
    assert run.status(f"SEC-NO-PUBLIC-ENDPOINTS[{REDIS}]") == "failed"
    assert f"STALE         SEC-NO-PUBLIC-ENDPOINTS[{object_id}]" in run.output


def test_a_resource_id_waiver_covers_the_declared_resource_and_its_drift(run_azure: RunAzure,
                                                                         pytester: pytest.Pytester) -> None:
    shutil.copytree(DATA / "bicep-azd", pytester.path, dirs_exist_ok=True)
    template = Path(pytester.path) / "infra" / "main.json"
    text = template.read_text().replace('"defaultValue": "Disabled"', '"defaultValue": "Enabled"')
    template.write_text(text.replace('"defaultAction": "Deny"', '"defaultAction": "Allow"'))
    account = res.rid("Microsoft.CognitiveServices/accounts", "agent-openai")
    waivers = WAIVER.format(check="SEC-NO-PUBLIC-ENDPOINTS", object=account) + WAIVER.format(
        check="OPS-AZURE-DRIFT", object=account.lower())
    run = run_azure(_stack(openai_access="Disabled"), "-k", "test_public_network_access_disabled or "
                    "test_no_drift_from_iac", files={"readiness.toml": waivers})
    declared = "iac:Microsoft.CognitiveServices/accounts/agent-openai"
    assert run.status(f"SEC-NO-PUBLIC-ENDPOINTS[{declared}]") == "waived"  # its id: /subscriptions/{subscriptionId}/..
    assert run.status(f"OPS-AZURE-DRIFT[{declared}]") == "waived"
    assert run.status(f"OPS-AZURE-DRIFT[iac:{REDIS}]") == "passed"


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_a_resource_id_waiver_reads_the_same_under_xdist(run_azure: RunAzure, workers: tuple[str, ...],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The ids a worker's fixture names a result by travel with the result: the controller, which decides the
    waivers the reports show, matches the same resource-id waiver as a serial run."""
    monkeypatch.setattr("pytest_readiness.decisions.waivers._OBJECT_NAMES", {})  # no names left by an earlier run
    object_id = res.rid("Microsoft.Cache/Redis", "agent-cache")
    run = run_azure(_public(res.agent_stack()), "-k", "test_public_network_access_disabled", *workers,
                    files={"readiness.toml": WAIVER.format(check="SEC-NO-PUBLIC-ENDPOINTS", object=object_id)})
    assert run.of_check("SEC-NO-PUBLIC-ENDPOINTS") == {
        f"SEC-NO-PUBLIC-ENDPOINTS[{REDIS}]": "waived", f"SEC-NO-PUBLIC-ENDPOINTS[{STORAGE}]": "failed",
        "SEC-NO-PUBLIC-ENDPOINTS[Microsoft.CognitiveServices/accounts/oai-agent-prod]": "passed",
        "SEC-NO-PUBLIC-ENDPOINTS[Microsoft.KeyVault/vaults/kv-agent-prod]": "passed"}, run.output[-3000:]
    assert f"APPLIED       SEC-NO-PUBLIC-ENDPOINTS[{object_id}]" in run.output, run.output[-3000:]
    assert f"covers SEC-NO-PUBLIC-ENDPOINTS[{REDIS}]" in run.output
    assert "STALE" not in run.output
    assert ("2 workers" in run.output) == bool(workers), run.output[:2000]
