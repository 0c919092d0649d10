"""OPS-AZURE-DRIFT in one run: the repo's IaC (Bicep output as `bicep build` writes it) and the subscription
served by the ARM emulator, read by the real clients. A declared value the subscription holds differently
fails with file:line and the live id; a declared resource with no live counterpart, or a run without one of
the two sides, is unverified with what to give."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.azure.conftest import RunAzure
from tests.emulators import arm_resources as res
from tests.emulators.arm_api import ArmEmulator
from tests.iac.conftest import DATA, line_of

OPENAI = "OPS-AZURE-DRIFT[iac:Microsoft.CognitiveServices/accounts/agent-openai]"
REDIS = "OPS-AZURE-DRIFT[iac:Microsoft.Cache/redis/agent-cache]"
ENDPOINT = "OPS-AZURE-DRIFT[iac:Microsoft.Network/privateEndpoints/agent-openai-pe]"


def _stack(openai_access: str = "Disabled", redis_tls: str = "1.2") -> list[dict[str, object]]:
    stack = res.agent_stack()
    account = res.openai_account("agent-openai")
    account["properties"]["publicNetworkAccess"] = openai_access
    redis = res.by_name(stack, "agent-cache")
    redis["properties"].update(sku={"name": "Standard", "family": "C", "capacity": 1}, minimumTlsVersion=redis_tls)
    return [*stack, account]


@pytest.fixture
def bicep_repo(pytester: pytest.Pytester) -> Path:
    shutil.copytree(DATA / "bicep-azd", pytester.path, dirs_exist_ok=True)
    return Path(pytester.path)


def test_a_value_changed_by_hand_is_drift_with_file_line_and_live_id(run_azure: RunAzure, bicep_repo: Path) -> None:
    run = run_azure(_stack(openai_access="Enabled", redis_tls="1.0"), "-k", "test_no_drift_from_iac")
    template = bicep_repo / "infra" / "main.json"
    assert run.status(OPENAI) == "failed", run.messages.get(OPENAI)
    message = run.messages[OPENAI]
    assert "properties.publicNetworkAccess is declared 'Disabled'" in message
    assert "but is 'Enabled' in " + res.rid("Microsoft.CognitiveServices/accounts", "agent-openai") in message
    line = line_of(template, '"publicNetworkAccess": "[parameters')
    assert f"at infra/main.json:{line}" in message
    assert run.status(REDIS) == "failed"
    assert "properties.minimumTlsVersion is declared '1.2'" in run.messages[REDIS]
    assert "but is '1.0'" in run.messages[REDIS]


def test_the_same_values_pass_with_what_was_compared(run_azure: RunAzure, bicep_repo: Path) -> None:
    run = run_azure(_stack(), "-k", "test_no_drift_from_iac")
    assert run.status(OPENAI) == "passed", run.messages.get(OPENAI)
    assert run.status(REDIS) == "passed", run.messages.get(REDIS)
    assert "declared value(s) set against the live ones" in run.junit
    assert "redisConfiguration.maxmemory-policy" in run.junit  # declared, not shown live: named, not compared
    # declared but deployed under another name (the stack's endpoints are pe-<target>): nothing to compare with
    assert run.status(ENDPOINT) == "unverified"
    assert "no Microsoft.Network/privateEndpoints named agent-openai-pe" in run.messages[ENDPOINT]
    assert "--readiness-azure-resource-group" in run.messages[ENDPOINT]


def test_without_a_subscription_it_names_the_option(run_readiness, bicep_repo: Path) -> None:
    run = run_readiness({}, "-k", "test_no_drift_from_iac")
    assert run.of_check("OPS-AZURE-DRIFT") == {"OPS-AZURE-DRIFT[no-azure]": "unverified"}
    assert "--readiness-azure-subscription" in run.messages["OPS-AZURE-DRIFT[no-azure]"]


def test_without_iac_it_names_the_option(run_azure: RunAzure) -> None:
    run = run_azure(_stack(), "-k", "test_no_drift_from_iac")
    assert run.of_check("OPS-AZURE-DRIFT") == {"OPS-AZURE-DRIFT[no-iac]": "unverified"}
    assert "--readiness-iac" in run.messages["OPS-AZURE-DRIFT[no-iac]"]


def test_an_empty_repo_names_both_sides(run_readiness) -> None:
    run = run_readiness({}, "-k", "test_no_drift_from_iac")
    message = run.messages["OPS-AZURE-DRIFT[no-iac]"]
    assert "--readiness-iac" in message and "--readiness-azure-subscription" in message


def test_a_type_the_credential_cannot_list_is_unverified_with_the_permission(
        run_azure: RunAzure, arm: ArmEmulator, bicep_repo: Path) -> None:
    arm.deny("Microsoft.Cache/redis/read")
    run = run_azure(_stack(), "-k", "test_no_drift_from_iac")
    assert run.status(REDIS) == "unverified", run.messages.get(REDIS)
    assert "Microsoft.Cache/redis/read" in run.messages[REDIS]
    assert run.status(OPENAI) == "passed"
