"""What a CI step does: build the image, run the tests, scan for vulnerabilities, deploy."""

from __future__ import annotations

import re

_INSTALL_LINE = re.compile(r"^\s*(?:python3?\s+-m\s+)?(?:pip3?|uv\s+pip|pipx|poetry\s+add|uv\s+add|npm\s+(?:ci|install)"
                           r"|yarn\s+add|pnpm\s+add)\b.*$", re.MULTILINE)


def _without_installs(text: str) -> str:
    return _INSTALL_LINE.sub("", text)


_BUILD = re.compile(r"\bdocker(?:\s+buildx)?\s+build\b|\bpodman\s+build\b|\bbuildah\s+(?:bud|build)\b"
                    r"|\baz\s+acr\s+build\b|docker/build-push-action|\bkaniko\b|\bbuildctl\b|\bpack\s+build\b"
                    r"|\bdocker\s+compose\s+build\b", re.IGNORECASE)
_TESTS = re.compile(r"\bpytest\b(?!-)(?![^\n]*--readiness)|\bpython3?\s+-m\s+unittest\b|\btox\b|\bnox\b"
                    r"|\b(?:npm|yarn|pnpm)\s+(?:run\s+)?test\b|\bgo\s+test\b|\bdotnet\s+test\b|\bcargo\s+test\b"
                    r"|\bmvn\b[^\n]*\b(?:test|verify)\b|\bgradlew?\b[^\n]*\btest\b|\bmake\s+test\b"
                    r"|\bhatch\s+(?:run\s+)?test\b", re.IGNORECASE)
_SCANNERS = re.compile(r"trivy|grype|snyk|codeql-action/(?:init|analyze)|\bcodeql\s+(?:database|analyze)\b"
                       r"|\bbandit\b|checkov|gitleaks|trufflehog|semgrep|security-devops|MicrosoftSecurityDevOps"
                       r"|AdvancedSecurity-Codeql|\btfsec\b|\bkics\b|pip-audit|\bsafety\s+(?:check|scan)\b"
                       r"|\bnpm\s+audit\b|dependency-check|sonarsource|sonar-scanner|SonarCloud|SonarQube|zaproxy"
                       r"|zap-(?:baseline|full-scan|api-scan)|osv-scanner|docker\s+scout|anchore"
                       r"|Security/SAST|Jobs/SAST|Secret-Detection|Dependency-Scanning|Container-Scanning",
                       re.IGNORECASE)
_DEPLOY = re.compile(r"\bkubectl\b(?![^\n]*--dry-run)[^\n]*\b(?:apply|replace|set\s+image)\b"
                     r"|\bhelm\b(?![^\n]*--dry-run)[^\n]*\b(?:upgrade|install)\b|azure/k8s-deploy|HelmDeploy@\d"
                     r"|\bargocd\s+app\s+sync\b|\bflux\s+reconcile\b|\bskaffold\s+(?:run|deploy)\b"
                     r"|\bazd\s+(?:deploy|up)\b", re.IGNORECASE)
GITOPS = re.compile(r"^apiVersion:\s*[\"']?(?:argoproj\.io|kustomize\.toolkit\.fluxcd\.io|helm\.toolkit\.fluxcd\.io)/",
                     re.MULTILINE)


def _azure_task(text: str, task: str, inputs: str, default: bool) -> bool:
    """An Azure Pipelines task step (`task: Docker@2`) whose command/action input is one of `inputs`."""
    if not re.search(rf"^{task}@\d+\s*$", text, re.MULTILINE | re.IGNORECASE):
        return False
    chosen = re.search(r"^(?:command|action):\s*(\S+)", text, re.MULTILINE)
    return default if chosen is None else re.fullmatch(inputs, chosen.group(1), re.IGNORECASE) is not None


def is_build(text: str) -> bool:
    return bool(_BUILD.search(text)) or _azure_task(text, "Docker", "build|buildAndPush", default=True)


def is_test(text: str) -> bool:
    cleaned = _without_installs(text)
    return bool(_TESTS.search(cleaned)) or _azure_task(cleaned, "DotNetCoreCLI", "test", default=False)


def is_scan(text: str) -> bool:
    return bool(_SCANNERS.search(text))


def is_deploy(text: str) -> bool:
    return (bool(_DEPLOY.search(text)) or _azure_task(text, "KubernetesManifest", "deploy|promote", default=False)
            or _azure_task(text, "Kubernetes", "apply|set", default=False))
