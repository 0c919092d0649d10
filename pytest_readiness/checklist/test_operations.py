"""Operations: the seed's CI/CD Pipeline, Configuration Management and Documentation sections, read from the
CI definitions (GitHub Actions, Azure Pipelines, GitLab CI), the manifests and docs/."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from pytest_readiness import Evidence, SourceError, Unverified, check, unverified
from pytest_readiness.results import Location
from pytest_readiness.settings import Settings
from pytest_readiness.sources.kube import manifests as manifest_source
from pytest_readiness.sources.kube.fixtures import load_manifests
from pytest_readiness.sources.kube.model import KubeObject, ObjectSet, Workload, selector_matches
from pytest_readiness.sources.repo.agent_config import AgentConfig
from pytest_readiness.sources.repo.dockerfile import Dockerfile
from pytest_readiness.sources.repo.files import CI_PATTERNS, Repo

# --- CI definitions -----------------------------------------------------------------------------

STEP_KEYS = ("run", "script", "bash", "pwsh", "powershell", "uses", "task", "template", "before_script",
             "after_script", "image")
INPUT_KEYS = ("with", "inputs")
_INSTALL_LINE = re.compile(r"^\s*(?:python3?\s+-m\s+)?(?:pip3?|uv\s+pip|pipx|poetry\s+add|uv\s+add|npm\s+(?:ci|install)"
                           r"|yarn\s+add|pnpm\s+add)\b.*$", re.MULTILINE)


@dataclass(frozen=True)
class Step:
    text: str
    where: Location


@dataclass
class Pipeline:
    path: str
    steps: list[Step] = field(default_factory=list)
    events: set[str] = field(default_factory=set)  # "pr" and/or "main": what runs it
    includes: list[str] = field(default_factory=list)  # local templates, includes, called workflows
    remote: list[str] = field(default_factory=list)  # templates or workflows kept in another repository


def _scalars(node: yaml.Node) -> Iterator[str]:
    if isinstance(node, yaml.ScalarNode):
        yield str(node.value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _scalars(item)
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from (f"{key.value}: {text}" for text in _scalars(value))


def _steps(node: yaml.Node, path: str) -> Iterator[Step]:
    """Every mapping that runs something (a step, a GitLab job, a template reference), with its line."""
    if isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _steps(item, path)
    if not isinstance(node, yaml.MappingNode):
        return
    keys = {str(k.value): v for k, v in node.value if isinstance(k, yaml.ScalarNode)}
    if any(k in keys for k in STEP_KEYS):
        texts = [t for k in STEP_KEYS if k in keys for t in _scalars(keys[k])]
        texts += [t for k in INPUT_KEYS if k in keys for t in _scalars(keys[k])]
        yield Step("\n".join(texts), Location(path, node.start_mark.line + 1))
    for _, value in node.value:
        yield from _steps(value, path)


def _load(text: str, path: str) -> tuple[list[yaml.Node], Any]:
    try:
        nodes = [n for n in yaml.compose_all(text, Loader=yaml.SafeLoader) if n is not None]
        return nodes, (yaml.safe_load(text) if len(nodes) == 1 else None)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SourceError(f"{path}:{mark.line + 1}" if mark else path, f"invalid YAML: {problem}") from None


_MAIN = re.compile(r"^(?:main|master|\*\*?|refs/heads/(?:main|master))$")


def _branches_allow_main(spec: Any) -> bool:
    if isinstance(spec, Mapping):
        spec = spec.get("branches", spec.get("include"))
        if isinstance(spec, Mapping):
            spec = spec.get("include")
    return spec is None or any(_MAIN.match(str(b)) for b in (spec if isinstance(spec, list) else [spec]))


def _github_events(data: Mapping[Any, Any]) -> set[str]:
    on = data.get("on", data.get(True))  # YAML 1.1 reads a bare `on:` key as True
    triggers = on if isinstance(on, Mapping) else dict.fromkeys(on if isinstance(on, list) else [on])
    events = set()
    if any(t in triggers for t in ("pull_request", "pull_request_target", "merge_group")):
        events.add("pr")
    if "push" in triggers and _branches_allow_main(triggers["push"]):
        events.add("main")
    return events


def _azure_events(data: Mapping[Any, Any]) -> set[str]:
    events = set()
    if data.get("pr") not in ("none", False):
        events.add("pr")
    if data.get("trigger") not in ("none", False) and _branches_allow_main(data.get("trigger")):
        events.add("main")
    return events


def _kind(path: str) -> str:
    return "github" if path.startswith(".github/") else "gitlab" if ".gitlab-ci" in path else "azure"


def _events(kind: str, data: Any) -> set[str]:
    if not isinstance(data, Mapping):
        return set()
    if kind == "gitlab":
        return {"pr", "main"}  # GitLab runs branch pipelines on every push, merge request branches included
    return _github_events(data) if kind == "github" else _azure_events(data)


def _references(data: Any, kind: str) -> Iterator[tuple[str, bool]]:
    """(target, is_local) of the templates, includes and reusable workflows a CI definition uses."""
    if isinstance(data, list):
        for item in data:
            yield from _references(item, kind)
    if not isinstance(data, Mapping):
        return
    for key, value in data.items():
        if key == "uses" and isinstance(value, str):
            if value.startswith("./"):
                yield value[2:], True
            elif ".github/workflows/" in value:
                yield value, False
        elif key == "template" and isinstance(value, str) and kind == "azure":
            target, _, alias = value.partition("@")
            yield (target, True) if alias in ("", "self") else (value, False)
        elif key == "include" and kind == "gitlab":
            for entry in value if isinstance(value, list) else [value]:
                if isinstance(entry, str):
                    yield entry.lstrip("/"), "://" not in entry
                elif isinstance(entry, Mapping) and "local" in entry:
                    yield str(entry["local"]).lstrip("/"), True
                elif isinstance(entry, Mapping) and not entry.keys() <= {"template", "rules", "inputs"}:
                    yield ", ".join(f"{k}: {v}" for k, v in entry.items() if isinstance(v, str)), False
        yield from _references(value, kind)


def _resolve_local(target: str, including: str, repo: Repo) -> str | None:
    candidates = [target.lstrip("/"), str(PurePosixPath(including).parent / target), f"{target}/action.yml",
                  f"{target}/action.yaml"]
    return next((c for c in candidates if c in repo.files), None)


def pipelines(repo: Repo) -> list[Pipeline]:
    """Every CI definition with its steps, following local templates, includes and composite actions."""
    roots = repo.ci_files()
    queue, found = [(path, _kind(path)) for path in roots], {}
    while queue:
        path, kind = queue.pop(0)
        if path in found:
            continue
        nodes, data = _load(repo.text(path) or "", path)
        pipeline = Pipeline(path, events=_events(kind, data) if path in roots else set())
        for node in nodes:
            pipeline.steps.extend(_steps(node, path))
        for target, is_local in _references(data, kind):
            local = _resolve_local(target, path, repo) if is_local else None
            if local:
                pipeline.includes.append(local)
                queue.append((local, kind))
            else:
                pipeline.remote.append(target)
        found[path] = pipeline
    for _ in found:  # templates and called workflows run when the pipelines that use them run
        for pipeline in found.values():
            for child in pipeline.includes:
                found[child].events |= pipeline.events
    return list(found.values())


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
_GITOPS = re.compile(r"^apiVersion:\s*[\"']?(?:argoproj\.io|kustomize\.toolkit\.fluxcd\.io|helm\.toolkit\.fluxcd\.io)/",
                     re.MULTILINE)


def _azure_task(text: str, task: str, inputs: str, default: bool) -> bool:
    """An Azure Pipelines task step (`task: Docker@2`) whose command/action input is one of `inputs`."""
    if not re.search(rf"^{task}@\d+\s*$", text, re.MULTILINE | re.IGNORECASE):
        return False
    chosen = re.search(r"^(?:command|action):\s*(\S+)", text, re.MULTILINE)
    return default if chosen is None else re.fullmatch(inputs, chosen.group(1), re.IGNORECASE) is not None


def _is_build(text: str) -> bool:
    return bool(_BUILD.search(text)) or _azure_task(text, "Docker", "build|buildAndPush", default=True)


def _is_test(text: str) -> bool:
    cleaned = _without_installs(text)
    return bool(_TESTS.search(cleaned)) or _azure_task(cleaned, "DotNetCoreCLI", "test", default=False)


def _is_scan(text: str) -> bool:
    return bool(_SCANNERS.search(text))


def _is_deploy(text: str) -> bool:
    return (bool(_DEPLOY.search(text)) or _azure_task(text, "KubernetesManifest", "deploy|promote", default=False)
            or _azure_task(text, "Kubernetes", "apply|set", default=False))


def _find_steps(repo: Repo, evidence: Evidence, what: str,
                matches: Callable[[str], bool]) -> tuple[list[Pipeline], list[Step]]:
    """The CI steps that do `what`; fails when there is no CI at all, unverified when they may be remote."""
    found = pipelines(repo)
    if not found:
        pytest.fail(f"no CI definition in the repository (looked for {', '.join(CI_PATTERNS)}), so nothing {what}",
                    pytrace=False)
    steps = [s for p in found for s in p.steps if matches(s.text)]
    for step in steps:
        evidence.add(f"{what}: {' | '.join(step.text.splitlines()[:2])}", step.where)
    remote = sorted({r for p in found for r in p.remote})
    if not steps and remote:
        unverified(f"no CI step in {', '.join(p.path for p in found)} {what}, but the pipelines use templates or "
                   f"workflows from other repositories ({'; '.join(remote)}): check them and waive this check")
    return found, steps


def _paths(found: list[Pipeline]) -> str:
    return ", ".join(p.path for p in found)


@check("OPS-CI-BUILD")
def test_ci_builds_image(repo: Repo, evidence: Evidence) -> None:
    found, steps = _find_steps(repo, evidence, "builds the container image", _is_build)
    assert steps, f"{_paths(found)}: no step builds the container image (docker build, build-push-action, ...)"


@check("OPS-CI-TESTS")
def test_ci_runs_tests(repo: Repo, evidence: Evidence) -> None:
    found, steps = _find_steps(repo, evidence, "runs the tests", _is_test)
    assert steps, f"{_paths(found)}: no step runs the test suite (pytest, tox, npm test, ...)"
    events = {e for p in found if any(s in steps for s in p.steps) for e in p.events}
    evidence.add(f"the test pipelines run on: {', '.join(sorted(events)) or 'manual dispatch only'}")
    for event, when in (("pr", "pull requests"), ("main", "pushes to the main branch")):
        if event not in events:
            evidence.finding(f"the tests do not run on {when}", steps[0].where)
    evidence.fail_if_findings("the tests do not run on every pull request and merge")


@check("OPS-CI-SECURITY-SCAN")
def test_ci_security_scan(repo: Repo, evidence: Evidence) -> None:
    found, steps = _find_steps(repo, evidence, "runs a security scanner", _is_scan)
    assert steps, (f"{_paths(found)}: no step runs a security scanner (trivy, CodeQL, Bandit, Snyk, Checkov, "
                   "Gitleaks, Semgrep, Microsoft Security DevOps, ...)")


@check("OPS-CD")
def test_automated_deployment(repo: Repo, evidence: Evidence) -> None:
    gitops = [p for p in repo.matching("*.yaml", "*.yml") if _GITOPS.search(repo.text(p) or "")]
    for path in gitops:
        evidence.add("GitOps controller configuration (Argo CD / Flux)", path)
    if gitops:
        return
    found, steps = _find_steps(repo, evidence, "deploys to the cluster", _is_deploy)
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


# --- manifests validate -------------------------------------------------------------------------

_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
LABEL_NAME_KINDS = ("Service", "Namespace")
SUBDOMAIN_NAME_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod", "ConfigMap",
                        "Secret", "Ingress", "ServiceAccount", "PodDisruptionBudget", "HorizontalPodAutoscaler",
                        "NetworkPolicy", "PersistentVolumeClaim")
SELECTOR_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")
UNNAMED_KINDS = ("Kustomization",)


def _document_problems(path: Path, display: str) -> Iterator[tuple[str, Location]]:
    """Documents the manifests source skips silently: not a mapping, or no apiVersion/kind."""
    try:
        nodes = yaml.compose_all(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
        for node in nodes:
            where = Location(display, node.start_mark.line + 1) if node is not None else Location(display)
            if node is None or (isinstance(node, yaml.ScalarNode) and node.value in ("", "null", "~")):
                continue
            if not isinstance(node, yaml.MappingNode):
                yield "the document is not a mapping (a Kubernetes object)", where
                continue
            keys = {str(k.value) for k, _ in node.value}
            missing = [k for k in ("apiVersion", "kind") if k not in keys]
            if missing and (keys & {"metadata", "spec", "data"} or len(missing) == 1):
                yield f"the object has no {' and no '.join(missing)}", where
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return  # reported by the manifests source as a parse problem


def _metadata_problems(obj: KubeObject, metadata: Mapping[str, Any], what: str) -> Iterator[str]:
    for field_name in ("labels", "annotations"):
        values = metadata.get(field_name) or {}
        if not isinstance(values, Mapping):
            yield f"{what}.{field_name} is not a mapping"
            continue
        for key, value in values.items():
            if not isinstance(value, str):
                yield (f"{what}.{field_name}.{key} is {value!r}, not a string: quote it "
                       f"(kubectl rejects a {type(value).__name__} here)")
            elif field_name == "labels" and (len(value) > 63 or not _LABEL_VALUE.match(value)):
                yield f"{what}.labels.{key} = {value!r} is not a valid label value"


def _container_problems(container: Mapping[str, Any], index: int) -> Iterator[str]:
    name = container.get("name")
    where = f"container {name or index}"
    if not isinstance(name, str) or not _DNS_LABEL.match(name):
        yield f"{where}: name {name!r} is missing or not a DNS label"
    if not container.get("image"):
        yield f"{where}: no image"
    for var in container.get("env") or []:
        if not isinstance(var, Mapping) or not var.get("name"):
            yield f"{where}: an env entry has no name"
        elif "value" in var and not isinstance(var["value"], str):
            yield f"{where}: env {var['name']} value {var['value']!r} is not a string: quote it"
    for port in container.get("ports") or []:
        number = port.get("containerPort") if isinstance(port, Mapping) else None
        if not isinstance(number, int) or isinstance(number, bool) or not 0 < number < 65536:
            yield f"{where}: containerPort {number!r} is not a port number"


def _object_problems(obj: KubeObject) -> Iterator[str]:
    name = obj.metadata.get("name") or obj.metadata.get("generateName")
    if obj.kind not in UNNAMED_KINDS and (not isinstance(name, str) or not name):
        yield "metadata.name is missing"
    elif isinstance(name, str) and obj.kind in (*LABEL_NAME_KINDS, *SUBDOMAIN_NAME_KINDS):
        pattern, limit = (_DNS_LABEL, 63) if obj.kind in LABEL_NAME_KINDS else (_DNS_SUBDOMAIN, 253)
        if not pattern.match(name.rstrip("-")) or len(name) > limit:
            yield f"metadata.name {name!r} is not a valid {obj.kind} name (lowercase letters, digits and '-')"
    yield from _metadata_problems(obj, obj.metadata, "metadata")
    if obj.kind in ("ConfigMap", "Secret"):
        for field_name in ("data", "stringData"):
            for key, value in (obj.body.get(field_name) or {}).items():
                if not isinstance(value, str):
                    yield f"{field_name}.{key} is {value!r}, not a string: quote it"
    if obj.kind == "Service" and obj.spec.get("type") != "ExternalName" and obj.spec.get("clusterIP") != "None":
        for port in obj.spec.get("ports") or [None]:
            number = port.get("port") if isinstance(port, Mapping) else None
            if not isinstance(number, int) or isinstance(number, bool) or not 0 < number < 65536:
                yield f"spec.ports: port {number!r} is missing or not a port number"
    yield from _workload_problems(obj)


def _workload_problems(obj: KubeObject) -> Iterator[str]:
    if obj.kind not in (*SELECTOR_KINDS, "Job", "CronJob", "Pod"):
        return
    workload = Workload(obj)
    if obj.kind in SELECTOR_KINDS:
        selector = obj.spec.get("selector")
        if not selector:
            yield "spec.selector is required"
        elif not selector_matches(selector, workload.pod_labels):
            yield "spec.selector does not match spec.template.metadata.labels"
        yield from _metadata_problems(obj, workload.pod_template.get("metadata") or {}, "spec.template.metadata")
    containers = workload.pod_spec.get("containers")
    if not isinstance(containers, list) or not containers:
        yield "the pod template has no containers"
        return
    names = [c.get("name") for c in containers if isinstance(c, Mapping)]
    if len(names) != len(set(names)):
        yield "two containers have the same name"
    for index, container in enumerate(containers):
        yield from _container_problems(container if isinstance(container, Mapping) else {}, index)


def _identity(obj: KubeObject) -> tuple[str, str, str | None, str]:
    return obj.api_version.split("/")[0], obj.kind, obj.namespace, obj.name


@check("OPS-MANIFESTS-VALID")
def test_manifests_validate(pytestconfig: pytest.Config, readiness_settings: Settings, evidence: Evidence) -> None:
    objects = load_manifests(pytestconfig)
    for problem in objects.problems:
        evidence.finding(problem.message, problem.location)
    if readiness_settings.manifests != "-":
        root = readiness_settings.resolve(readiness_settings.manifests)
        for path in manifest_source.manifest_files(root):
            display = str(path.relative_to(readiness_settings.project)) if path.is_relative_to(
                readiness_settings.project) else str(path)
            for detail, where in _document_problems(path, display):
                evidence.finding(detail, where)
    seen: dict[tuple[str, str, str | None, str], KubeObject] = {}
    for obj in objects.objects:
        for detail in _object_problems(obj):
            evidence.finding(f"{obj.ref}: {detail}", obj.location)
        if _identity(obj) in seen and obj.kind not in UNNAMED_KINDS:
            evidence.finding(f"{obj.ref} is defined twice (also at {seen[_identity(obj)].location}): the later one "
                             "silently replaces the earlier", obj.location)
        seen.setdefault(_identity(obj), obj)
    evidence.add(f"{len(objects.objects)} objects read from {readiness_settings.manifests}")
    evidence.fail_if_findings("manifests that kubectl apply would reject")


# --- documentation ------------------------------------------------------------------------------

DOC_SUFFIXES = (".md", ".markdown", ".rst", ".adoc", ".txt")
MIN_DOC_WORDS = 50
_HEADING = re.compile(r"^(?:#{1,6}|={1,6})\s+(.+?)\s*#*$", re.MULTILINE)


@dataclass(frozen=True)
class Topic:
    what: str
    name: re.Pattern[str]
    heading: re.Pattern[str]
    example: str


TOPICS = {
    "OPS-DOCS-ARCHITECTURE": Topic("architecture document", re.compile(r"architect|system[-_ ]?design", re.I),
                                   re.compile(r"architecture|system design", re.I), "docs/architecture.md"),
    "OPS-DOCS-RUNBOOKS": Topic("runbook", re.compile(r"run-?books?|playbooks?", re.I),
                               re.compile(r"run-?books?|playbooks?", re.I), "docs/runbooks/"),
    "OPS-DOCS-API": Topic("API reference", re.compile(r"(?:^|[-_/])api(?:[-_.]|$)|openapi|swagger", re.I),
                          re.compile(r"\bAPI\b|endpoints", re.I), "docs/api.md"),
    "OPS-DOCS-TROUBLESHOOTING": Topic("troubleshooting guide",
                                      re.compile(r"troubleshoot|known[-_]issues|common[-_]issues", re.I),
                                      re.compile(r"troubleshoot|common (?:issues|problems)|known issues", re.I),
                                      "docs/troubleshooting.md"),
}
API_ENDPOINTS = ("/api/question", "/health", "/metrics")


def _doc_files(repo: Repo, docs_dir: str) -> list[str]:
    inside = [f for f in repo.under(docs_dir) if f.lower().endswith(DOC_SUFFIXES)]
    top_level = [f for f in repo.files if "/" not in f and f.lower().endswith(DOC_SUFFIXES)
                 and not f.lower().startswith(("readme", "changelog", "license", "contributing"))]
    return inside + top_level


def _matching_docs(repo: Repo, docs_dir: str, topic: Topic) -> list[tuple[str, int, str]]:
    """(path, line, why) of the docs about a topic: by file or folder name, or by a heading inside docs/."""
    found = []
    for path in _doc_files(repo, docs_dir):
        text = repo.text(path) or ""
        relative = path.removeprefix(docs_dir.rstrip("/") + "/")
        if topic.name.search(relative.rsplit(".", 1)[0]):
            found.append((path, 1, "named " + relative))
            continue
        heading = next((m for m in _HEADING.finditer(text) if topic.heading.search(m.group(1))), None)
        if heading and "/" in path:
            found.append((path, text.count("\n", 0, heading.start()) + 1, f"heading {heading.group(1)!r}"))
    return found


def _check_docs(check_id: str, repo: Repo, settings: Settings, evidence: Evidence,
                required: bool = True) -> list[str]:
    """The substantial docs on a check's topic; fails when there are none (unless not `required`)."""
    topic = TOPICS[check_id]
    docs = _matching_docs(repo, settings.docs, topic)
    if not docs and not required:
        return []
    if not repo.under(settings.docs) and not docs:
        pytest.fail(f"no {settings.docs}/ directory in the repository, so no {topic.what}: add {topic.example}",
                    pytrace=False)
    assert docs, f"{settings.docs}/ has no {topic.what} (by file name or heading): add {topic.example}"
    substantial = []
    for path, line, why in docs:
        words = len((repo.text(path) or "").split())
        evidence.add(f"{topic.what}: {why} ({words} words)", Location(path, line))
        if words >= MIN_DOC_WORDS:
            substantial.append(path)
    assert substantial, (f"the {topic.what} is a stub: {', '.join(p for p, _, _ in docs)} "
                         f"has fewer than {MIN_DOC_WORDS} words")
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


def _openapi_paths(repo: Repo) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for path in repo.matching("*.json", "*.yaml", "*.yml"):
        if not re.search(r"openapi|swagger", PurePosixPath(path).name, re.IGNORECASE):
            continue
        text = repo.text(path) or ""
        try:
            data = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
        except (json.JSONDecodeError, yaml.YAMLError) as exc:
            line = getattr(exc, "lineno", None) or getattr(getattr(exc, "problem_mark", None), "line", -1) + 1
            raise SourceError(f"{path}:{line}" if line > 0 else path, f"invalid OpenAPI document: {exc}") from None
        if isinstance(data, Mapping) and ("openapi" in data or "swagger" in data):
            yield path, data.get("paths") or {}


@check("OPS-DOCS-API")
def test_docs_api(repo: Repo, readiness_settings: Settings, evidence: Evidence) -> None:
    specs = list(_openapi_paths(repo))
    for path, paths in specs:
        evidence.add(f"OpenAPI document with {len(paths)} paths", path)
    covered = " ".join(" ".join(paths) for _, paths in specs)
    if any(e not in covered for e in API_ENDPOINTS):
        docs = _check_docs("OPS-DOCS-API", repo, readiness_settings, evidence, required=not specs)
        covered += " ".join(repo.text(p) or "" for p in docs)
    missing = [e for e in API_ENDPOINTS if e not in covered]
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
    user = dockerfile.effective_user()
    name = user.value[0].split(":")[0] if user and user.value else "root"
    where = user.location if user else dockerfile.final.location
    evidence.add(f"final stage USER {name}", where)
    if not (name.isdigit() and int(name) > 0):
        evidence.finding(f"the final stage runs as {name!r}: use a numeric non-root USER (e.g. 10001)", where)
    evidence.fail_if_findings(f"{dockerfile.display} does not build a pinned, non-root image")
