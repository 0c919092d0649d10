"""What a CI step does: build the image, run the tests, scan for vulnerabilities, deploy."""

from __future__ import annotations

import re
from collections.abc import Callable

_INSTALL_LINE = re.compile(r"^\s*(?:python3?\s+-m\s+)?(?:pip3?|uv\s+pip|pipx|poetry\s+add|uv\s+add|npm\s+(?:ci|install)"
                           r"|yarn\s+add|pnpm\s+add)\b.*$", re.MULTILINE)


def _without_installs(text: str) -> str:
    return _INSTALL_LINE.sub("", text)


_BUILD = re.compile(r"\bdocker(?:\s+buildx)?\s+(?:build|bake)\b|docker/bake-action|\bskaffold\s+(?:build|run)\b"
                    r"|\bko\s+(?:build|publish|resolve|apply)\b|\bjib(?::build|:dockerBuild|\b)|\bjibDockerBuild\b"
                    r"|\bmake\s+(?:[\w-]*\s+)*(?:image|docker|docker-build|container|build-image|images|push)\b"
                    r"|redhat-actions/buildah-build|azure/acr-build|\bnerdctl\s+build\b|\bpodman\s+build\b|\bbuildah\s+(?:bud|build)\b"
                    r"|\baz\s+acr\s+build\b|docker/build-push-action|\bkaniko\b|\bbuildctl\b|\bpack\s+build\b"
                    r"|\bdocker\s+compose\s+build\b", re.IGNORECASE)
_TESTS = re.compile(r"\bpytest\b(?!-)(?![^\n]*--readiness)|\bpython3?\s+-m\s+unittest\b|\btox\b|\bnox\b"
                    r"|\b(?:npm|yarn|pnpm)\s+(?:run\s+)?test\b|\bgo\s+test\b|\bdotnet\s+test\b|\bcargo\s+test\b"
                    r"|\bmvn\b[^\n]*\b(?:test|verify)\b|\bgradlew?\b[^\n]*\btest\b|\bmake\s+test\b"
                    r"|\bhatch\s+(?:run\s+)?test\b|\bnpx\s+(?:playwright|jest|vitest|mocha|cypress)\b"
                    r"|\b(?:jest|vitest|mocha|rspec|phpunit|gotestsum)\b(?!-)|\b(?:bun|deno|bazel|nx)\s+test\b"
                    r"|\bplaywright\s+test\b|\bcypress\s+run\b", re.IGNORECASE)
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
    cleaned = _without_installs(commands(text))
    return bool(_TESTS.search(cleaned)) or _azure_task(cleaned, "DotNetCoreCLI", "test", default=False)


def is_scan(text: str) -> bool:
    return bool(_SCANNERS.search(commands(text)))


_COMMENT = re.compile(r"(?:^|\s)#.*$")
_ECHO = re.compile(r"^\s*(?:echo|printf|Write-Host|Write-Output|::notice|::warning)\b", re.IGNORECASE)
_NEVER_FAILS = re.compile(r"\|\|\s*(?:true|:|echo\b|exit\s+0|printf\b)|;\s*(?:true|exit\s+0)\s*$")
_SET_PLUS_E = re.compile(r"^\s*set\s+\+e\b", re.MULTILINE)
_NO_FAIL_INPUT = re.compile(r"^(?:exit-code|exit_code|exitCode):\s*[\"']?0[\"']?\s*$|^soft_fail:\s*true\s*$"
                            r"|^fail-build:\s*false\s*$|--exit-code[ =]0\b|^continue-on-error:\s*true",
                            re.MULTILINE | re.IGNORECASE)


def commands(text: str) -> str:
    """A step's text without comments and echoed strings: what really runs."""
    return "\n".join(_COMMENT.sub("", line) for line in text.splitlines() if not _ECHO.match(line)
                     and not line.lstrip().startswith("#"))


def why_it_cannot_fail(text: str, matches: Callable[[str], bool]) -> str:
    """Why a step doing something can never fail the pipeline: `|| true`, `exit-code: 0`, ...; "" if it can."""
    lines = [line for line in commands(text).splitlines() if matches(line)]
    for line in lines:
        if (found := _NEVER_FAILS.search(line)) is not None:
            return f"`{found.group(0).strip()}` swallows its exit code"
    if (found := _NO_FAIL_INPUT.search(text)) is not None:
        return f"`{found.group(0).strip()}` makes it report without failing"
    if set_e := _SET_PLUS_E.search(text):
        return f"`{set_e.group(0).strip()}` ignores failures"
    return ""


def is_deploy(text: str) -> bool:
    return (bool(_DEPLOY.search(text)) or _azure_task(text, "KubernetesManifest", "deploy|promote", default=False)
            or _azure_task(text, "Kubernetes", "apply|set", default=False))
