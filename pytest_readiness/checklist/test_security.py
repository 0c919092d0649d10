"""Security: the seed's Authentication, Input Validation, Network, Secrets and Container sections."""

from __future__ import annotations

import pytest

from pytest_readiness import Evidence, check, unverified
from pytest_readiness.attestation import manual_params
from pytest_readiness.kube import Container
from pytest_readiness.sources.agent_config import AgentConfig
from pytest_readiness.sources.dockerfile import Dockerfile

RATE_LIMIT = "agent.security.rate_limit"


@check("SEC-RATE-LIMIT")
def test_rate_limiting_enabled(agent_config: AgentConfig, evidence: Evidence) -> None:
    for key in ("enabled", "requests_per_minute", "tokens_per_minute", "per_user"):
        evidence.add(agent_config.describe(f"{RATE_LIMIT}.{key}"))
    section = agent_config.section(RATE_LIMIT) or {}
    if section.get("enabled") is not True:
        evidence.finding("rate limiting is not enabled", agent_config.where(f"{RATE_LIMIT}.enabled"))
    for key in ("requests_per_minute", "tokens_per_minute"):
        value = section.get(key)
        if not isinstance(value, int) or value <= 0:
            evidence.finding(f"{key} must be a positive integer, got {value!r}", agent_config.where(f"{RATE_LIMIT}.{key}"))
    if section.get("per_user") is not True:
        evidence.finding("per_user is not true: one user can exhaust everyone's quota",
                         agent_config.where(f"{RATE_LIMIT}.per_user"))
    evidence.fail_if_findings("rate limiting is not configured as the checklist requires")


@check("SEC-NON-ROOT")
def test_container_runs_as_non_root(container: Container, dockerfile_or_none: Dockerfile | None,
                                    evidence: Evidence) -> None:
    run_as_non_root = container.effective("runAsNonRoot")
    run_as_user = container.effective("runAsUser")
    evidence.add(f"{container.ref}: runAsNonRoot={run_as_non_root} runAsUser={run_as_user}", container.location)
    if run_as_user == 0 or run_as_non_root is False:
        pytest.fail(f"{container}: securityContext runs the container as root", pytrace=False)
    if run_as_non_root is True or (isinstance(run_as_user, int) and run_as_user > 0):
        return
    if dockerfile_or_none is None:
        unverified(f"{container} sets neither runAsNonRoot nor runAsUser, and no Dockerfile shows its user")
    user = dockerfile_or_none.effective_user()
    evidence.add(f"final stage USER: {user.original if user else 'none (root)'}",
                 user.location if user else dockerfile_or_none.final.location)
    uid = (user.value[0].split(":")[0] if user and user.value else "0")
    assert uid.isdigit() and int(uid) > 0, (
        f"{container} sets no runAsNonRoot/runAsUser and the image's final stage runs as "
        f"{'root' if not user else repr(uid)} ({user.location if user else dockerfile_or_none.final.location}); "
        "Kubernetes can only enforce runAsNonRoot with a numeric USER"
    )


@pytest.mark.parametrize("check_id", manual_params("security"))
def test_attested(check_id: str) -> None:
    unverified(f"needs attestation: record who verified {check_id} in readiness.toml")
