"""CI steps real repos use, scans and tests that can fail the pipeline, docs found by heading in the
README, TODO stubs, the API reference against the service's own routes, memory alerts as a share of the
limit, and /tmp as no persistence."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.accuracy.shapes import DOCKERFILE_NON_ROOT, doc
from tests.conftest import ReadinessRun

Runner = Callable[..., ReadinessRun]


def workflow(*runs: str, extra: str = "") -> str:
    steps = "".join(f"      - run: {r}\n" for r in runs)
    return ("on:\n  pull_request:\n  push:\n    branches: [main]\njobs:\n  ci:\n    runs-on: ubuntu-latest\n"
            f"    steps:\n      - uses: actions/checkout@v4\n{steps}{extra}")


def ci(text: str, name: str = ".github/workflows/ci.yml") -> dict[str, str]:
    return {"Dockerfile": DOCKERFILE_NON_ROOT, name: text}


BUILD_CASES = {
    "skaffold": ci(workflow("skaffold build --default-repo contoso.azurecr.io")),
    "buildx-bake": ci(workflow("docker buildx bake --push")),
    "az-acr-build": ci(workflow("az acr build -r contoso -t shop:${{ github.sha }} .")),
    "ko": ci(workflow("ko build ./cmd/shop")),
    "jib": ci(workflow("./mvnw -B compile jib:build")),
    "makefile-target": ci(workflow("make docker-build")),
    "buildah-gitlab": ci("build:\n  image: quay.io/buildah/stable\n  script:\n    - buildah bud -t shop .\n",
                         ".gitlab-ci.yml"),
}


@pytest.mark.parametrize("name", BUILD_CASES)
def test_real_build_tools_are_builds(run_readiness: Runner, name: str) -> None:
    run = run_readiness(BUILD_CASES[name], "-k", "ci_builds_image")
    assert run.status("OPS-CI-BUILD") == "passed", run.messages.get("OPS-CI-BUILD")


TEST_CASES = {
    "npm-test": (ci(workflow("npm test")), "passed"),
    "playwright": (ci(workflow("npx playwright test")), "passed"),
    "vitest": (ci(workflow("pnpm exec vitest run")), "passed"),
    "go-test": (ci(workflow("go test ./...")), "passed"),
    "mvn-test": (ci(workflow("mvn -B test")), "passed"),
    "dotnet-test": (ci(workflow("dotnet test Shop.sln")), "passed"),
    "cargo-test": (ci(workflow("cargo test --locked")), "passed"),
    "or-echo-never-fails": (ci(workflow("pytest || echo 'tests failed'")), "failed"),
    "continue-on-error": (ci(workflow(extra="      - run: pytest -q\n        continue-on-error: true\n")), "failed"),
    "gitlab-allow-failure": (ci("test:\n  script:\n    - pytest\n  allow_failure: true\n", ".gitlab-ci.yml"),
                             "failed"),
    "only-echo": (ci(workflow("echo 'run pytest here later'")), "failed"),
}


@pytest.mark.parametrize("name", TEST_CASES)
def test_test_steps_count_only_when_they_can_fail(run_readiness: Runner, name: str) -> None:
    files, status = TEST_CASES[name]
    run = run_readiness(files, "-k", "ci_runs_tests")
    assert run.status("OPS-CI-TESTS") == status, run.messages.get("OPS-CI-TESTS")


TRIVY = "      - uses: aquasecurity/trivy-action@0.28.0\n        with:\n          image-ref: shop:ci\n"
SCAN_CASES = {
    "trivy-fails-on-high": (ci(workflow(extra=TRIVY + "          exit-code: '1'\n          severity: HIGH,CRITICAL\n")),
                            "passed", ""),
    "trivy-exit-code-zero": (ci(workflow(extra=TRIVY + "          exit-code: '0'\n")), "failed", "exit-code: 0"),
    "trivy-or-true": (ci(workflow("trivy image --severity HIGH shop:ci || true")), "failed", "|| true"),
    "echo-add-later": (ci(workflow("echo \"add trivy later\"", "pytest")), "failed", "no step runs a security"),
    "commented-out": (ci(workflow("pytest") + "#      - run: trivy fs .\n"), "failed", "no step runs a security"),
    "bandit-continue-on-error": (ci(workflow(extra="      - run: bandit -r src\n        continue-on-error: true\n")),
                                 "failed", "continue-on-error: true"),
    "gitlab-template": (ci("include:\n  - template: Jobs/SAST.gitlab-ci.yml\ntest:\n  script: [pytest]\n",
                           ".gitlab-ci.yml"), "passed", ""),
    "codeql": (ci(workflow(extra="      - uses: github/codeql-action/init@v3\n"
                                 "      - uses: github/codeql-action/analyze@v3\n")), "passed", ""),
}


@pytest.mark.parametrize("name", SCAN_CASES)
def test_security_scans_count_only_when_real_and_able_to_fail(run_readiness: Runner, name: str) -> None:
    files, status, detail = SCAN_CASES[name]
    run = run_readiness(files, "-k", "ci_security_scan")
    assert run.status("OPS-CI-SECURITY-SCAN") == status, run.messages.get("OPS-CI-SECURITY-SCAN")
    assert detail in run.messages["OPS-CI-SECURITY-SCAN"] + run.junit


WORDS = " ".join(["The service answers questions through Azure OpenAI, keeps sessions in Redis and writes "
                  "transcripts to Blob storage behind a private endpoint."] * 4)


def test_readme_sections_count_by_heading(run_readiness: Runner) -> None:
    readme = doc(f"""
        # Shop agent

        ## Architecture
        {WORDS}

        ## Troubleshooting
        TODO: write this section.
        TBD

        ## Runbooks
        {WORDS}
    """)
    run = run_readiness({"README.md": readme}, "-k", "docs_architecture or docs_runbooks or docs_troubleshooting")
    assert run.status("OPS-DOCS-ARCHITECTURE") == "passed", run.messages.get("OPS-DOCS-ARCHITECTURE")
    assert run.status("OPS-DOCS-RUNBOOKS") == "passed"
    assert run.status("OPS-DOCS-TROUBLESHOOTING") == "failed"
    assert "is a stub: README.md:" in run.messages["OPS-DOCS-TROUBLESHOOTING"]


def test_a_long_todo_section_is_still_a_stub(run_readiness: Runner) -> None:
    todo = "\n".join(f"- TODO: describe component {n} and its failure modes in detail" for n in range(40))
    run = run_readiness({"docs/architecture.md": f"# Architecture\n\n{todo}\n"}, "-k", "docs_architecture")
    assert run.status("OPS-DOCS-ARCHITECTURE") == "failed"
    assert "stub" in run.messages["OPS-DOCS-ARCHITECTURE"]


APP = doc("""
    from fastapi import FastAPI

    app = FastAPI()


    @app.post("/v1/chat")
    def chat(body: dict) -> dict:
        return {}


    @app.get("/healthz")
    def healthz() -> dict:
        return {"ok": True}
""")


@pytest.mark.parametrize(("api_doc", "status"), [
    (f"# API\n\n`POST /v1/chat` sends a message. `GET /healthz` is the probe. {WORDS}", "passed"),
    (f"# API\n\n`POST /api/question` asks. `GET /health` and `/metrics`. {WORDS}", "failed"),
])
def test_api_reference_is_judged_against_the_real_routes(run_readiness: Runner, api_doc: str, status: str) -> None:
    run = run_readiness({"src/shop/main.py": APP, "docs/api.md": api_doc}, "-k", "docs_api")
    assert run.status("OPS-DOCS-API") == status, run.messages.get("OPS-DOCS-API")
    if status == "failed":
        assert "does not document /v1/chat, /healthz" in run.messages["OPS-DOCS-API"]


def rule(expr: str) -> str:
    return doc(f"""
        apiVersion: monitoring.coreos.com/v1
        kind: PrometheusRule
        metadata:
          name: shop
        spec:
          groups:
            - name: shop
              rules:
                - alert: ShopMemoryHigh
                  expr: {expr}
                  for: 10m
                  annotations:
                    runbook_url: https://contoso.github.io/runbooks/memory
    """)


@pytest.mark.parametrize(("expr", "status"), [
    ("'sum(container_memory_working_set_bytes{container=\"shop\"}) / sum(kube_pod_container_resource_limits"
     "{container=\"shop\", resource=\"memory\"}) > 0.8'", "passed"),
    ("'container_memory_working_set_bytes{container=\"shop\"} / 1024 / 1024 > 800'", "failed"),
    ("'container_memory_working_set_bytes{container=\"shop\"} > 800000000'", "failed"),
])
def test_memory_alert_is_a_share_of_the_limit(run_readiness: Runner, expr: str, status: str) -> None:
    run = run_readiness({"deployment/kubernetes/rules.yaml": rule(expr)}, "-k", "alert_memory")
    assert run.status("OBS-ALERT-MEMORY") == status, run.messages.get("OBS-ALERT-MEMORY")


@pytest.mark.parametrize(("persistence", "status"), [
    ('enabled = true\nbackend = "local"\npath = "/tmp/sessions"\n', "failed"),
    ('enabled = true\nbackend = "local"\npath = "/data/sessions"\n', "passed"),
    ('enabled = true\nbackend = "blob"\naccount_url = "https://contososhop.blob.core.windows.net"\n', "passed"),
])
def test_tmp_is_not_persistence(run_readiness: Runner, persistence: str, status: str) -> None:
    config = f"[agent.memory.persistence]\n{persistence}"
    run = run_readiness({"config/agent.toml": config}, "-k", "session_persistence")
    assert run.status("REL-SESSION-PERSISTENCE") == status, run.messages.get("REL-SESSION-PERSISTENCE")
