"""The static operations checks, run with `pytest --readiness` on deployment repos written to disk.

GOOD passes every check; each test overrides a few files of it.
"""

from __future__ import annotations

import json
import textwrap

import pytest

from pytest_readiness.catalog import load_catalog
from tests.checks.material import documents, shared, with_files

ONLY_OPERATIONS = ("-m", "operations and static", "-p", "no:hypothesispytest")
STATIC_IDS = [c.id for c in load_catalog().values() if c.category == "operations" and c.verify == "static"]
CI_CHECKS = ("OPS-CI-BUILD", "OPS-CI-TESTS", "OPS-CI-SECURITY-SCAN", "OPS-CD")
DOC_CHECKS = ("OPS-DOCS-ARCHITECTURE", "OPS-DOCS-RUNBOOKS", "OPS-DOCS-API", "OPS-DOCS-TROUBLESHOOTING")
FILLER = " ".join(["The agent answers questions, caches sessions in Redis and calls Azure OpenAI."] * 6)

CI = """
    name: CI
    on:
      pull_request:
        branches: [main]
      push:
        branches: [main]
    jobs:
      test:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: pip install -e ".[dev]" pytest-readiness
          - run: pytest tests/ -v
      build:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: docker build -t msft-agent:${{ github.sha }} -f deployment/Dockerfile .
          - uses: aquasecurity/trivy-action@0.28.0
            with:
              image-ref: msft-agent:${{ github.sha }}
              severity: HIGH,CRITICAL
"""

DEPLOY = """
    name: Deploy
    on:
      push:
        branches: [main]
    jobs:
      deploy:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: kubectl apply -f deployment/kubernetes/ -n msft-agent
"""

MANIFESTS = documents(shared("agent-configmap.yaml"), shared("agent-deployment.yaml"), shared("agent-service.yaml"))

CONFIG = """
    [agent]
    name = "msft-agent"

    [agent.llm]
    endpoint = "https://contoso-agent-openai.openai.azure.com/"
"""

SERVICE_CODE = """
    import os

    ENDPOINT = os.environ["AZURE_OPENAI_ENDPOINT"]
"""

GOOD: dict[str, str] = {
    "deployment/Dockerfile": "FROM python:3.11-slim AS builder\nRUN pip install agent\n"
                             "FROM python:3.11-slim\nUSER 10001\n",
    "config/agent.toml": CONFIG,
    "src/agent_service/config.py": SERVICE_CODE,
    "deployment/kubernetes/agent.yaml": MANIFESTS,
    ".github/workflows/ci.yml": CI,
    ".github/workflows/deploy.yml": DEPLOY,
    "docs/architecture.md": f"# Architecture\n\n{FILLER}\n",
    "docs/runbooks/high-error-rate.md": f"# High error rate\n\n{FILLER}\n",
    "docs/api.md": f"# API reference\n\n## POST /api/question\n\n## GET /health\n\n## GET /metrics\n\n{FILLER}\n",
    "docs/operations.md": f"# Operations\n\n## Troubleshooting\n\n{FILLER}\n",
}


def bad(overrides: dict[str, str | None]) -> dict[str, str]:
    return with_files(GOOD, overrides)


@pytest.fixture
def run(run_readiness):
    return lambda files, *args: run_readiness(files, *ONLY_OPERATIONS, *args)


def test_good_repo_passes_every_static_check(run) -> None:
    result = run(GOOD)
    assert {check: result.status(check) for check in STATIC_IDS} == dict.fromkeys(STATIC_IDS, "passed")
    assert ".github/workflows/ci.yml:13" in result.junit  # the test step is the evidence


BAD_CI = """
    name: CI
    on:
      push:
        branches: [main]
    jobs:
      checks:
        runs-on: ubuntu-latest
        steps:
          - run: pip install pytest-readiness
          - run: pytest --readiness
          - run: python -m pytest tests/
          - run: kubectl apply --dry-run=client -f deployment/kubernetes/
          - uses: github/codeql-action/upload-sarif@v3
"""

BAD_MANIFESTS = """
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: msft-agent
      annotations:
        prometheus.io/scrape: true
    spec:
      selector:
        matchLabels:
          app: msft-agent
      template:
        metadata:
          labels:
            app: agent
        spec:
          containers:
            - name: agent
              image: contosoagentacr.azurecr.io/msft-agent:1.4.2
              env:
                - name: PORT
                  value: 8080
    ---
    metadata:
      name: orphan
    data:
      key: value
"""

HARDCODED_CODE = """
    ENDPOINT = "https://contoso-agent-openai.openai.azure.com/"
"""


def test_each_gap_fails_and_names_the_file_and_line(run) -> None:
    result = run(bad({
        ".github/workflows/ci.yml": BAD_CI, ".github/workflows/deploy.yml": None,
        "deployment/kubernetes/agent.yaml": BAD_MANIFESTS, "src/agent_service/config.py": HARDCODED_CODE,
        "docs/architecture.md": "# Architecture\n\nTODO\n", "docs/runbooks/high-error-rate.md": None,
        "docs/api.md": "# API\n\n## POST /api/question\n\n## GET /health\n\n" + FILLER, "docs/operations.md": None,
    }))
    expected = {
        "OPS-CI-BUILD": ".github/workflows/ci.yml: no step builds the container image",
        "OPS-CI-TESTS": ".github/workflows/ci.yml:11: the tests do not run on pull requests",
        "OPS-CI-SECURITY-SCAN": ".github/workflows/ci.yml: no step runs a security scanner",
        "OPS-CD": ".github/workflows/ci.yml: no step deploys the manifests",
        "OPS-CONFIG-EXTERNALIZED": "deployment/kubernetes/agent.yaml:1: Deployment/msft-agent takes no configuration",
        "OPS-MANIFESTS-VALID": "deployment/kubernetes/agent.yaml:23: the object has no apiVersion and no kind",
        "OPS-DOCS-ARCHITECTURE": "the architecture document is a stub: docs/architecture.md",
        "OPS-DOCS-RUNBOOKS": "docs/ has no runbook",
        "OPS-DOCS-API": "the API reference does not document /metrics",
        "OPS-DOCS-TROUBLESHOOTING": "docs/ has no troubleshooting guide",
    }
    for check, message in expected.items():
        assert result.status(check) == "failed", check
        assert message in result.messages[check], (check, result.messages[check])
    assert ("src/agent_service/config.py:1: the code hardcodes contoso-agent-openai.openai.azure.com, which "
            "config/agent.toml:5 (agent.llm.endpoint) configures") in result.messages["OPS-CONFIG-EXTERNALIZED"]
    invalid = result.messages["OPS-MANIFESTS-VALID"]
    assert "agent.yaml:1: Deployment/msft-agent: metadata.annotations.prometheus.io/scrape is True" in invalid
    assert "spec.selector does not match spec.template.metadata.labels" in invalid
    assert "env PORT value 8080 is not a string" in invalid


def test_absent_inputs(run) -> None:
    result = run({"README.md": "# nothing here\n"})
    for check in CI_CHECKS:
        assert result.status(check) == "failed", check
        assert "no CI definition in the repository (looked for .github/workflows/*.yml" in result.messages[check]
    for check in ("OPS-CONFIG-EXTERNALIZED", "OPS-MANIFESTS-VALID"):
        assert result.status(check) == "unverified", check
        assert "no Kubernetes manifests at deployment/kubernetes" in result.messages[check]
    for check in DOC_CHECKS:
        assert result.status(check) == "failed", check
        assert "no docs/ directory in the repository" in result.messages[check]


def test_templates_from_another_repository_leave_ci_checks_unverified(run) -> None:
    pipeline = """
        trigger: [main]
        resources:
          repositories:
            - repository: templates
              type: git
              name: platform/pipeline-templates
        extends:
          template: agent-pipeline.yml@templates
    """
    result = run(bad({".github/workflows/ci.yml": None, ".github/workflows/deploy.yml": None,
                      "azure-pipelines.yml": pipeline}))
    for check in CI_CHECKS:
        assert result.status(check) == "unverified", check
        assert "agent-pipeline.yml@templates" in result.messages[check]


AZURE_PIPELINE = """
    trigger:
      branches:
        include: [main]
    pr: [main]
    stages:
      - stage: build
        jobs:
          - job: build
            steps:
              - template: templates/test.yml
              - task: Docker@2
                inputs:
                  command: buildAndPush
                  Dockerfile: deployment/Dockerfile
              - task: MicrosoftSecurityDevOps@1
      - stage: deploy
        jobs:
          - deployment: aks
            environment: production.msft-agent
            strategy:
              runOnce:
                deploy:
                  steps:
                    - task: KubernetesManifest@1
                      inputs:
                        action: deploy
                        manifests: deployment/kubernetes/*.yaml
"""

GITLAB_CI = """
    include:
      - template: Jobs/SAST.gitlab-ci.yml
      - local: ci/test.yml
    build:
      image: docker:27
      script:
        - docker build -t $CI_REGISTRY_IMAGE:$CI_COMMIT_SHA -f deployment/Dockerfile .
    deploy:
      script:
        - helm upgrade --install msft-agent chart/
"""


@pytest.mark.parametrize("files", [
    pytest.param({"azure-pipelines.yml": AZURE_PIPELINE,
                  "templates/test.yml": "steps:\n  - script: python -m pytest tests/\n"}, id="azure"),
    pytest.param({".gitlab-ci.yml": GITLAB_CI, "ci/test.yml": "test:\n  script:\n    - tox -e tests\n"},
                 id="gitlab"),
])
def test_azure_pipelines_and_gitlab_ci(run, files: dict[str, str]) -> None:
    result = run(bad({".github/workflows/ci.yml": None, ".github/workflows/deploy.yml": None, **files}))
    for check in CI_CHECKS:
        assert result.status(check) == "passed", (check, result.messages[check])


def test_reusable_workflow_runs_with_its_callers_triggers(run) -> None:
    caller = ("on:\n  pull_request:\n  push:\n    branches: [main]\njobs:\n  tests:\n"
              "    uses: ./.github/workflows/tests.yml\n")
    called = "on:\n  workflow_call:\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: tox\n"
    result = run(bad({".github/workflows/ci.yml": caller, ".github/workflows/tests.yml": called}))
    assert result.status("OPS-CI-TESTS") == "passed", result.messages["OPS-CI-TESTS"]


def test_gitops_configuration_is_automated_deployment(run) -> None:
    application = """
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata:
          name: msft-agent
        spec:
          source:
            path: deployment/kubernetes
    """
    result = run(bad({".github/workflows/deploy.yml": None, "gitops/application.yaml": application}))
    assert result.status("OPS-CD") == "passed"


def test_config_mounted_from_a_secret_store_is_externalized(run) -> None:
    manifests = MANIFESTS.replace("""          envFrom:
            - configMapRef:
                name: msft-agent-config
""", """          volumeMounts:
            - name: secrets
              mountPath: /mnt/secrets-store
      volumes:
        - name: secrets
          csi:
            driver: secrets-store.csi.k8s.io
""")
    assert manifests != MANIFESTS
    result = run(bad({"deployment/kubernetes/agent.yaml": manifests}))
    assert result.status("OPS-CONFIG-EXTERNALIZED") == "passed", result.messages["OPS-CONFIG-EXTERNALIZED"]


def test_duplicate_objects_and_unquoted_data_do_not_validate(run) -> None:
    extra = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: msft-agent-config\n  namespace: msft-agent\n" \
            "data:\n  WORKERS: 4\n"
    result = run(bad({"deployment/kubernetes/extra.yaml": extra}))
    assert result.status("OPS-MANIFESTS-VALID") == "failed"
    message = result.messages["OPS-MANIFESTS-VALID"]
    assert "deployment/kubernetes/extra.yaml:1: ConfigMap/msft-agent-config is defined twice (also at " \
           "deployment/kubernetes/agent.yaml:1)" in message
    assert "data.WORKERS is 4, not a string" in message


def test_openapi_document_is_an_api_reference(run) -> None:
    spec = {"openapi": "3.1.0", "info": {"title": "msft-agent", "version": "1"},
            "paths": {"/api/question": {"post": {}}, "/health": {"get": {}}, "/metrics": {"get": {}}}}
    result = run(bad({"docs/api.md": None, "openapi.json": json.dumps(spec)}))
    assert result.status("OPS-DOCS-API") == "passed", result.messages["OPS-DOCS-API"]


def test_malformed_inputs(run) -> None:
    manifests = textwrap.dedent(MANIFESTS).lstrip() + "---\nkind: ConfigMap\nmetadata: name: broken\n"
    broken_line = manifests.count("\n")
    result = run(bad({".github/workflows/ci.yml": "on: [push\njobs: {}\n",
                      "deployment/kubernetes/agent.yaml": manifests}))
    for check in CI_CHECKS:
        assert result.status(check) == "error", check
        assert ".github/workflows/ci.yml:2" in result.messages[check]
    assert result.status("OPS-MANIFESTS-VALID") == "failed"  # not parsing is what this check is about
    where = f"deployment/kubernetes/agent.yaml:{broken_line}"
    assert f"{where}: invalid YAML" in result.messages["OPS-MANIFESTS-VALID"]
    assert result.status("OPS-CONFIG-EXTERNALIZED") == "error"
    assert where in result.messages["OPS-CONFIG-EXTERNALIZED"]
    for check in DOC_CHECKS:
        assert result.status(check) == "passed", check
