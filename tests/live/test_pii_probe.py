"""SEC-LIVE-PII against the reference service: its redaction (validation.redact_pii) on passes, off fails;
a config that switches PII handling off makes the probe not applicable (SEC-PII reports it)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from tests.live.test_service_checks import GOOD, changed, live_run, to_toml

if TYPE_CHECKING:
    from conftest import Service

    from tests.conftest import ReadinessRun

pytestmark = pytest.mark.slow
Runner = Callable[..., "ReadinessRun"]
REDACTION_OFF = changed(GOOD, agent__security__validation={"redact_pii": False})


def probe(run_readiness: Runner, service: Service, repo_config: str, token: str) -> ReadinessRun:
    return live_run(run_readiness, {"config/agent.toml": repo_config}, service.url, "--readiness-auth-env",
                    "AGENT_TOKEN", "-k", "pii_is_not_echoed")


@pytest.fixture(scope="module")
def services(launch_service: Callable[..., Service]) -> dict[str, Service]:
    """Both reference services, started before any in-process run (which re-imports httpx)."""
    return {"redacting": launch_service(to_toml(GOOD)), "echoing": launch_service(to_toml(REDACTION_OFF))}


@pytest.mark.parametrize(("service_name", "repo_config", "status"), [
    ("redacting", GOOD, "passed"),  # the service redacts what its config says it redacts
    ("echoing", GOOD, "failed"),  # the repo claims redaction; the running service echoes the data
    ("echoing", REDACTION_OFF, "not_applicable"),  # SEC-PII reports the config
], ids=["redacting", "claims-but-echoes", "switched-off"])
def test_pii_probe_against_the_reference_service(
    run_readiness: Runner, services: dict[str, Service], make_token: Callable[[str], str],
    monkeypatch: pytest.MonkeyPatch, service_name: str, repo_config: dict[str, dict[str, object]], status: str,
) -> None:
    service = services[service_name]
    token = make_token(f"pii-{uuid.uuid4().hex[:8]}")
    monkeypatch.setenv("AGENT_TOKEN", token)
    run = probe(run_readiness, service, to_toml(repo_config), token)
    assert run.status("SEC-LIVE-PII") == status, run.messages.get("SEC-LIVE-PII")
    if status == "failed":
        assert "repeats the e-mail address and the phone number" in run.messages["SEC-LIVE-PII"]
