"""OPS-DOCKERFILE: the Dockerfile parses, bases are pinned, the final stage is numeric non-root."""

from __future__ import annotations

GOOD = """
    ARG PYTHON=3.11
    FROM python:${PYTHON}-slim AS builder
    RUN pip install --prefix /install agent
    FROM python:3.11-slim@sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0
    COPY --from=builder /install /usr/local
    USER 10001
"""


def test_pinned_bases_and_numeric_user_pass(run_readiness) -> None:
    run = run_readiness({"deployment/Dockerfile": GOOD}, "-m", "operations and static")
    assert run.status("OPS-DOCKERFILE") == "passed"


def test_final_stage_inherits_user_from_an_earlier_stage(run_readiness) -> None:
    dockerfile = "FROM python:3.11-slim AS base\nUSER 10001\nFROM base\nCMD [\"agent\"]\n"
    run = run_readiness({"deployment/Dockerfile": dockerfile}, "-m", "operations and static")
    assert run.status("OPS-DOCKERFILE") == "passed"


def test_unpinned_base_and_root_user_fail_with_lines(run_readiness) -> None:
    dockerfile = "FROM python AS builder\nRUN true\nFROM python:latest\nUSER app\n"
    run = run_readiness({"deployment/Dockerfile": dockerfile}, "-m", "operations and static")
    assert run.status("OPS-DOCKERFILE") == "failed"
    message = run.messages["OPS-DOCKERFILE"]
    assert "deployment/Dockerfile:1: base image 'python' is not pinned" in message
    assert "deployment/Dockerfile:3: base image 'python:latest' is not pinned" in message
    assert "deployment/Dockerfile:4: the final stage runs as 'app'" in message


def test_malformed_dockerfile_is_an_error_naming_the_line(run_readiness) -> None:
    run = run_readiness({"deployment/Dockerfile": "FROM python:3.11\nBOGUS thing\n"}, "-m", "operations and static")
    assert run.status("OPS-DOCKERFILE") == "error"
    assert "deployment/Dockerfile:2" in run.messages["OPS-DOCKERFILE"]
    assert "unknown instruction BOGUS" in run.messages["OPS-DOCKERFILE"]
    assert run.status("OPS-CI-BUILD") == "failed"  # the rest of the run goes on


def test_no_dockerfile_is_unverified(run_readiness) -> None:
    run = run_readiness({"README.md": "no image here\n"}, "-m", "operations and static")
    assert run.status("OPS-DOCKERFILE") == "unverified"
    assert "--readiness-dockerfile" in run.messages["OPS-DOCKERFILE"]
