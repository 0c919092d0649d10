"""Security: the seed's Authentication, Input Validation, Network, Secrets and Container sections,
read from the agent config, the Kubernetes manifests, the Dockerfile and every file of the repository.

Checks: SEC-API-AUTH-CONFIG, SEC-RATE-LIMIT, SEC-PROMPT-INJECTION, SEC-INPUT-LIMITS, SEC-PII, SEC-KEYVAULT,
SEC-NO-HARDCODED-SECRETS, SEC-NO-SP-SECRET, SEC-WORKLOAD-IDENTITY, SEC-NO-SECRETS-IN-CONFIGMAP,
SEC-NO-LITERAL-SECRET-ENV, SEC-NON-ROOT, SEC-READONLY-FS, SEC-NO-PRIVILEGED, SEC-NO-PRIV-ESCALATION,
SEC-CAPS-DROPPED, SEC-INGRESS-TLS.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import pytest

from pytest_readiness import Evidence, SourceError, check, not_applicable, unverified
from pytest_readiness.results import Location
from pytest_readiness.secrets import ScanContext, SecretFinding, is_placeholder, mask, scan_text
from pytest_readiness.settings import Settings
from pytest_readiness.sources.common import optional_fixture, positive_int
from pytest_readiness.sources.kube import edge, identity
from pytest_readiness.sources.kube.locate import (
    all_containers,
    container_line,
    data_key_line,
    data_of,
    env_entries,
    env_line,
    ignored,
    locate,
    manifest_texts,
    same_namespace,
)
from pytest_readiness.sources.kube.model import Container, KubeObject, ObjectSet, Workload, selector_matches
from pytest_readiness.sources.repo.agent_config import AgentConfig
from pytest_readiness.sources.repo.config_keys import AUTH, KEYVAULT_URL, RATE_LIMIT, VALIDATION
from pytest_readiness.sources.repo.dockerfile import Dockerfile
from pytest_readiness.sources.repo.files import Repo
from pytest_readiness.sources.repo.image_builds import builds_of, session_image_builds
from pytest_readiness.sources.repo.image_user import final_user
from pytest_readiness.sources.repo.secret_names import env_files, is_literal_secret, is_secret_name, is_sp_secret_name

MAX_SANE_INPUT_LENGTH = 128_000
JWT_MODES = frozenset({"jwt", "oauth2", "oidc", "aad", "azure_ad", "entra", "entra_id"})
API_KEY_MODES = frozenset({"api_key", "apikey"})
OFF_MODES = frozenset({"none", "off", "disabled", "anonymous"})
WORKLOAD_IDENTITY_USE = "azure.workload.identity/use"
WORKLOAD_IDENTITY_CLIENT_ID = "azure.workload.identity/client-id"
RESTRICTED_ADDABLE_CAPS = frozenset({"NET_BIND_SERVICE"})
NGINX_SSL_REDIRECT = "nginx.ingress.kubernetes.io/ssl-redirect"
PUBLIC_REGISTRIES = frozenset({
    "docker.io", "index.docker.io", "registry-1.docker.io", "ghcr.io", "quay.io", "mcr.microsoft.com",
    "registry.k8s.io", "k8s.gcr.io", "gcr.io", "public.ecr.aws", "cr.fluentbit.io", "docker.elastic.co",
})

_VAULT_URL = re.compile(
    r"https://(?P<name>[^./]+)\.vault\.(?:azure\.net|azure\.cn|usgovcloudapi\.net|microsoftazure\.de)/?"
)
_VAULT_NAME = re.compile(r"[A-Za-z](?:[A-Za-z0-9]|-(?!-)){1,22}[A-Za-z0-9]")
_TEMPLATE_VAULT_NAMES = frozenset({"keyvault", "my-keyvault", "mykeyvault", "keyvault-name", "vault-name"})
_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


DEPLOYED = ScanContext(deployed=True)  # what a container gets: a default credential there is a finding


def _scan(text: str, path: str, first_line: int = 1, context: ScanContext | None = None) -> list[SecretFinding]:
    return [SecretFinding(f.path, f.line + first_line - 1, f.rule, f.masked)
            for f in scan_text(text, path, context)]


def _report_secrets(findings: Iterable[SecretFinding], evidence: Evidence) -> int:
    """One finding per file:line not reported yet (secrets sharing a line are listed together)."""
    reported = {(str(f.location.path), f.location.line) for f in evidence.findings if f.location}
    by_line: dict[tuple[str, int], list[SecretFinding]] = {}
    for finding in findings:
        if (finding.path, finding.line) not in reported:
            by_line.setdefault((finding.path, finding.line), []).append(finding)
    for (path, line), found in sorted(by_line.items()):
        shown = "; ".join(dict.fromkeys(f"{f.rule} ({f.masked})" for f in found))
        evidence.finding(shown, Location(path, line))
    return len(by_line)


# --- agent config: authentication, rate limits, input validation, Key Vault --------------------

def _auth_at_the_edge(request: pytest.FixtureRequest, config_absent: str, evidence: Evidence) -> None:
    """Without the agent config: a public entry point with nothing authenticating at the edge fails."""
    objects: ObjectSet | None = optional_fixture(request, "manifests")[0]
    if objects is None:
        unverified(f"{config_absent}, and no manifests show the entry points: prove authentication with "
                   "--readiness-url (SEC-LIVE-AUTH)")
    entry = edge.public_entry_points(objects)
    guards = edge.edge_auth(objects)
    for what, obj in guards:
        evidence.add(f"{obj.ref}: {what} authenticates at the edge (the manifests decide)", obj.location)
    if guards:
        return
    if not entry:
        unverified(f"{config_absent}; the manifests expose no public entry point, and the code's authentication "
                   "is not known: prove it with --readiness-url (SEC-LIVE-AUTH)")
    pytest.fail(f"{entry[0].location}: {entry[0].ref} is a public entry point, and nothing authenticates callers: "
                f"no agent config ({config_absent}), no ingress auth annotation, authentication policy or auth "
                "proxy sidecar", pytrace=False)


@check("SEC-API-AUTH-CONFIG")
def test_api_authentication_configured(request: pytest.FixtureRequest, evidence: Evidence) -> None:
    agent_config, config_absent = optional_fixture(request, "agent_config")
    if agent_config is None:
        return _auth_at_the_edge(request, config_absent, evidence)
    section = agent_config.section(AUTH)
    if section is None:
        unverified(f"{agent_config.display} has no [{AUTH}] table: enable authentication there "
                   "(enabled = true, mode = \"jwt\", issuer, audience), or prove it on the running "
                   "service with --readiness-url (SEC-LIVE-AUTH)")
    for key in ("enabled", "mode", "issuer", "audience"):
        evidence.add(agent_config.describe(f"{AUTH}.{key}"))
    if section.get("enabled") is not True:
        evidence.finding("authentication is not enabled (set enabled = true explicitly)",
                         agent_config.where(f"{AUTH}.enabled"))
    for key, value in section.items():
        if (re.match(r"(?:verify|validate)_", key) and value is False) or (
                key in ("allow_anonymous", "anonymous") and value is True):
            evidence.finding(f"{key} = {str(value).lower()} switches off part of token validation",
                             agent_config.where(f"{AUTH}.{key}"))
    mode = str(section.get("mode", "")).lower()
    if mode in OFF_MODES:
        evidence.finding(f"mode = {section['mode']!r} lets anonymous callers in", agent_config.where(f"{AUTH}.mode"))
    elif mode in JWT_MODES:
        for key in ("issuer", "audience"):
            value = section.get(key)
            if not isinstance(value, str) or not value.strip() or is_placeholder(value):
                evidence.finding(f"{key} must name the real token {key}, got {value!r}",
                                 agent_config.where(f"{AUTH}.{key}"))
        issuer = section.get("issuer")
        if isinstance(issuer, str) and issuer and not issuer.startswith("https://"):
            evidence.finding("issuer must be an https:// URL", agent_config.where(f"{AUTH}.issuer"))
    evidence.fail_if_findings("API authentication is not configured as the checklist requires")
    if mode and mode not in JWT_MODES | API_KEY_MODES:
        unverified(f"{agent_config.where(f'{AUTH}.mode')}: mode {section['mode']!r} is not one this check "
                   "knows (jwt, api_key): prove authentication with --readiness-url (SEC-LIVE-AUTH)")


@check("SEC-RATE-LIMIT")
def test_rate_limiting_enabled(agent_config: AgentConfig, evidence: Evidence) -> None:
    for key in ("enabled", "requests_per_minute", "tokens_per_minute", "per_user"):
        evidence.add(agent_config.describe(f"{RATE_LIMIT}.{key}"))
    section = agent_config.section(RATE_LIMIT) or {}
    if section.get("enabled") is not True:
        evidence.finding("rate limiting is not enabled", agent_config.where(f"{RATE_LIMIT}.enabled"))
    for key in ("requests_per_minute", "tokens_per_minute"):
        value = section.get(key)
        if not positive_int(value):
            evidence.finding(f"{key} must be a positive integer, got {value!r}",
                             agent_config.where(f"{RATE_LIMIT}.{key}"))
    if section.get("per_user") is not True:
        evidence.finding("per_user is not true: one user can exhaust everyone's quota",
                         agent_config.where(f"{RATE_LIMIT}.per_user"))
    evidence.fail_if_findings("rate limiting is not configured as the checklist requires")


def _require_true(agent_config: AgentConfig, dotted: str, evidence: Evidence, consequence: str) -> None:
    evidence.add(agent_config.describe(dotted))
    assert agent_config.get(dotted) is True, f"{agent_config.describe(dotted)}: {consequence}"


@check("SEC-PROMPT-INJECTION")
def test_prompt_injection_blocked(agent_config: AgentConfig, evidence: Evidence) -> None:
    _require_true(agent_config, f"{VALIDATION}.block_prompt_injection", evidence,
                  "must be true, or injected instructions reach the model unchecked")


@check("SEC-INPUT-LIMITS")
def test_input_length_limits(agent_config: AgentConfig, evidence: Evidence) -> None:
    for key in ("max_question_length", "max_tool_param_length"):
        dotted = f"{VALIDATION}.{key}"
        value = agent_config.get(dotted)
        evidence.add(agent_config.describe(dotted))
        if value is None:
            evidence.finding(f"{key} is not set: input length is unbounded", agent_config.where(dotted))
        elif not isinstance(value, int) or isinstance(value, bool):
            evidence.finding(f"{key} must be an integer, got {value!r}", agent_config.where(dotted))
        elif value <= 0:
            evidence.finding(f"{key} = {value}: zero or less leaves input unbounded", agent_config.where(dotted))
        elif value > MAX_SANE_INPUT_LENGTH:
            evidence.finding(f"{key} = {value} is above {MAX_SANE_INPUT_LENGTH}, a whole context window: "
                             "no real bound", agent_config.where(dotted))
    evidence.fail_if_findings("input length limits are not configured")


@check("SEC-PII")
def test_pii_handling_configured(agent_config: AgentConfig, evidence: Evidence) -> None:
    keys = [f"{VALIDATION}.redact_pii", f"{VALIDATION}.block_pii"]
    for dotted in keys:
        evidence.add(agent_config.describe(dotted))
    assert any(agent_config.get(dotted) is True for dotted in keys), (
        f"{agent_config.describe(keys[0])}: neither redact_pii nor block_pii is true, so personal data "
        "in questions goes to the model and into logs as is"
    )


@check("SEC-KEYVAULT")
def test_keyvault_configured(agent_config: AgentConfig, evidence: Evidence) -> None:
    value = agent_config.get(KEYVAULT_URL)
    where = agent_config.where(KEYVAULT_URL)
    evidence.add(agent_config.describe(KEYVAULT_URL))
    assert value is not None, f"{where}: {KEYVAULT_URL} is not set: the agent has no Key Vault to read secrets from"
    url = _VAULT_URL.fullmatch(str(value).strip())
    assert url, f"{where}: {KEYVAULT_URL} = {value!r} is not an https://<vault-name>.vault.azure.net/ URL"
    name = url["name"]
    assert not is_placeholder(name) and name.lower() not in _TEMPLATE_VAULT_NAMES, (
        f"{where}: {KEYVAULT_URL} still names the template's placeholder vault {name!r}"
    )
    assert _VAULT_NAME.fullmatch(name), (
        f"{where}: {name!r} is not a valid Key Vault name (3-24 letters, digits and single hyphens, "
        "starting with a letter)"
    )


# --- secrets in files, config and manifests -----------------------------------------------------

@check("SEC-NO-HARDCODED-SECRETS")
def test_no_hardcoded_secrets(repo: Repo, readiness_settings: Settings, request: pytest.FixtureRequest,
                              evidence: Evidence) -> None:
    findings: list[SecretFinding] = []
    scanned = 0
    for relative in repo.files:
        text = repo.text(relative)
        if text is not None:
            scanned += 1
            findings += _scan(text, relative)
    tracked = set(repo.files)
    for path, text, first_line in manifest_texts(request, readiness_settings):
        if path not in tracked:  # git-ignored or outside the repo, but deployed all the same
            scanned += 1
            findings += _scan(text, path, first_line)
    if not scanned:
        unverified(f"no readable text file in {readiness_settings.project}: point --readiness-project at the "
                   "deployment repository")
    listed = "files git tracks or would track" if repo.from_git else "every file"
    evidence.add(f"scanned {scanned} text files ({listed}, plus manifests outside them)")
    count = _report_secrets(findings, evidence)
    evidence.fail_if_findings(f"{count} hardcoded secret{'s' if count != 1 else ''} in the repository")


def _config_leaves(node: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in node.items():
        dotted = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            yield from _config_leaves(value, dotted)
        else:
            yield dotted, value


def _sp_secrets_in_config(agent_config: AgentConfig, evidence: Evidence) -> list[SecretFinding]:
    for dotted, value in _config_leaves(agent_config.data):
        if is_sp_secret_name(dotted.rpartition(".")[2]) and isinstance(value, str) and value.strip():
            evidence.finding(f"{dotted} = {mask(str(value))}: the agent authenticates with a client secret",
                             agent_config.where(dotted))
    try:
        text = agent_config.text
    except OSError:
        return []
    return [f for f in scan_text(text, agent_config.display) if f.rule == "azure-client-secret"]


def _sp_secrets_in_manifests(objects: ObjectSet, settings: Settings, evidence: Evidence) -> None:
    for workload in objects.workloads():
        for container in all_containers(workload):
            for env in env_entries(container):
                name = str(env.get("name", ""))
                if not is_sp_secret_name(name):
                    continue
                source = "a literal value" if "value" in env else "a reference to a Secret"
                evidence.finding(f"{container.ref} sets {name} from {source}: it authenticates as a service "
                                 "principal with a secret", env_line(settings, container, env))
        for volume in workload.pod_spec.get("volumes") or []:
            csi = volume.get("csi") if isinstance(volume, Mapping) else None
            if isinstance(csi, Mapping) and csi.get("nodePublishSecretRef"):
                secret = (csi["nodePublishSecretRef"] or {}).get("name")
                evidence.finding(f"{workload.ref} volume {volume.get('name')} reads Key Vault with the "
                                 f"service-principal credentials in Secret {secret}", workload.location)
    for obj in objects.of_kind("Secret", "ConfigMap"):
        for field in ("data", "stringData"):
            for key in data_of(obj, field):
                if is_sp_secret_name(str(key)):
                    evidence.finding(f"{obj.ref} holds {key}, a service-principal secret",
                                     data_key_line(settings, obj, field, str(key)))


@check("SEC-NO-SP-SECRET")
def test_no_service_principal_secret(readiness_settings: Settings, repo: Repo, request: pytest.FixtureRequest,
                                     evidence: Evidence) -> None:
    agent_config, config_absent = optional_fixture(request, "agent_config")
    objects, manifests_absent = optional_fixture(request, "manifests")
    found: list[SecretFinding] = []
    if agent_config is not None:
        evidence.add("agent config searched for client_secret-like keys", agent_config.display)
        found += _sp_secrets_in_config(agent_config, evidence)
    if objects is not None:
        evidence.add(f"{len(objects.objects)} manifest objects searched for client secrets")
        _sp_secrets_in_manifests(objects, readiness_settings, evidence)
        for path, text, first_line in manifest_texts(request, readiness_settings):
            found += [f for f in _scan(text, path, first_line) if f.rule == "azure-client-secret"]
    for path in env_files(repo.files):
        evidence.add("env file searched for client secrets", path)
        for number, line in enumerate((repo.text(path) or "").splitlines(), start=1):
            name, eq, value = line.removeprefix("export ").partition("=")
            if eq and is_sp_secret_name(name.strip()) and is_literal_secret(value.strip()):
                evidence.finding(f"{name.strip()} = {mask(value.strip())}: the service authenticates with a client "
                                 "secret", Location(path, number))
    _report_secrets(found, evidence)
    evidence.fail_if_findings("a service-principal secret is configured instead of a managed identity")
    if config_absent and manifests_absent:
        unverified(f"no service-principal secret in what was read, but {config_absent} and {manifests_absent}")
    if config_absent:
        evidence.add("no agent config in the repo; manifests and env files have none")
    elif manifests_absent:
        unverified(f"the agent config has no service-principal secret, but {manifests_absent}")


_GKE_ACCOUNT = re.compile(r"[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z][a-z0-9-]{4,28}[a-z0-9]\.iam\.gserviceaccount\.com")
_EKS_ROLE = re.compile(r"arn:aws[\w-]*:iam::\d{12}:role/[\w+=,.@/-]+")


def _other_cloud_identity(account: KubeObject | None, evidence: Evidence) -> bool:
    """GKE or EKS workload identity on the ServiceAccount; findings for a placeholder value."""
    if account is None:
        return False
    for key, shape in ((identity.GKE_SERVICE_ACCOUNT, _GKE_ACCOUNT), (identity.EKS_ROLE_ARN, _EKS_ROLE)):
        value = account.annotations.get(key)
        if value is not None:
            evidence.add(f"{account.ref} {key}={value!r}", account.location)
            if not shape.fullmatch(str(value).strip()) or "000000000000" in str(value):
                evidence.finding(f"{account.ref}: {key} = {value!r} is a placeholder, not a real identity",
                                 account.location)
            return True
    return False


@check("SEC-WORKLOAD-IDENTITY")
def test_workload_identity_wired(workload: Workload, kube_objects: ObjectSet, readiness_settings: Settings,
                                 evidence: Evidence) -> None:
    calls = list(identity.cloud_calls(workload, kube_objects))
    if not calls:
        not_applicable(f"{workload.ref} shows no cloud API call (no cloud SDK variable, cloud endpoint or secret "
                       "store volume): it needs no cloud identity")
    evidence.add(f"{workload.ref} calls a cloud API: {calls[0].why}", workload.location)
    labels = workload.pod_labels
    labels_at = locate(readiness_settings, workload.location, r"^\s*template\s*:", r"^\s*labels\s*:")
    if identity.AAD_POD_IDENTITY in labels:
        evidence.add(f"{workload.ref} pods carry {identity.AAD_POD_IDENTITY}={labels[identity.AAD_POD_IDENTITY]} "
                     "(aad-pod-identity, deprecated: migrate to workload identity)", labels_at)
        return
    account = identity.service_account(workload, kube_objects)
    if _other_cloud_identity(account, evidence):
        return evidence.fail_if_findings("workload identity names a placeholder")
    use: Any = labels.get(WORKLOAD_IDENTITY_USE)  # YAML may hand us a boolean the API server would reject
    evidence.add(f"{workload.ref} pod label {WORKLOAD_IDENTITY_USE}={use!r}", labels_at)
    if use is True:
        evidence.finding(f"{workload.ref}: label {WORKLOAD_IDENTITY_USE} must be the string \"true\" "
                         "(quote it: the API server rejects a boolean label value)", labels_at)
    elif use != "true":
        evidence.finding(f"{workload.ref}: the pod template lacks the label {WORKLOAD_IDENTITY_USE}: \"true\", "
                         "so no federated token is injected", labels_at)
    name = identity.account_name(workload)
    if name == "default":
        evidence.finding(f"{workload.ref} runs as the namespace's default ServiceAccount: give it its own, "
                         "federated with the managed identity", workload.location)
        evidence.fail_if_findings("workload identity is not wired")
    if account is not None:
        _azure_client_id(account, readiness_settings, evidence)
    evidence.fail_if_findings("workload identity is not wired")
    if account is None:
        if kube_objects.problems:
            first = kube_objects.problems[0]
            raise SourceError(str(first.location), f"{first.message} (ServiceAccount {name} may be in it)")
        unverified(f"ServiceAccount {name} used by {workload} is not in the manifests: add it with its "
                   f"{WORKLOAD_IDENTITY_CLIENT_ID} annotation")
    return None


def _azure_client_id(account: KubeObject, settings: Settings, evidence: Evidence) -> None:
    client_id = account.annotations.get(WORKLOAD_IDENTITY_CLIENT_ID)
    annotated_at = locate(settings, account.location, r"^\s*annotations\s*:", re.escape(WORKLOAD_IDENTITY_CLIENT_ID))
    evidence.add(f"{account.ref} {WORKLOAD_IDENTITY_CLIENT_ID}={client_id!r}", annotated_at)
    if not client_id:
        evidence.finding(f"{account.ref} lacks the annotation {WORKLOAD_IDENTITY_CLIENT_ID}", annotated_at)
    elif not _GUID.fullmatch(str(client_id).strip()):
        evidence.finding(f"{account.ref}: {WORKLOAD_IDENTITY_CLIENT_ID} = {client_id!r} is not a "
                         "managed identity's client ID (a GUID)", annotated_at)
    elif identity.is_placeholder_client_id(str(client_id)):
        evidence.finding(f"{account.ref}: {WORKLOAD_IDENTITY_CLIENT_ID} is the all-zero placeholder GUID: set the "
                         "managed identity's client ID", annotated_at)


def _policy_directions(policy: KubeObject) -> set[str]:
    types = policy.spec.get("policyTypes")
    if isinstance(types, list):
        return {str(t) for t in types}
    return {"Ingress", *(["Egress"] if policy.spec.get("egress") else [])}


@check("SEC-NETWORK-POLICY")
def test_network_policy_default_deny(workload: Workload, kube_objects: ObjectSet, evidence: Evidence) -> None:
    if not kube_objects.covers("NetworkPolicy"):
        unverified(f"{kube_objects.name} does not list NetworkPolicy objects")
    policies = [p for p in kube_objects.of_kind("NetworkPolicy") if same_namespace(p, workload.obj)
                and selector_matches(p.spec.get("podSelector") or {}, workload.pod_labels)]
    for policy in policies:
        evidence.add(f"{policy.ref} selects {workload.ref} (policyTypes {sorted(_policy_directions(policy))})",
                     policy.location)
    for direction, rules_key, peer in (("Ingress", "ingress", "from"), ("Egress", "egress", "to")):
        covering = [p for p in policies if direction in _policy_directions(p)]
        if not covering:
            evidence.finding(f"no NetworkPolicy restricts {direction.lower()} of {workload.ref}: add a default-deny "
                             f"policy (podSelector: {{}}, policyTypes: [{direction}])", workload.location)
        for policy in covering:
            for rule in policy.spec.get(rules_key) or []:
                if isinstance(rule, Mapping) and not rule.get(peer) and not rule.get("ports"):
                    evidence.finding(f"{policy.ref} allows all {direction.lower()} (a rule with no {peer} and no "
                                     "ports)", policy.location)
    evidence.fail_if_findings(f"{workload.ref}: its traffic is not default-deny")


@check("SEC-SA-TOKEN")
def test_no_unused_service_account_token(workload: Workload, kube_objects: ObjectSet, evidence: Evidence) -> None:
    annotations = {**workload.obj.annotations, **((workload.pod_template.get("metadata") or {}).get("annotations")
                                                   or {})}
    if str(annotations.get(identity.USES_API_ANNOTATION, "")).lower() == "true":
        not_applicable(f"{workload.ref} declares that it calls the Kubernetes API ({identity.USES_API_ANNOTATION})")
    if (binding := identity.binds_api_role(workload, kube_objects)) is not None:
        not_applicable(f"{binding.ref} grants {identity.account_name(workload)} Kubernetes API access: it uses "
                       "its token")
    on_pod = workload.pod_spec.get("automountServiceAccountToken")
    evidence.add(f"{workload.ref}: pod automountServiceAccountToken={on_pod}", workload.location)
    if on_pod is False:
        return
    assert on_pod is not True, (f"{workload.location}: {workload.ref} sets automountServiceAccountToken: true but "
                                "calls no Kubernetes API: every pod carries a token it does not use")
    account = identity.service_account(workload, kube_objects)
    if account is not None:
        evidence.add(f"{account.ref}: automountServiceAccountToken={account.body.get('automountServiceAccountToken')}",
                     account.location)
        if account.body.get("automountServiceAccountToken") is False:
            return
    pytest.fail(f"{workload.location}: neither {workload.ref} nor ServiceAccount {identity.account_name(workload)} "
                   "sets automountServiceAccountToken: false, so every pod carries a Kubernetes API token it does not "
                f"use (annotate {identity.USES_API_ANNOTATION}: \"true\" if it does)", pytrace=False)


@check("SEC-NO-SECRETS-IN-CONFIGMAP")
def test_no_secrets_in_configmaps(manifests: ObjectSet, readiness_settings: Settings, evidence: Evidence) -> None:
    config_maps = manifests.of_kind("ConfigMap")
    if not config_maps:
        not_applicable("the manifests define no ConfigMap")
    found: list[SecretFinding] = []
    for config_map in config_maps:
        data = data_of(config_map, "data")
        evidence.add(f"{config_map.ref}: {len(data)} keys", config_map.location)
        for key, value in data.items():
            where = data_key_line(readiness_settings, config_map, "data", str(key))
            text = str(value)  # a null value reads "None", a placeholder to the scanner
            if "\n" in text:
                first_line = (where.line or 0) + 1
                found += _scan(text, where.path, first_line)
                continue
            hits = _scan(f"{key}: {text}", where.path, where.line or 1, DEPLOYED)
            found += hits
            if not hits and is_secret_name(str(key)) and is_literal_secret(text) and not ignored(
                    readiness_settings, where):
                evidence.finding(f"{config_map.ref} key {key} holds a literal value ({mask(text)})", where)
    _report_secrets(found, evidence)
    evidence.fail_if_findings("ConfigMaps hold secrets; ConfigMaps are not access-controlled as Secrets")


@check("SEC-NO-LITERAL-SECRET-ENV")
def test_no_literal_secret_env(container: Container, readiness_settings: Settings, evidence: Evidence) -> None:
    found: list[SecretFinding] = []
    for env in env_entries(container):
        name = str(env.get("name", ""))
        if "valueFrom" in env or env.get("value") is None:
            ref = env.get("valueFrom") or {}
            evidence.add(f"{container.ref} env {name} from {next(iter(ref), '?')}", container.location)
            continue
        where = env_line(readiness_settings, container, env)
        hits = _scan(f"{name}={env['value']}", where.path, where.line or 1, DEPLOYED)
        found += hits
        if not hits and is_secret_name(name) and is_literal_secret(env["value"]) and not ignored(
                readiness_settings, where, lines_before=1):
            evidence.finding(f"{container.ref} env {name} has a literal value ({mask(str(env['value']))})", where)
    for key in ("command", "args"):
        words = container.spec.get(key)
        if isinstance(words, list) and words:
            where = container_line(readiness_settings, container, rf"^\s*{key}\s*:")
            found += _scan(json.dumps([str(w) for w in words]), where.path, where.line or 1, DEPLOYED)
    for source in container.spec.get("envFrom") or []:
        refs = [f"{kind} {ref.get('name')}" for kind, ref in source.items() if isinstance(ref, Mapping)]
        evidence.add(f"{container.ref} envFrom {', '.join(refs)}", container.location)
    _report_secrets(found, evidence)
    evidence.fail_if_findings(f"{container} puts secrets into its environment or arguments as literal values")


# --- container security ---------------------------------------------------------------------------

def _registry(image: str) -> str:
    """The registry host of an image reference: Docker Hub when the first part is not a host, "" when
    it is a placeholder (`your-registry/`, `<registry>/`, `${REGISTRY}/`): the team's own registry."""
    first, slash, _ = image.partition("/")
    if slash and (is_placeholder(first) or ("registry" in first.lower() and "." not in first)):
        return ""
    return first.lower() if slash and ("." in first or ":" in first or first == "localhost") else "docker.io"


def _image_source(config: pytest.Config, container: Container, repo: Repo) -> tuple[bool, str]:
    """Whether the repo's Dockerfile built the container's image, and why this check thinks so."""
    image = str(container.spec.get("image", ""))
    builds = session_image_builds(config, repo)
    matched = builds_of(image, builds)
    if matched or image.startswith("ko://"):
        return True, f"the repo builds {image} ({matched[0].where})" if matched else f"ko builds {image}"
    registry = _registry(image)
    if registry in PUBLIC_REGISTRIES:
        return False, f"its image comes from {registry}, so this repo's Dockerfile does not show its user"
    named = sorted({b.name for b in builds if b.name})
    if named:
        return False, f"the repo builds {', '.join(named)}, not {image}, so no Dockerfile here shows its user"
    return True, f"no build in the repo names {image}: its registry is not public, so it is taken as this repo's image"


def _judge_image_user(dockerfile: Dockerfile, what: str, evidence: Evidence) -> None:
    user = final_user(dockerfile)
    evidence.add(f"{dockerfile.display} final stage: {user.describe()}", user.location)
    if user.unresolved:
        unverified(f"{user.location}: {user.written} names {', '.join(user.unresolved)}, which no ARG or ENV "
                   f"default sets: {what} may run as root; set a numeric USER or runAsNonRoot: true")
    assert not user.is_root, f"{what} runs as root: the image's final stage has {user.describe()} ({user.location})"
    if not user.numeric:
        evidence.add(f"USER {user.name} is a name: use a numeric UID so Kubernetes can enforce runAsNonRoot",
                     user.location)


@check("SEC-NON-ROOT")
def test_container_runs_as_non_root(container_or_none: Container | None, repo: Repo,
                                    request: pytest.FixtureRequest, evidence: Evidence) -> None:
    container = container_or_none
    if container is None:
        evidence.add("no manifests: the Dockerfile decides")
        return _judge_image_user(_dockerfile(request, "no manifests"), "the image", evidence)
    run_as_non_root, run_as_user = container.effective("runAsNonRoot"), container.effective("runAsUser")
    where = container.location
    evidence.add(f"{container.ref}: runAsNonRoot={run_as_non_root} runAsUser={run_as_user} (securityContext)", where)
    assert run_as_user != 0, f"{where}: {container.ref} sets runAsUser: 0, it runs as root"
    if run_as_non_root is True or (isinstance(run_as_user, int) and run_as_user > 0):
        return None
    built_here, why = _image_source(request.config, container, repo)
    unset = f"{where}: {container.ref} sets neither runAsNonRoot nor runAsUser"
    if not built_here:
        unverified(f"{unset}, and {why}: set runAsNonRoot: true")
    evidence.add(why)
    return _judge_image_user(_dockerfile(request, unset), f"{unset} and", evidence)


def _dockerfile(request: pytest.FixtureRequest, why: str) -> Dockerfile:
    dockerfile, absent = optional_fixture(request, "dockerfile")
    if dockerfile is None:
        unverified(f"{why}, and {absent}: the image's user is not known")
    return dockerfile  # type: ignore[no-any-return]


@check("SEC-READONLY-FS")
def test_read_only_root_filesystem(container: Container, readiness_settings: Settings, evidence: Evidence) -> None:
    value = container.security_context.get("readOnlyRootFilesystem")
    where = container.location
    evidence.add(f"{container.ref}: readOnlyRootFilesystem={value}", where)
    assert value is True, (
        f"{where}: {container.ref} does not set securityContext.readOnlyRootFilesystem: true "
        f"(it is {'unset' if value is None else value}), so a compromised process can rewrite the image"
    )


@check("SEC-NO-PRIVILEGED")
def test_not_privileged(container: Container, readiness_settings: Settings, evidence: Evidence) -> None:
    value = container.security_context.get("privileged")
    where = container.location
    evidence.add(f"{container.ref}: privileged={value}", where)
    assert value is not True, f"{where}: {container.ref} runs privileged: it has full access to the node"


@check("SEC-NO-PRIV-ESCALATION")
def test_no_privilege_escalation(container: Container, readiness_settings: Settings, evidence: Evidence) -> None:
    context = container.security_context
    value = context.get("allowPrivilegeEscalation")
    where = container.location
    evidence.add(f"{container.ref}: allowPrivilegeEscalation={value}", where)
    if context.get("privileged") is True:
        evidence.finding(f"{container.ref} is privileged, which always allows privilege escalation", where)
    if "SYS_ADMIN" in _normalised(_capabilities(context, "add")):
        evidence.finding(f"{container.ref} adds CAP_SYS_ADMIN, which always allows privilege escalation", where)
    if value is not False:
        evidence.finding(f"{container.ref} does not set securityContext.allowPrivilegeEscalation: false "
                         f"(it is {'unset, so true' if value is None else value})", where)
    evidence.fail_if_findings(f"{container} can gain more privileges than it starts with")


def _capabilities(context: Mapping[str, Any], which: str) -> list[str]:
    """The capabilities a securityContext drops or adds, as written."""
    capabilities = context.get("capabilities")
    names = (capabilities.get(which) or []) if isinstance(capabilities, Mapping) else []
    return [str(name) for name in names]


def _normalised(capabilities: list[str]) -> set[str]:
    return {name.upper().removeprefix("CAP_") for name in capabilities}


@check("SEC-CAPS-DROPPED")
def test_capabilities_dropped(container: Container, readiness_settings: Settings, evidence: Evidence) -> None:
    context = container.security_context
    dropped = _capabilities(context, "drop")
    added = _normalised(_capabilities(context, "add"))
    where = container.location
    evidence.add(f"{container.ref}: capabilities drop={dropped} add={sorted(added)}", where)
    if "ALL" not in dropped:
        hint = " (write ALL in capitals: Pod Security admission only knows ALL)" if "all" in dropped else ""
        evidence.finding(f"{container.ref} does not drop ALL capabilities{hint}", where)
    extra = sorted(added - RESTRICTED_ADDABLE_CAPS)
    if extra:
        evidence.finding(f"{container.ref} adds {', '.join(extra)} back (only NET_BIND_SERVICE is acceptable)", where)
    if context.get("privileged") is True:
        evidence.finding(f"{container.ref} is privileged, which grants every capability whatever it drops", where)
    evidence.fail_if_findings(f"{container} keeps Linux capabilities it should not have")


# --- network ----------------------------------------------------------------------------------------

def _covers(pattern: str, host: str) -> bool:
    if pattern.startswith("*."):
        head, _, tail = host.partition(".")
        return bool(head) and tail == pattern[2:]
    return pattern == host


def _ingress_findings(ingress: KubeObject, evidence: Evidence) -> None:
    tls = [t for t in ingress.spec.get("tls") or [] if isinstance(t, Mapping)]
    hosts = [str(r["host"]) for r in ingress.spec.get("rules") or [] if isinstance(r, Mapping) and r.get("host")]
    evidence.add(f"{ingress.ref}: hosts {hosts}, tls {[t.get('hosts') for t in tls]}", ingress.location)
    if not tls:
        return evidence.finding(f"{ingress.ref} has no spec.tls: it serves plain HTTP", ingress.location)
    for entry in tls:
        if not entry.get("secretName"):
            evidence.finding(f"{ingress.ref} tls entry for {entry.get('hosts')} names no secretName", ingress.location)
    covered = [str(h) for t in tls if t.get("secretName") for h in t.get("hosts") or []]
    for host in hosts:
        if not any(_covers(pattern, host) for pattern in covered):
            evidence.finding(f"{ingress.ref} host {host} is not covered by any tls entry", ingress.location)
    if str(ingress.annotations.get(NGINX_SSL_REDIRECT, "")).lower() == "false":
        evidence.finding(f"{ingress.ref} sets {NGINX_SSL_REDIRECT}: \"false\", so plain HTTP is served too",
                         ingress.location)
    return None


def _gateway_findings(gateway: KubeObject, evidence: Evidence) -> None:
    tls, plain = edge.gateway_tls(gateway)
    evidence.add(f"{gateway.ref}: TLS listeners {tls}, others {plain}", gateway.location)
    if not tls:
        evidence.finding(f"{gateway.ref} has no HTTPS/TLS listener with a certificate: it serves plain HTTP",
                         gateway.location)


def _exposed_service_findings(service: KubeObject, evidence: Evidence) -> bool:
    """Findings for a LoadBalancer/NodePort Service nothing fronts; whether its TLS is known either way."""
    exposed = edge.ports(service)
    shown = ", ".join(map(str, exposed)) or "no ports"
    terminated = edge.lb_terminates_tls(service)
    if terminated:
        evidence.add(f"{service.ref} ({service.spec.get('type')}): the load balancer terminates TLS ({terminated})",
                     service.location)
        return True
    if exposed and all(p.plain_http for p in exposed):
        evidence.finding(f"{service.ref} is a {service.spec.get('type')} Service exposing only plain HTTP ({shown}) "
                         "with no Ingress or Gateway terminating TLS in front of it", service.location)
        return True
    evidence.add(f"{service.ref} ({service.spec.get('type')}) exposes {shown}", service.location)
    return False


def _route_findings(route: KubeObject, evidence: Evidence) -> None:
    if not edge.route_tls(route):
        return evidence.finding(f"{route.ref} has no spec.tls.termination: it serves plain HTTP", route.location)
    tls = route.spec["tls"]
    insecure = tls.get("insecureEdgeTerminationPolicy")
    evidence.add(f"{route.ref}: tls termination {tls['termination']}, insecureEdgeTerminationPolicy {insecure}",
                 route.location)
    if str(insecure).lower() == "allow":
        evidence.finding(f"{route.ref} sets spec.tls.insecureEdgeTerminationPolicy: Allow, so plain HTTP is "
                         "served too (set Redirect or None)", route.location)
    return None


@check("SEC-INGRESS-TLS")
def test_ingress_serves_tls(manifests: ObjectSet, evidence: Evidence) -> None:
    ingresses, gateways = manifests.of_kind("Ingress"), edge.gateways(manifests)
    routes = [r for r in manifests.of_kind("Route") if r.api_version.startswith("route.openshift.io/")]
    services = list(edge.exposed_services(manifests))
    if not (ingresses or gateways or routes or services):
        not_applicable("the manifests define no Ingress, Gateway, Route, LoadBalancer or NodePort Service")
    for ingress in ingresses:
        _ingress_findings(ingress, evidence)
    for gateway in gateways:
        _gateway_findings(gateway, evidence)
    for route in routes:
        _route_findings(route, evidence)
    unknown = [s for s in services if not _exposed_service_findings(s, evidence)]
    evidence.fail_if_findings("traffic enters the cluster without TLS")
    if unknown:
        unverified(f"traffic enters through {unknown[0]} ({', '.join(map(str, edge.ports(unknown[0])))}), and the "
                   "manifests cannot show that the application serves TLS on it: check it on the running service "
                   "with --readiness-url (SEC-LIVE-TLS)")
