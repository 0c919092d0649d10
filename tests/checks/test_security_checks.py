"""The static security checks, run with `pytest --readiness` on deployment repos written to disk.

Every fake secret is generated at import time, so this file holds none that a scanner would flag.
"""

from __future__ import annotations

import base64
import random
import string
import textwrap
import tomllib
from collections.abc import Callable, Mapping

import yaml

from pytest_readiness.catalog import load_catalog
from pytest_readiness.secrets import scan_text
from tests.checks.material import shared, with_files
from tests.conftest import EXAMPLES, ReadinessRun

_random = random.Random(20240611)
_ALNUM = string.ascii_letters + string.digits


def _doc(text: str) -> str:
    """A file's content as write_tree lays it out."""
    return textwrap.dedent(text).lstrip("\n")


def _random_text(alphabet: str, length: int) -> str:
    return "".join(_random.choice(alphabet) for _ in range(length))


STORAGE_KEY = base64.b64encode(_random.randbytes(64)).decode()
CLIENT_SECRET = _random_text(_ALNUM, 3) + "8Q~" + _random_text(_ALNUM + "_-", 34)
OPENAI_KEY = _random_text("0123456789abcdef", 32)
DB_PASSWORD = _random_text(_ALNUM, 28)
STORAGE_CONNECTION_STRING = f"DefaultEndpointsProtocol=https;AccountName=contosodata;AccountKey={STORAGE_KEY}"
FAKE_SECRETS = (STORAGE_KEY, CLIENT_SECRET, OPENAI_KEY, DB_PASSWORD)
WORDY_PASSWORD = "correct-horse-battery"  # a literal, but not random enough for the scanner: found by key name

STATIC_IDS = sorted(c.id for c in load_catalog().values() if c.category == "security" and c.verify == "static")
PER_CONTAINER = {"SEC-NO-LITERAL-SECRET-ENV", "SEC-NON-ROOT", "SEC-READONLY-FS", "SEC-NO-PRIVILEGED",
                 "SEC-NO-PRIV-ESCALATION", "SEC-CAPS-DROPPED"}
AGENT = "Deployment/msft-agent/agent"

GOOD_CONFIG = _doc("""
    [agent]
    name = "msft-agent"

    [agent.security.auth]
    enabled = true
    mode = "jwt"
    issuer = "https://login.microsoftonline.com/3f6c2a8e-9b1d-4e7a-a5c4-1d2e8b7f6a90/v2.0"
    audience = "api://msft-agent"

    [agent.security.rate_limit]
    enabled = true
    requests_per_minute = 60
    tokens_per_minute = 100000
    per_user = true

    [agent.security.validation]
    block_prompt_injection = true
    max_question_length = 32000
    max_tool_param_length = 10000
    redact_pii = true

    [agent.secrets]
    keyvault_url = "https://contoso-agent-kv.vault.azure.net/"
    use_managed_identity = true

    [agent.memory.cache]
    redis_url = "rediss://contoso-agent.redis.cache.windows.net:6380/0"
    password_env = "REDIS_PASSWORD"
""")

GOOD_DEPLOYMENT = shared("agent-deployment-secured.yaml")

GOOD_SERVICE_ACCOUNT = _doc("""
    apiVersion: v1
    kind: ServiceAccount
    metadata:
      name: msft-agent
      namespace: msft-agent
      annotations:
        azure.workload.identity/client-id: "8d4e2b6f-1a3c-4f9e-b7d2-5c0a9e8f3b14"
    automountServiceAccountToken: false
""")

GOOD_CONFIGMAP = _doc("""
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: msft-agent-config
      namespace: msft-agent
    data:
      AGENT_ENVIRONMENT: production
      AZURE_KEYVAULT_URL: https://contoso-agent-kv.vault.azure.net/
      REDIS_PASSWORD_FILE: /mnt/secrets-store/redis-password
      API_TOKEN: ${API_TOKEN}
      AGENT__SECURITY__RATE_LIMIT__TOKENS_PER_MINUTE: "100000"
      fluent-bit.conf: |
        [OUTPUT]
            Name          azure_logs_ingestion
            client_secret ${AZURE_CLIENT_SECRET}
""")

GOOD_INGRESS = shared("agent-ingress-tls.yaml")

GOOD_NETWORK_POLICY = _doc("""
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata:
      name: default-deny
      namespace: msft-agent
    spec:
      podSelector: {}
      policyTypes: ["Ingress", "Egress"]
""")

GOOD: dict[str, str] = {
    "config/agent.toml": GOOD_CONFIG,
    "config/agent.toml.example": """
        [agent.llm]
        api_key = "<azure-openai-key>"
        [agent.secrets]
        keyvault_url = "https://your-keyvault.vault.azure.net/"
    """,
    "deployment/Dockerfile": """
        FROM python:3.11-slim
        WORKDIR /app
        COPY . .
        USER 10001
        ENTRYPOINT ["python", "-m", "agent_service"]
    """,
    "deployment/kubernetes/deployment.yaml": GOOD_DEPLOYMENT,
    "deployment/kubernetes/serviceaccount.yaml": GOOD_SERVICE_ACCOUNT,
    "deployment/kubernetes/configmap.yaml": GOOD_CONFIGMAP,
    "deployment/kubernetes/ingress.yaml": GOOD_INGRESS,
    "deployment/kubernetes/networkpolicy.yaml": GOOD_NETWORK_POLICY,
    "src/agent_service/settings.py": """
        import os

        REDIS_PASSWORD = os.environ["REDIS_PASSWORD"]
        API_KEY = os.getenv("AZURE_OPENAI_API_KEY", "")
    """,
}


def variant(replaced: Mapping[str, str | None]) -> dict[str, str]:
    return with_files(GOOD, replaced)


def insert_before(text: str, anchor: str, snippet: str) -> str:
    """`text` with the YAML `snippet` inserted above the first line containing `anchor`, at its indentation."""
    lines = textwrap.dedent(text).lstrip("\n").splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if anchor in line)
    indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
    inserted = textwrap.indent(textwrap.dedent(snippet).strip("\n") + "\n", indent)
    return "".join(lines[:index]) + inserted + "".join(lines[index:])


def line_of(files: Mapping[str, str], path: str, needle: str, occurrence: int = 1) -> str:
    """`path:line` of the `occurrence`-th line containing `needle`, as write_tree lays the file out."""
    lines = textwrap.dedent(files[path]).lstrip("\n").splitlines()
    hits = [n for n, line in enumerate(lines, start=1) if needle in line]
    assert len(hits) >= occurrence, f"{needle!r} not in {path}"
    return f"{path}:{hits[occurrence - 1]}"


def assert_no_secret_shown(run: ReadinessRun) -> None:
    for secret in FAKE_SECRETS:
        assert secret not in run.output, "a secret reached the terminal"
        assert secret not in run.junit, "a secret reached the JUnit report"


def report_of(run: ReadinessRun, key: str) -> str:
    """A check's failure report once (JUnit carries it as both the message and the text)."""
    parts = run.messages[key].split(f"[{key.split('[')[0]}]")
    return parts[1] if len(parts) > 1 else run.messages[key]


Runner = Callable[..., ReadinessRun]


def run_security(run_readiness: Runner, files: Mapping[str, str]) -> ReadinessRun:
    run = run_readiness(files, "-m", "security")
    assert_no_secret_shown(run)
    return run


def test_fake_secrets_are_ones_the_scanner_finds() -> None:
    text = (f'AccountKey={STORAGE_KEY}\nclient = "{CLIENT_SECRET}"\napi_key = "{OPENAI_KEY}"\n'
            f'db_password = "{DB_PASSWORD}"\n')
    assert [f.line for f in scan_text(text, "probe")] == [1, 2, 3, 4]
    assert scan_text(f"REDIS_PASSWORD: {WORDY_PASSWORD}\n", "probe") == []


# --- every check: pass, fail, absent input, malformed input -------------------------------------

def test_good_repo_passes_every_static_check(run_readiness: Runner) -> None:
    run = run_security(run_readiness, GOOD)
    for check_id in STATIC_IDS:
        key = f"{check_id}[{AGENT}]" if check_id in PER_CONTAINER else check_id
        if check_id in ("SEC-WORKLOAD-IDENTITY", "SEC-NETWORK-POLICY", "SEC-SA-TOKEN"):
            key = f"{check_id}[Deployment/msft-agent]"
        assert run.status(key) == "passed", f"{key}: {run.messages[key]}"
    assert f"scanned {len(GOOD)} text files" in run.junit  # evidence is kept for passed checks
    assert "REDIS_PASSWORD from secretKeyRef" in run.junit


BAD_CONFIG = _doc(f"""
    [agent.security.auth]
    enabled = false
    mode = "jwt"
    issuer = "https://login.microsoftonline.com/<tenant-id>/v2.0"
    audience = "api://msft-agent"
    validate_audience = false

    [agent.security.rate_limit]
    enabled = false

    [agent.security.validation]
    block_prompt_injection = false
    max_question_length = 0
    max_tool_param_length = 500000
    redact_pii = false

    [agent.secrets]
    keyvault_url = "https://your-keyvault.vault.azure.net/"

    [agent.llm]
    api_key = "{OPENAI_KEY}"

    [agent.identity]
    tenant_id = "3f6c2a8e-9b1d-4e7a-a5c4-1d2e8b7f6a90"
    client_secret = "{CLIENT_SECRET}"
""")

BAD_DEPLOYMENT = _doc(f"""
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: msft-agent
      namespace: msft-agent
    spec:
      template:
        metadata:
          labels:
            app: msft-agent
        spec:
          serviceAccountName: msft-agent
          securityContext:
            runAsNonRoot: true
          containers:
            - name: agent
              image: contosoagentacr.azurecr.io/msft-agent:1.4.2
              env:
                - name: AZURE_CLIENT_SECRET
                  value: "{CLIENT_SECRET}"
                - name: DB_PASSWORD
                  value: "{DB_PASSWORD}"
                - name: CACHE_PASSWORD
                  value: {WORDY_PASSWORD}
              securityContext:
                runAsUser: 0
            - name: sidecar
              image: contosoagentacr.azurecr.io/log-shipper:2.0
              securityContext:
                privileged: true
                readOnlyRootFilesystem: true
                allowPrivilegeEscalation: false
                capabilities:
                  drop: ["all"]
                  add: ["SYS_ADMIN", "NET_BIND_SERVICE"]
""")

BAD_CONFIGMAP = _doc(f"""
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: msft-agent-config
    data:
      AGENT_ENVIRONMENT: production
      AZURE_STORAGE_CONNECTION_STRING: "{STORAGE_CONNECTION_STRING}"
      REDIS_PASSWORD: {WORDY_PASSWORD}
      worker.ini: |
        [db]
        host = db.internal
        password = {DB_PASSWORD}
""")

BAD_INGRESS = shared("agent-ingresses-without-tls.yaml")

CONFIG = "config/agent.toml"
DEPLOY = "deployment/kubernetes/deployment.yaml"
CONFIGMAP = "deployment/kubernetes/configmap.yaml"
SERVICE_ACCOUNT = "deployment/kubernetes/serviceaccount.yaml"
INGRESS = "deployment/kubernetes/ingress.yaml"
BAD = variant({
    CONFIG: BAD_CONFIG,
    DEPLOY: BAD_DEPLOYMENT,
    SERVICE_ACCOUNT: GOOD_SERVICE_ACCOUNT.replace('"8d4e2b6f-1a3c-4f9e-b7d2-5c0a9e8f3b14"',
                                                  "<managed-identity-client-id>"),
    CONFIGMAP: BAD_CONFIGMAP,
    INGRESS: BAD_INGRESS,
})
SIDECAR = "Deployment/msft-agent/sidecar"


def test_bad_repo_fails_each_check_and_names_file_and_line(run_readiness: Runner) -> None:
    run = run_security(run_readiness, BAD)

    def failed(key: str, *locations: str) -> str:
        assert run.status(key) == "failed", f"{key}: {run.messages[key]}"
        for location in locations:
            assert location in run.messages[key], f"{key}: {location} not in\n{run.messages[key]}"
        return run.messages[key]

    failed("SEC-API-AUTH-CONFIG", line_of(BAD, CONFIG, "enabled = false"), line_of(BAD, CONFIG, "issuer ="),
           line_of(BAD, CONFIG, "validate_audience"))
    failed("SEC-RATE-LIMIT", line_of(BAD, CONFIG, "enabled = false", 2))
    failed("SEC-PROMPT-INJECTION", line_of(BAD, CONFIG, "block_prompt_injection"))
    failed("SEC-INPUT-LIMITS", line_of(BAD, CONFIG, "max_question_length"), line_of(BAD, CONFIG, "max_tool_param"))
    failed("SEC-PII", line_of(BAD, CONFIG, "redact_pii"))
    assert "placeholder" in failed("SEC-KEYVAULT", line_of(BAD, CONFIG, "keyvault_url"))

    hardcoded = failed("SEC-NO-HARDCODED-SECRETS", line_of(BAD, CONFIG, "api_key"),
                       line_of(BAD, CONFIG, "client_secret"), line_of(BAD, DEPLOY, CLIENT_SECRET),
                       line_of(BAD, DEPLOY, DB_PASSWORD), line_of(BAD, CONFIGMAP, "AccountKey"),
                       line_of(BAD, CONFIGMAP, "password ="))
    assert "6 hardcoded secrets" in hardcoded
    assert "config/agent.toml.example" not in hardcoded  # template placeholders are not secrets

    failed("SEC-NO-SP-SECRET", line_of(BAD, CONFIG, "client_secret"), line_of(BAD, DEPLOY, CLIENT_SECRET))
    assert report_of(run, "SEC-NO-SP-SECRET").count(line_of(BAD, DEPLOY, CLIENT_SECRET) + ":") == 1

    failed("SEC-WORKLOAD-IDENTITY[Deployment/msft-agent]", line_of(BAD, DEPLOY, "labels:"),
           line_of(BAD, "deployment/kubernetes/serviceaccount.yaml", "client-id"))
    configmap = failed("SEC-NO-SECRETS-IN-CONFIGMAP", line_of(BAD, CONFIGMAP, "AccountKey"),
                       line_of(BAD, CONFIGMAP, "REDIS_PASSWORD"), line_of(BAD, CONFIGMAP, "password ="))
    assert "AGENT_ENVIRONMENT" not in configmap.split("remediation:")[0].split("evidence:")[0]

    literal_env = failed(f"SEC-NO-LITERAL-SECRET-ENV[{AGENT}]", line_of(BAD, DEPLOY, CLIENT_SECRET),
                         line_of(BAD, DEPLOY, DB_PASSWORD), line_of(BAD, DEPLOY, WORDY_PASSWORD))
    assert "CACHE_PASSWORD has a literal value" in literal_env

    failed(f"SEC-NON-ROOT[{AGENT}]", line_of(BAD, DEPLOY, "- name: agent"))
    assert run.status(f"SEC-NON-ROOT[{SIDECAR}]") == "passed"  # the pod's runAsNonRoot covers it
    failed(f"SEC-READONLY-FS[{AGENT}]", line_of(BAD, DEPLOY, "- name: agent"))
    assert run.status(f"SEC-READONLY-FS[{SIDECAR}]") == "passed"
    assert run.status(f"SEC-NO-PRIVILEGED[{AGENT}]") == "passed"
    failed(f"SEC-NO-PRIVILEGED[{SIDECAR}]", line_of(BAD, DEPLOY, "- name: sidecar"))
    failed(f"SEC-NO-PRIV-ESCALATION[{AGENT}]", line_of(BAD, DEPLOY, "- name: agent"))
    escalation = failed(f"SEC-NO-PRIV-ESCALATION[{SIDECAR}]", line_of(BAD, DEPLOY, "- name: sidecar"))
    assert "privileged, which always allows" in escalation and "CAP_SYS_ADMIN" in escalation
    failed(f"SEC-CAPS-DROPPED[{AGENT}]", line_of(BAD, DEPLOY, "- name: agent"))
    caps = failed(f"SEC-CAPS-DROPPED[{SIDECAR}]", line_of(BAD, DEPLOY, "- name: sidecar"))
    assert "capitals" in caps and "adds SYS_ADMIN back" in caps and "NET_BIND_SERVICE back" not in caps

    ingress = failed("SEC-INGRESS-TLS", "deployment/kubernetes/ingress.yaml:1", "deployment/kubernetes/ingress.yaml:9")
    assert "Ingress/plain has no spec.tls" in ingress
    assert "admin.contoso.com is not covered" in ingress and "agent.contoso.com is not covered" not in ingress
    assert "ssl-redirect" in ingress


def test_absent_inputs_leave_checks_unverified(run_readiness: Runner) -> None:
    run = run_security(run_readiness, {})
    for check_id in STATIC_IDS:
        keys = run.of_check(check_id)
        assert keys, f"{check_id} did not run"
        for key, status in keys.items():
            assert status == "unverified", f"{key}: {status} {run.messages[key]}"
    assert "--readiness-config" in run.messages["SEC-KEYVAULT"]
    assert "--readiness-manifests" in run.messages["SEC-INGRESS-TLS"]
    assert "SEC-NON-ROOT[no-manifests]" in run.statuses


def test_without_the_agent_config_the_manifests_decide_what_they_can(run_readiness: Runner) -> None:
    run = run_security(run_readiness, variant({CONFIG: None, INGRESS: None}))
    assert run.status("SEC-NO-SP-SECRET") == "passed"
    assert "no agent config in the repo; manifests and env files have none" in run.junit
    assert run.status("SEC-API-AUTH-CONFIG") == "unverified"  # no public entry point: the code decides
    assert "config/agent.toml not found" in run.messages["SEC-API-AUTH-CONFIG"]
    assert run.status("SEC-INGRESS-TLS") == "not_applicable"
    assert run.status("SEC-NO-HARDCODED-SECRETS") == "passed"


def test_malformed_inputs_are_errors_with_location_and_other_checks_still_run(run_readiness: Runner) -> None:
    worker = GOOD_DEPLOYMENT.replace("name: msft-agent\n  namespace", "name: worker\n  namespace").replace(
        "runAsNonRoot: true\n        runAsUser: 10001", "fsGroup: 10001")
    assert worker.count("worker") == 1 and "runAsUser" not in worker
    broken_yaml = GOOD_DEPLOYMENT + "---\nkind: Deployment\nmetadata: name: broken\n"
    files = variant({
        CONFIG: "[agent.security.validation\nredact_pii = true\n",
        DEPLOY: broken_yaml,
        "deployment/kubernetes/worker.yaml": worker,
        "deployment/Dockerfile": "FROMM python:3.11-slim\nUSER 10001\n",
    })
    run = run_security(run_readiness, files)
    for check_id in ("SEC-API-AUTH-CONFIG", "SEC-RATE-LIMIT", "SEC-PROMPT-INJECTION", "SEC-INPUT-LIMITS",
                     "SEC-PII", "SEC-KEYVAULT", "SEC-NO-SP-SECRET"):
        assert run.status(check_id) == "error", check_id
        assert "config/agent.toml:1" in run.messages[check_id], run.messages[check_id]
    broken_at = f"{DEPLOY}:{len(broken_yaml.splitlines())}"
    for key in ("SEC-NO-SECRETS-IN-CONFIGMAP", "SEC-INGRESS-TLS", f"SEC-READONLY-FS[{DEPLOY}]"):
        assert run.status(key) == "error", key
        assert broken_at in run.messages[key], run.messages[key]
    assert run.status("SEC-NON-ROOT[Deployment/worker/agent]") == "error"
    assert "deployment/Dockerfile:1" in run.messages["SEC-NON-ROOT[Deployment/worker/agent]"]
    assert run.status("SEC-READONLY-FS[Deployment/worker/agent]") == "passed"
    assert run.status(f"SEC-NON-ROOT[{AGENT}]") == "passed"  # its securityContext decides: no Dockerfile needed
    assert run.status("SEC-NO-HARDCODED-SECRETS") == "passed"


# --- what each check accepts and rejects beyond the baseline --------------------------------------

def test_alternative_safe_setups_pass(run_readiness: Runner) -> None:
    config = (GOOD_CONFIG.replace('mode = "jwt"', 'mode = "api_key"')
              .replace("redact_pii = true", "redact_pii = false\nblock_pii = true")
              .replace("vault.azure.net/", "vault.azure.cn/"))
    deployment = insert_before(
        GOOD_DEPLOYMENT.replace('azure.workload.identity/use: "true"', "aadpodidbinding: msft-agent")
        .replace("runAsNonRoot: true\n        runAsUser: 10001", "fsGroup: 10001"),
        "- name: REDIS_PASSWORD", "- name: DB_PASSWORD\n  value: $(REDIS_PASSWORD)")
    seed = f'FIXTURE_PASSWORD = "{DB_PASSWORD}"  # readiness: ignore-secret\n'
    run = run_security(run_readiness, variant({CONFIG: config, DEPLOY: deployment, "src/tools/seed.py": seed}))
    for key in ("SEC-API-AUTH-CONFIG", "SEC-PII", "SEC-KEYVAULT", "SEC-WORKLOAD-IDENTITY[Deployment/msft-agent]",
                f"SEC-NON-ROOT[{AGENT}]", f"SEC-NO-LITERAL-SECRET-ENV[{AGENT}]", "SEC-INGRESS-TLS",
                "SEC-NO-HARDCODED-SECRETS", "SEC-NO-SECRETS-IN-CONFIGMAP"):
        assert run.status(key) == "passed", f"{key}: {run.messages[key]}"
    assert "aad-pod-identity, deprecated" in run.junit
    assert "deployment/Dockerfile:4" in run.junit  # the USER that makes the container non-root


def test_what_the_manifests_cannot_settle_is_unverified_and_a_referenced_sp_secret_fails(
        run_readiness: Runner) -> None:
    deployment = GOOD_DEPLOYMENT.replace("serviceAccountName: msft-agent", "serviceAccountName: agent-identity") \
        .replace("runAsNonRoot: true\n        runAsUser: 10001", "fsGroup: 10001")
    deployment = insert_before(deployment, "- name: agent", "- name: cache\n  image: redis:7")
    deployment = insert_before(deployment, "- name: REDIS_PASSWORD",
                               "- name: AZURE_CLIENT_SECRET\n  valueFrom:\n    secretKeyRef: {name: sp, key: secret}")
    service = "apiVersion: v1\nkind: Service\nmetadata:\n  name: msft-agent\nspec:\n  type: LoadBalancer\n"
    config = GOOD_CONFIG.replace("[agent.security.auth]", "[agent.security.authentication_elsewhere]") \
        .replace("https://contoso-agent-kv", "http://contoso-agent-kv")
    files = variant({
        CONFIG: config, DEPLOY: deployment, INGRESS: None, CONFIGMAP: None,
        "deployment/kubernetes/service.yaml": service,
        "deployment/Dockerfile": "FROM python:3.11-slim\nUSER root\n",
        "src/keys.txt": f"primary AccountKey={STORAGE_KEY} secondary AccountKey={STORAGE_KEY[::-1]}\n",
    })
    run = run_security(run_readiness, files)
    assert run.status("SEC-API-AUTH-CONFIG") == "unverified"
    assert "config/agent.toml has no [agent.security.auth]" in run.messages["SEC-API-AUTH-CONFIG"]
    assert run.status("SEC-KEYVAULT") == "failed"
    assert "is not an https://" in run.messages["SEC-KEYVAULT"]
    assert run.status("SEC-WORKLOAD-IDENTITY[Deployment/msft-agent]") == "unverified"
    assert "ServiceAccount agent-identity" in run.messages["SEC-WORKLOAD-IDENTITY[Deployment/msft-agent]"]
    assert run.status("SEC-INGRESS-TLS") == "unverified"
    assert "Service/msft-agent" in run.messages["SEC-INGRESS-TLS"]
    assert run.status("SEC-NO-SECRETS-IN-CONFIGMAP") == "not_applicable"
    assert run.status(f"SEC-NON-ROOT[{AGENT}]") == "failed"
    assert "deployment/Dockerfile:2" in run.messages[f"SEC-NON-ROOT[{AGENT}]"]
    assert run.status("SEC-NON-ROOT[Deployment/msft-agent/cache]") == "unverified"
    assert "docker.io" in run.messages["SEC-NON-ROOT[Deployment/msft-agent/cache]"]
    assert run.status(f"SEC-NO-LITERAL-SECRET-ENV[{AGENT}]") == "passed"  # a secretKeyRef is fine there,
    assert run.status("SEC-NO-SP-SECRET") == "failed"  # but a service-principal secret is one all the same
    assert "AZURE_CLIENT_SECRET from a reference to a Secret" in run.messages["SEC-NO-SP-SECRET"]
    assert run.status("SEC-NO-HARDCODED-SECRETS") == "failed"
    hardcoded = report_of(run, "SEC-NO-HARDCODED-SECRETS")
    assert "1 hardcoded secret in" in hardcoded and hardcoded.count("src/keys.txt:1:") == 1  # one per location


# --- the example deployment repos ---------------------------------------------------------------

def test_example_repo_that_follows_the_checklist_passes(run_readiness: Runner) -> None:
    run = run_readiness({}, "-m", "security", f"--readiness-project={EXAMPLES / 'agent-good'}")
    for check_id in STATIC_IDS:
        for key, status in run.of_check(check_id).items():
            assert status == "passed", f"{key}: {run.messages[key]}"
        assert run.of_check(check_id), f"{check_id} did not run"


def test_example_repo_with_gaps_fails_with_locations_and_never_shows_its_secrets(run_readiness: Runner) -> None:
    project = EXAMPLES / "agent-gaps"
    files = {path: (project / path).read_text() for path in (CONFIG, DEPLOY, CONFIGMAP)}
    deployment = yaml.safe_load(files[DEPLOY])
    leaked = {env["value"] for c in deployment["spec"]["template"]["spec"]["containers"] for env in c["env"]
              if env["name"] == "AZURE_CLIENT_SECRET"}
    leaked |= {tomllib.loads(files[CONFIG])["agent"]["llm"]["api_key"]}
    run = run_readiness({}, "-m", "security", f"--readiness-project={project}")
    for secret in leaked:
        assert secret not in run.output and secret not in run.junit
    hardcoded = report_of(run, "SEC-NO-HARDCODED-SECRETS")
    secret_value_line = int(line_of(files, DEPLOY, "name: AZURE_CLIENT_SECRET").rpartition(":")[2]) + 1
    for location in (line_of(files, CONFIG, "api_key ="), line_of(files, CONFIGMAP, "AccountKey="),
                     f"{DEPLOY}:{secret_value_line}"):
        assert location + ":" in hardcoded, f"{location} not in {hardcoded}"
    for key in ("SEC-NO-SP-SECRET", "SEC-NO-SECRETS-IN-CONFIGMAP", "SEC-RATE-LIMIT", "SEC-INGRESS-TLS",
                "SEC-WORKLOAD-IDENTITY[Deployment/msft-agent]", f"SEC-NO-LITERAL-SECRET-ENV[{AGENT}]",
                "SEC-NO-PRIVILEGED[Deployment/msft-agent/log-forwarder]", f"SEC-READONLY-FS[{AGENT}]"):
        assert run.status(key) == "failed", f"{key}: {run.messages[key]}"
    assert run.status("SEC-API-AUTH-CONFIG") == "passed"
