"""Operations: the seed's CI/CD Pipeline, Configuration Management and Documentation sections, read from the
CI definitions (GitHub Actions, Azure Pipelines, GitLab CI), the manifests and docs/.

Checks: OPS-CI-BUILD, OPS-CI-TESTS, OPS-CI-SECURITY-SCAN, OPS-CD, OPS-CONFIG-EXTERNALIZED,
OPS-MANIFESTS-VALID, OPS-DOCS-ARCHITECTURE, OPS-DOCS-RUNBOOKS, OPS-DOCS-TROUBLESHOOTING, OPS-DOCS-API,
OPS-DOCKERFILE.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import PurePosixPath
from typing import Any

import pytest

from pytest_readiness import Evidence, Unverified, check, unverified
from pytest_readiness.results import Location
from pytest_readiness.settings import Settings
from pytest_readiness.sources.kube import manifests as manifest_source
from pytest_readiness.sources.kube import validation
from pytest_readiness.sources.kube.fixtures import load_manifests
from pytest_readiness.sources.kube.model import ObjectSet, Workload
from pytest_readiness.sources.repo import docs as docs_source
from pytest_readiness.sources.repo.agent_config import AgentConfig
from pytest_readiness.sources.repo.ci_steps import GITOPS, is_build, is_deploy, is_scan, is_test, why_it_cannot_fail
from pytest_readiness.sources.repo.dockerfile import Dockerfile
from pytest_readiness.sources.repo.files import CI_PATTERNS, Repo
from pytest_readiness.sources.repo.image_user import final_user
from pytest_readiness.sources.repo.pipelines import Pipeline, Step, session_pipelines


def _find_steps(config: pytest.Config, repo: Repo, evidence: Evidence, what: str, matches: Callable[[str], bool],
                must_fail: bool = False) -> tuple[list[Pipeline], list[Step]]:
    """The CI steps that do `what` (and, if `must_fail`, can fail the pipeline); fails when there is no CI at
    all, unverified when they may be in remote templates."""
    found = session_pipelines(config, repo)
    if not found:
        pytest.fail(f"no CI definition in the repository (looked for {', '.join(CI_PATTERNS)}), so nothing {what}",
                    pytrace=False)
    steps: list[tuple[Step, str]] = []
    toothless: list[tuple[Step, str]] = []
    for step in (s for p in found for s in p.steps if matches(s.text)):
        why = (step.soft or why_it_cannot_fail(step.text, matches)) if must_fail else ""
        (toothless if why else steps).append((step, why))
    for step, why in steps + toothless:
        shown = f"{what}: {' | '.join(step.text.splitlines()[:2])}"
        evidence.add(f"{shown} (does not count: {why})" if why else shown, step.where)
    remote = sorted({r for p in found for r in p.remote})
    if not steps and remote:
        unverified(f"no CI step in {', '.join(p.path for p in found)} {what}, but the pipelines use templates or "
                   f"workflows from other repositories ({'; '.join(remote)}): check them and waive this check")
    if not steps and toothless:
        step, why = toothless[0]
        pytest.fail(f"{step.where}: the only step that {what} can never fail the pipeline: {why}", pytrace=False)
    return found, [step for step, _ in steps]


def _paths(found: list[Pipeline]) -> str:
    return ", ".join(p.path for p in found)


@check("OPS-CI-BUILD")
def test_ci_builds_image(pytestconfig: pytest.Config, repo: Repo, evidence: Evidence) -> None:
    found, steps = _find_steps(pytestconfig, repo, evidence, "builds the container image", is_build)
    assert steps, f"{_paths(found)}: no step builds the container image (docker build, build-push-action, ...)"


@check("OPS-CI-TESTS")
def test_ci_runs_tests(pytestconfig: pytest.Config, repo: Repo, evidence: Evidence) -> None:
    found, steps = _find_steps(pytestconfig, repo, evidence, "runs the tests", is_test, must_fail=True)
    assert steps, f"{_paths(found)}: no step runs the test suite (pytest, tox, npm test, ...)"
    events = {e for p in found if any(s in steps for s in p.steps) for e in p.events}
    evidence.add(f"the test pipelines run on: {', '.join(sorted(events)) or 'manual dispatch only'}")
    for event, when in (("pr", "pull requests"), ("main", "pushes to the main branch")):
        if event not in events:
            evidence.finding(f"the tests do not run on {when}", steps[0].where)
    evidence.fail_if_findings("the tests do not run on every pull request and merge")


@check("OPS-CI-SECURITY-SCAN")
def test_ci_security_scan(pytestconfig: pytest.Config, repo: Repo, evidence: Evidence) -> None:
    found, steps = _find_steps(pytestconfig, repo, evidence, "runs a security scanner", is_scan, must_fail=True)
    assert steps, (f"{_paths(found)}: no step runs a security scanner (trivy, CodeQL, Bandit, Snyk, Checkov, "
                   "Gitleaks, Semgrep, Microsoft Security DevOps, ...)")


@check("OPS-CD")
def test_automated_deployment(pytestconfig: pytest.Config, repo: Repo, evidence: Evidence) -> None:
    gitops = [p for p in repo.matching("*.yaml", "*.yml") if GITOPS.search(repo.text(p) or "")]
    for path in gitops:
        evidence.add("GitOps controller configuration (Argo CD / Flux)", path)
    if gitops:
        return
    found, steps = _find_steps(pytestconfig, repo, evidence, "deploys to the cluster", is_deploy)
    assert steps, (f"{_paths(found)}: no step deploys the manifests (kubectl apply, helm upgrade, "
                   "azure/k8s-deploy, KubernetesManifest@, ...) and no Argo CD or Flux configuration")


# --- configuration from ConfigMaps and Secrets --------------------------------------------------

CODE_SUFFIXES = (".py", ".js", ".ts", ".cs", ".go", ".java", ".kt", ".rb")
NOT_SERVICE_CODE = frozenset({"tests", "test", "loadtest", "load-tests", "docs", "examples", "conftest_examples"})
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://([^/:?#\s]+)", re.IGNORECASE)
# Public endpoints every Azure client names; code that spells them out hardcodes no deployment setting.
SHARED_HOSTS = frozenset({"login.microsoftonline.com", "login.windows.net", "sts.windows.net", "management.azure.com",
                          "graph.microsoft.com", "cognitiveservices.azure.com"})


def _config_sources(workload: Workload) -> Iterator[str]:
    volumes = {v.get("name"): v for v in workload.pod_spec.get("volumes") or []}
    for container in workload.containers:
        for source in container.spec.get("envFrom") or []:
            for kind in ("configMapRef", "secretRef"):
                if (source or {}).get(kind):
                    yield f"{container.name}: envFrom {kind} {source[kind].get('name')}"
        for var in container.spec.get("env") or []:
            for kind in ("configMapKeyRef", "secretKeyRef"):
                ref = (var.get("valueFrom") or {}).get(kind)
                if ref:
                    yield f"{container.name}: env {var.get('name')} from {kind} {ref.get('name')}"
        for mount in container.spec.get("volumeMounts") or []:
            volume = volumes.get(mount.get("name")) or {}
            sources = [s for s in (volume.get("projected") or {}).get("sources") or []]
            kinds = [k for k in ("configMap", "secret") if k in volume or any(k in s for s in sources)]
            csi = (volume.get("csi") or {}).get("driver") == "secrets-store.csi.k8s.io"
            if kinds or csi:
                yield f"{container.name}: mounts {'/'.join(kinds) or 'Key Vault (CSI)'} at {mount.get('mountPath')}"


def _configured_hosts(agent_config: AgentConfig) -> dict[str, str]:
    """Host names of the endpoints in the agent config, by the key that sets them."""
    hosts: dict[str, str] = {}

    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                walk(value, f"{prefix}.{key}" if prefix else str(key))
        elif isinstance(node, str) and (match := _URL.match(node)):
            host = match.group(1).lower()
            if "." in host and host not in SHARED_HOSTS:
                hosts.setdefault(host, prefix)

    walk(agent_config.data, "")
    return hosts


@check("OPS-CONFIG-EXTERNALIZED")
def test_config_externalized(manifests: ObjectSet, repo: Repo, request: pytest.FixtureRequest,
                             evidence: Evidence) -> None:
    serving = [w for w in manifests.workloads() if w.is_serving]
    if not serving:
        unverified("no serving workload in the manifests to check where its configuration comes from")
    for workload in serving:
        sources = list(_config_sources(workload))
        for source in sources:
            evidence.add(f"{workload.ref}: {source}", workload.location)
        if not sources:
            evidence.finding(f"{workload.ref} takes no configuration from a ConfigMap or Secret (no envFrom, "
                             "configMapKeyRef/secretKeyRef or mounted volume): its config is baked into the image",
                             workload.location)
    try:
        agent_config: AgentConfig = request.getfixturevalue("agent_config")
    except Unverified:
        evidence.add("no agent config: the code was not searched for hardcoded endpoints")
    else:
        _find_hardcoded_endpoints(repo, agent_config, evidence)
    evidence.fail_if_findings("configuration is not externalized")


def _find_hardcoded_endpoints(repo: Repo, agent_config: AgentConfig, evidence: Evidence) -> None:
    hosts = _configured_hosts(agent_config)
    for path in repo.files:
        if not path.endswith(CODE_SUFFIXES) or NOT_SERVICE_CODE & set(PurePosixPath(path).parts):
            continue
        for number, line in enumerate((repo.text(path) or "").splitlines(), start=1):
            for host, key in hosts.items():
                if host in line.lower():
                    evidence.finding(f"the code hardcodes {host}, which {agent_config.where(key)} ({key}) "
                                     "configures", Location(path, number))


@check("OPS-MANIFESTS-VALID")
def test_manifests_validate(pytestconfig: pytest.Config, readiness_settings: Settings, evidence: Evidence) -> None:
    objects = load_manifests(pytestconfig)
    for problem in objects.problems:
        evidence.finding(problem.message, problem.location)
    if readiness_settings.manifests != manifest_source.STDIN:
        root = readiness_settings.resolve(readiness_settings.manifests)
        for path in manifest_source.plain_manifest_files(root):
            for detail, where in validation.document_problems(path, readiness_settings.display(path)):
                evidence.finding(detail, where)
    for obj in objects.objects:
        for detail in [*validation.object_problems(obj), *validation.probe_port_problems(obj),
                       *validation.selection_problems(obj, objects.objects)]:
            evidence.finding(f"{obj.ref}: {detail}", obj.location)
    for obj, first in validation.duplicates(objects.objects):
        evidence.finding(f"{obj.ref} is defined twice (also at {first.location}): the later one silently "
                         "replaces the earlier", obj.location)
    evidence.add(f"{len(objects.objects)} objects read from {readiness_settings.manifests}")
    evidence.fail_if_findings("manifests that kubectl apply would reject")


# --- documentation ------------------------------------------------------------------------------

def _check_docs(check_id: str, repo: Repo, settings: Settings, evidence: Evidence,
                required: bool = True) -> list[str]:
    """The substantial docs on a check's topic; fails when there are none (unless not `required`)."""
    topic = docs_source.TOPICS[check_id]
    docs = docs_source.matching_docs(repo, settings.docs, topic)
    if not docs and not required:
        return []
    if not repo.under(settings.docs) and not docs:
        pytest.fail(f"no {settings.docs}/ directory in the repository, so no {topic.what}: add {topic.example}",
                    pytrace=False)
    assert docs, f"{settings.docs}/ has no {topic.what} (by file name or heading): add {topic.example}"
    substantial = []
    for path, line, why, text in docs:
        words = docs_source.substance(text)
        evidence.add(f"{topic.what}: {why} ({words} words besides headings and TODOs)", Location(path, line))
        if words >= docs_source.MIN_DOC_WORDS:
            substantial.append(text)
    assert substantial, (f"the {topic.what} is a stub: {', '.join(f'{p}:{n}' for p, n, _, _ in docs)} has fewer "
                         f"than {docs_source.MIN_DOC_WORDS} words of content besides headings and TODO text")
    return substantial


@check("OPS-DOCS-ARCHITECTURE")
def test_docs_architecture(repo: Repo, readiness_settings: Settings, evidence: Evidence) -> None:
    _check_docs("OPS-DOCS-ARCHITECTURE", repo, readiness_settings, evidence)


@check("OPS-DOCS-RUNBOOKS")
def test_docs_runbooks(repo: Repo, readiness_settings: Settings, evidence: Evidence) -> None:
    _check_docs("OPS-DOCS-RUNBOOKS", repo, readiness_settings, evidence)


@check("OPS-DOCS-TROUBLESHOOTING")
def test_docs_troubleshooting(repo: Repo, readiness_settings: Settings, evidence: Evidence) -> None:
    _check_docs("OPS-DOCS-TROUBLESHOOTING", repo, readiness_settings, evidence)


@check("OPS-DOCS-API")
def test_docs_api(repo: Repo, readiness_settings: Settings, evidence: Evidence) -> None:
    specs = list(docs_source.openapi_paths(repo))
    for path, paths in specs:
        evidence.add(f"OpenAPI document with {len(paths)} paths", path)
    declared = docs_source.code_routes(repo)
    routes = declared or list(docs_source.API_ENDPOINTS)
    evidence.add(f"routes to document: {', '.join(routes)}"
                 + (" (from the service's code)" if declared else " (the template's)"))
    covered = " ".join(" ".join(paths) for _, paths in specs)
    if any(r not in covered for r in routes):
        covered += " ".join(_check_docs("OPS-DOCS-API", repo, readiness_settings, evidence, required=not specs))
    missing = [r for r in routes if r not in covered]
    assert not missing, f"the API reference does not document {', '.join(missing)}"


# --- image build ---------------------------------------------------------------------------------

_ARG_REFERENCE = re.compile(r"\$\{?(\w+)\}?")


def _base_reference(base: str, args: Mapping[str, str]) -> str:
    return _ARG_REFERENCE.sub(lambda m: args.get(m.group(1), m.group(0)), base)


def _pinned(image: str) -> bool:
    if "@sha256:" in image:
        return True
    name, _, tag = image.rpartition(":")
    return bool(name) and "/" not in tag and tag not in ("", "latest") and "$" not in tag


@check("OPS-DOCKERFILE")
def test_dockerfile_builds_pinned_non_root_image(dockerfile: Dockerfile, evidence: Evidence) -> None:
    args = {k: v for k, _, v in (a.partition("=") for a in dockerfile.global_args)}
    stage_names = {s.name.lower() for s in dockerfile.stages if s.name}
    for stage in dockerfile.stages:
        base = _base_reference(stage.base, args)
        evidence.add(f"stage {stage.index} FROM {base}", stage.location)
        if base.lower() in stage_names or base == "scratch":
            continue
        if not _pinned(base):
            evidence.finding(f"base image {base!r} is not pinned to a version or digest", stage.location)
    user = final_user(dockerfile)
    evidence.add(f"final stage {user.describe()}", user.location)
    if user.unresolved or not (user.numeric and not user.is_root):
        evidence.finding(f"the final stage runs as {user.name!r} ({user.describe()}): use a numeric non-root "
                         "USER (e.g. 10001)", user.location)
    evidence.fail_if_findings(f"{dockerfile.display} does not build a pinned, non-root image")
