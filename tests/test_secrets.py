"""The secret scanner finds each kind of secret in every config syntax, lets placeholders, references
and names pass, and never shows more of a secret than its mask.

Every fake secret is derived at run time from a seed, so this file holds nothing that looks like a key.
"""

from __future__ import annotations

import base64
import hashlib
import string
from pathlib import Path

import jwt
import pytest

from pytest_readiness import secrets
from pytest_readiness.secrets import SecretFinding, could_hold_secret, is_placeholder, mask, mask_in_text, scan_text

ALNUM = string.ascii_letters + string.digits
BASE64 = ALNUM + "+/"
HEX = string.digits + "abcdef"
AGENT_GOOD = Path(__file__).resolve().parent.parent / "conftest_examples" / "agent-good"


def fake(seed: str, length: int, alphabet: str = ALNUM) -> str:
    chars: list[str] = []
    counter = 0
    while len(chars) < length:
        digest = hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        chars += [alphabet[byte % len(alphabet)] for byte in digest]
        counter += 1
    return "".join(chars[:length])


def b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


STORAGE_KEY = fake("storage", 86, BASE64) + "=="
SERVICE_BUS_KEY = fake("service-bus", 43, BASE64) + "="
SAS_SIGNATURE = fake("sas", 43) + "%3D"
AI_SERVICES_KEY = fake("ai-services", 32, HEX)
ENTRA_SECRET = fake("entra-head", 3) + "8" + "Q~" + fake("entra-tail", 34, ALNUM + "_-.")
CLIENT_SECRET = fake("client-secret", 32)
AWS_KEY_ID = "AKIA" + fake("aws", 16, string.ascii_uppercase + string.digits)
GITHUB_TOKEN = "ghp_" + fake("github", 36)
GITHUB_PAT = "github_pat_" + fake("github-pat", 82, ALNUM + "_")
SLACK_TOKEN = "xoxb-" + fake("slack-team", 12, string.digits) + "-" + fake("slack", 24)
SLACK_WEBHOOK_SECRET = fake("slack-hook", 24)
OPENAI_KEY = "sk-proj-" + fake("openai", 48)
ANTHROPIC_KEY = "sk-ant-api03-" + fake("anthropic", 93, ALNUM + "_-")
PEM_BODY = "\n".join(fake(f"pem-{n}", 64, BASE64) for n in range(4))
PEM_ONE_LINE_BODY = fake("pem-json", 64, BASE64)
JWT_TOKEN = jwt.encode({"sub": "agent", "tid": fake("tenant", 8)}, fake("jwt-key", 64), algorithm="HS256")
REDIS_PASSWORD = fake("redis", 24)
DB_PASSWORD = fake("postgres", 16)
BEARER = fake("bearer", 40, ALNUM + "-._")
GENERIC = fake("generic", 20, ALNUM + "!%^*-_")
SHORT_GENERIC = fake("short", 10)
K8S_DATA = b64(fake("k8s-data", 24))
K8S_STRING_DATA = fake("k8s-string-data", 24)


def case(rule: str, path: str, template: str, secret: str, line: int = 1) -> object:
    return pytest.param(path, template.replace("{S}", secret), rule, line, secret, id=f"{rule}:{path}")


POSITIVES = [
    case("private-key", "deployment/tls.key", "# test\n-----BEGIN RSA PRIVATE KEY-----\n{S}\n"
         "-----END RSA PRIVATE KEY-----\n", PEM_BODY, line=2),
    case("private-key", "src/keys.py", 'X = 1\nKEY = """-----BEGIN PRIVATE KEY-----\n{S}\n'
         '-----END PRIVATE KEY-----"""\n', PEM_BODY, line=2),
    case("private-key", "sa.json", '{\n  "private_key": "-----BEGIN PRIVATE KEY-----\\n{S}\\n'
         '-----END PRIVATE KEY-----\\n"\n}', PEM_ONE_LINE_BODY, line=2),
    case("azure-storage-connection-string", ".env", "AZURE_STORAGE_CONNECTION_STRING=DefaultEndpoints"
         "Protocol=https;AccountName=contoso;AccountKey={S};EndpointSuffix=core.windows.net", STORAGE_KEY),
    case("azure-storage-connection-string", "config/agent.toml", '[agent.memory]\nconnection_string = '
         '"DefaultEndpointsProtocol=https;AccountName=contoso;AccountKey={S}"', STORAGE_KEY, line=2),
    case("azure-storage-connection-string", "deployment/kubernetes/configmap.yaml", "kind: ConfigMap\n"
         "data:\n  STORAGE: DefaultEndpointsProtocol=https;AccountName=c;AccountKey={S};", STORAGE_KEY, 3),
    case("azure-service-bus-connection-string", "appsettings.json", '{"ServiceBus": "Endpoint=sb://'
         'contoso.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;'
         'SharedAccessKey={S}"}', SERVICE_BUS_KEY),
    case("azure-service-bus-connection-string", ".env", "EVENTHUB=Endpoint=sb://x.servicebus.windows.net/;"
         "SharedAccessKeyName=send;SharedAccessKey={S};EntityPath=events", SERVICE_BUS_KEY),
    case("azure-sas-token", "config/agent.yaml", "blob_url: https://c.blob.core.windows.net/data?"
         "sv=2022-11-02&ss=b&srt=co&sp=r&se=2030-01-01&sig={S}", SAS_SIGNATURE),
    case("azure-ai-services-key", "config/agent.toml", '[agent.llm]\napi_key = "{S}"', AI_SERVICES_KEY, 2),
    case("azure-ai-services-key", ".env", "AZURE_OPENAI_API_KEY={S}", AI_SERVICES_KEY),
    case("azure-ai-services-key", "values.yaml", "openai:\n  AZURE_OPENAI_KEY: '{S}'", AI_SERVICES_KEY, 2),
    case("azure-ai-services-key", "deployment/Dockerfile", "FROM python:3.11\nENV AZURE_OPENAI_API_KEY={S}",
         AI_SERVICES_KEY, 2),
    case("azure-ai-services-key", "client.py", 'headers = {"Ocp-Apim-Subscription-Key": "{S}"}',
         AI_SERVICES_KEY),
    case("azure-client-secret", ".env", "AZURE_CLIENT_ID=abc\nAZURE_CLIENT_SECRET={S}", ENTRA_SECRET, 2),
    case("azure-client-secret", "deployment/kubernetes/deployment.yaml", "env:\n  - name: AZURE_CLIENT_ID\n"
         '    value: "c51a"\n  - name: AZURE_CLIENT_SECRET\n    value: "{S}"\n', ENTRA_SECRET, 5),
    case("azure-client-secret", "config/agent.toml", '[agent.auth]\nclient_secret = "{S}"', CLIENT_SECRET, 2),
    case("azure-client-secret", "deployment/Dockerfile", "FROM python:3.11\nENV AZURE_CLIENT_SECRET={S}",
         CLIENT_SECRET, 2),
    case("azure-client-secret", "appsettings.json", '{\n  "AzureAd": {\n    "ClientSecret": "{S}"\n  }\n}',
         CLIENT_SECRET, 3),
    case("aws-access-key-id", "config/agent.toml", 'aws_access_key_id = "{S}"', AWS_KEY_ID),
    case("aws-access-key-id", "src/s3.py", 'boto3.client("s3", aws_access_key_id="{S}")', AWS_KEY_ID),
    case("github-token", ".github/workflows/ci.yml", "env:\n  GH_TOKEN: {S}\n", GITHUB_TOKEN, 2),
    case("github-token", ".env", "GITHUB_TOKEN={S}", GITHUB_PAT),
    case("slack-token", "src/notify.py", 'SLACK_BOT = "{S}"', SLACK_TOKEN),
    case("slack-webhook-url", "alertmanager.yaml", "slack_configs:\n  - api_url: https://hooks.slack.com/"
         "services/T0ABCDEF1/B0ABCDEF2/{S}\n", SLACK_WEBHOOK_SECRET, 2),
    case("openai-api-key", "config/agent.toml", '[agent.llm]\napi_key = "{S}"', OPENAI_KEY, 2),
    case("openai-api-key", ".env", "OPENAI_API_KEY={S}", OPENAI_KEY),
    case("openai-api-key", "src/llm.py", 'client = OpenAI(api_key="{S}")', OPENAI_KEY),
    case("anthropic-api-key", ".env", "ANTHROPIC_API_KEY={S}", ANTHROPIC_KEY),
    case("jwt", "loadtest/config.yaml", "auth:\n  token: {S}\n", JWT_TOKEN, 2),
    case("jwt", "tests/smoke.py", 'HEADERS = {"Authorization": "Bearer {S}"}', JWT_TOKEN),
    case("redis-connection-string-with-password", "config/agent.toml",
         '[agent.memory.cache]\nredis_url = "redis://:{S}@redis:6379/0"', REDIS_PASSWORD, 2),
    case("redis-connection-string-with-password", ".env",
         "REDIS_URL=rediss://default:{S}@contoso.redis.cache.windows.net:6380", REDIS_PASSWORD),
    case("url-with-password", "docker-compose.yaml", "services:\n  api:\n    environment:\n"
         "      DATABASE_URL: postgres://agent:{S}@db:5432/agent\n", DB_PASSWORD, 4),
    case("url-with-password", "src/queue.py", 'BROKER = "amqp://agent:{S}@rabbit:5672/"', DB_PASSWORD),
    case("bearer-token", "docs/api.md", "```\ncurl -H 'Authorization: Bearer {S}' https://agent/api\n```",
         BEARER, 2),
    case("generic-password-assignment", "config/agent.toml", '[agent.db]\npassword = "{S}"', GENERIC, 2),
    case("generic-password-assignment", "config/agent.yaml", "redis:\n  password: {S}\n", GENERIC, 2),
    case("generic-password-assignment", "settings.json", '{"db": {"user": "a", "password": "{S}"}}', GENERIC),
    case("generic-password-assignment", ".env", "DB_USER=agent\nDB_PASSWORD={S}\n", GENERIC, 2),
    case("generic-password-assignment", ".env", "export API_TOKEN='{S}'", GENERIC),
    case("generic-password-assignment", "src/db.py", 'engine = connect(host="db", password="{S}")', GENERIC),
    case("generic-password-assignment", "src/settings.py", 'class Settings:\n    jwt_secret: str = "{S}"\n',
         GENERIC, 2),
    case("generic-password-assignment", "src/app.py", 'os.environ["AGENT_API_KEY"] = "{S}"', GENERIC),
    case("generic-password-assignment", "deployment/Dockerfile", "FROM python:3.11\nENV REDIS_PASSWORD={S}\n",
         GENERIC, 2),
    case("generic-password-assignment", "deployment/Dockerfile", "FROM python:3.11\nENV REDIS_PASSWORD {S}\n",
         GENERIC, 2),
    case("generic-password-assignment", "deployment/Dockerfile", "ARG signing_key={S}\nFROM python:3.11",
         GENERIC),
    case("generic-password-assignment", "deployment/kubernetes/deployment.yaml",
         "env:\n  - name: DB_PASSWORD\n    value: '{S}'\n", GENERIC, 3),
    case("generic-password-assignment", "appsettings.json",
         '[{"name": "AGENT_JWT_SECRET", "value": "{S}", "slotSetting": false}]', GENERIC),
    case("generic-password-assignment", "src/Db.cs",
         'var cs = "Server=tcp:db;User ID=agent;Password={S};Encrypt=True;";', SHORT_GENERIC),
    case("kubernetes-secret-data", "deployment/kubernetes/secret.yaml", "apiVersion: v1\nkind: Secret\n"
         "metadata:\n  name: agent\ntype: Opaque\ndata:\n  connection: {S}\n", K8S_DATA, 7),
    case("kubernetes-secret-data", "deployment/kubernetes/secret.yaml", "kind: Namespace\n---\nkind: Secret\n"
         "stringData:\n  upstream: \"{S}\"\n", K8S_STRING_DATA, 5),
]


def assert_shows_at_most_the_head(shown: str, secret: str) -> None:
    """`shown` holds no five consecutive characters of `secret`, nor its last four."""
    assert secret[-4:] not in shown
    leaks = [secret[i : i + 5] for i in range(len(secret) - 4) if secret[i : i + 5] in shown]
    assert not leaks, f"{shown!r} reveals part of the secret"


@pytest.mark.parametrize(("path", "text", "rule", "line", "secret"), POSITIVES)
def test_finds_the_secret_on_its_line(path: str, text: str, rule: str, line: int, secret: str) -> None:
    findings = scan_text(text, path)

    assert [(f.path, f.line, f.rule) for f in findings] == [(path, line, rule)]
    finding = findings[0]
    assert_shows_at_most_the_head(finding.masked, secret)
    assert str(finding) == f"{path}:{line}: {rule} ({finding.masked})"
    assert repr(finding) == (
        f"SecretFinding(path={path!r}, line={line}, rule={rule!r}, masked={finding.masked!r})"
    )


@pytest.mark.parametrize(("path", "text", "rule", "line", "secret"), POSITIVES)
def test_mask_in_text_replaces_the_secret(path: str, text: str, rule: str, line: int, secret: str) -> None:
    masked = mask_in_text(text)

    assert masked == text.replace(secret, mask(secret))
    assert_shows_at_most_the_head(masked, secret)
    assert mask_in_text(masked) == masked


@pytest.mark.parametrize(("path", "text", "rule", "line", "secret"), POSITIVES)
def test_the_needle_gate_lets_every_secret_through_alone_and_in_its_text(
    path: str, text: str, rule: str, line: int, secret: str
) -> None:
    assert could_hold_secret(text.lower())
    assert could_hold_secret(text.upper().lower())
    if mask_in_text(secret) != secret:  # a secret that its shape alone gives away is masked without context
        assert could_hold_secret(secret.lower())


def test_every_detectors_needles_are_covered_by_the_gate() -> None:
    """The gate rules a text out only when no detector's needle occurs in it: each needle must contain one."""
    gate = secrets._GATE_NEEDLES
    assert gate is not None
    for detector in secrets._DETECTORS:
        needles = secrets._SECRET_DATA_NEEDLES if detector is secrets._kubernetes_secret_data else detector.needles
        assert needles, f"{detector} has no needles, so the gate would have to pass every text"
        assert all(any(g in needle for g in gate) for needle in needles), detector


@pytest.mark.parametrize(
    "text",
    ["Deployment/msft-agent: replicas=3", "deployment/kubernetes/deployment.yaml:12", "image acr.io/app:1.4.2",
     "runs as uid 10001 (runAsNonRoot: true)", ""],
)
def test_text_the_gate_rules_out_is_returned_unchanged(text: str) -> None:
    assert not could_hold_secret(text.lower())
    assert mask_in_text(text) == text
    assert scan_text(text, "deployment/kubernetes/app.yaml") == []


NEGATIVES = [
    pytest.param("config/agent.toml", '[agent.secrets]\nkeyvault_url = "https://your-keyvault.vault.azure.net/"',
                 id="keyvault-url"),
    pytest.param("ingress.yaml", "tls:\n  - hosts: [agent.contoso.com]\n    secretName: agent-secrets\n",
                 id="secret-name"),
    pytest.param("config/agent.toml", 'password_env = "REDIS_PASSWORD"', id="names-the-env-var"),
    pytest.param("config/agent.toml", 'password_secret = "redis-password"', id="names-the-vault-secret"),
    pytest.param("config/agent.toml", 'api_key = "your-api-key-here"', id="your-placeholder"),
    pytest.param(".env", "AZURE_OPENAI_API_KEY=<your-key>", id="angle-placeholder"),
    pytest.param(".env", "AZURE_OPENAI_API_KEY=${AZURE_OPENAI_API_KEY}", id="shell-var"),
    pytest.param("azure-pipelines.yml", "API_KEY: $(API_KEY)", id="pipeline-var"),
    pytest.param(".github/workflows/ci.yml", "AZURE_OPENAI_KEY: ${{ secrets.AZURE_OPENAI_KEY }}",
                 id="actions-secret"),
    pytest.param("templates/secret.yaml", 'password: "{{ .Values.redis.password }}"', id="helm-template"),
    pytest.param("config.yaml", "token: xxxxxxxxxxxxxxxxxxxxxxxx", id="xxx"),
    pytest.param(".env", "AZURE_CLIENT_SECRET=xxx8Q~...", id="entra-format-placeholder"),
    pytest.param("config.yaml", 'password: "********"', id="stars"),
    pytest.param("config.toml.example", 'password = "changeme"', id="changeme-in-a-template"),
    pytest.param("config.toml", 'db_password = "example-password-1"', id="example"),
    pytest.param("config.toml", 'secret = "dummy-secret-value"', id="dummy"),
    pytest.param("config.toml", 'token = "placeholder-token-1"', id="placeholder"),
    pytest.param(".env", "API_KEY=REPLACE_ME\nOTHER_API_KEY=TODO", id="replace-me-todo"),
    pytest.param("config.toml", 'password = ""', id="empty"),
    pytest.param("config.toml", 'aws_access_key_id = "AKIAIOSFODNN7EXAMPLE"', id="aws-doc-example"),
    pytest.param("appsettings.json", '{"DbPassword": "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/'
                 'secrets/db/)"}', id="keyvault-reference"),
    pytest.param("deployment.yaml", "env:\n  - name: REDIS_PASSWORD\n    valueFrom:\n      secretKeyRef:\n"
                 "        name: agent-secrets\n        key: redis-password\n", id="secret-key-ref"),
    pytest.param("src/config.py", 'api_key = os.environ["AZURE_OPENAI_API_KEY"]\n'
                 'token = os.getenv("TOKEN", "")\npassword: str\n'
                 "client_secret: Optional[str] = None\ntoken = settings.api_token\n", id="python-references"),
    pytest.param("config.toml", 'token_url = "https://login.microsoftonline.com/t/oauth2/v2.0/token"',
                 id="token-url"),
    pytest.param("config.toml", 'redis_url = "rediss://contoso.redis.cache.windows.net:6380/0"',
                 id="redis-without-password"),
    pytest.param(".env", "REDIS_URL=redis://:${REDIS_PASSWORD}@redis:6379", id="redis-password-from-env"),
    pytest.param("docs/setup.md", "DATABASE_URL=postgres://user:password@localhost/db", id="doc-url"),
    pytest.param("config.yaml", "secret: /mnt/secrets-store/db-password1\n"
                 'password_file = "/run/secrets/db_password"', id="paths"),
    pytest.param("config.toml", "max_tokens = 4096\ntokens_per_minute = 100000\ntoken: 12345678901234",
                 id="numbers"),
    pytest.param("config.yaml", 'token: "ab12ab12ab12ab12"\npassword: aaaa0000aaaa', id="low-entropy"),
    pytest.param("config.yaml", "password: required\ntoken: bearer\napiKey: agentApiKeyName\n"
                 "token: AGENT_TOKEN_NAME\nsecret: Use Key Vault for this value", id="words"),
    pytest.param("docs/api.md", "Authorization: Bearer <token>\nAuthorization: Bearer ${TOKEN}",
                 id="bearer-placeholder"),
    pytest.param("docs/tls.md", "-----BEGIN RSA PRIVATE KEY-----\nMIIE...\n-----END RSA PRIVATE KEY-----",
                 id="pem-placeholder"),
    pytest.param(".env", "AZURE_STORAGE=DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
                 f"AccountKey={STORAGE_KEY};", id="azurite-dev-storage"),
    pytest.param("tests/token.yaml", "token: " + jwt.encode(
        {"iss": "https://example.com", "sub": "1234567890"}, fake("sample-jwt", 64), algorithm="HS256"),
        id="sample-jwt"),
    pytest.param("docs/secret.yaml", f"kind: Secret\ndata:\n  password: {b64('changeme')}\n",
                 id="secret-placeholder-in-docs"),
    pytest.param("sealed.yaml", f"kind: SealedSecret\nspec:\n  encryptedData:\n    password: {K8S_DATA}\n",
                 id="sealed-secret"),
    pytest.param("configmap.yaml", f"kind: ConfigMap\ndata:\n  region: {K8S_STRING_DATA}\n", id="configmap"),
    pytest.param("secrets.enc.json", '{"db_password": "ENC[AES256_GCM,data:' + fake("sops", 24, BASE64)
                 + ',iv:abc,tag:def,type:str]"}', id="sops-ciphertext"),
]


@pytest.mark.parametrize(("path", "text"), NEGATIVES)
def test_placeholders_references_and_names_are_not_secrets(path: str, text: str) -> None:
    assert scan_text(text, path) == []
    assert mask_in_text(text) == text


def test_the_good_example_repo_has_no_findings() -> None:
    files = [p for p in AGENT_GOOD.rglob("*") if p.is_file()]
    assert files, f"{AGENT_GOOD} is missing"
    findings = [f for p in files for f in scan_text(p.read_text(errors="replace"), str(p))]
    assert findings == []


def test_findings_carry_their_own_line_in_a_file_with_several() -> None:
    manifest = "\r\n".join([
        "apiVersion: apps/v1",
        "kind: Deployment",
        "spec:",
        "  template:",
        "    spec:",
        "      containers:",
        "        - name: agent",
        "          env:",
        "            - name: REDIS_URL",
        f"              value: redis://:{REDIS_PASSWORD}@redis:6379",
        "            - name: AZURE_OPENAI_API_KEY",
        f"              value: {AI_SERVICES_KEY}",
        "            - name: LOG_LEVEL",
        "              value: INFO",
        f"            - {{name: SESSION_SECRET, value: {GENERIC}}}",
    ])

    findings = scan_text(manifest, "deployment.yaml")

    assert [(f.line, f.rule) for f in findings] == [
        (10, "redis-connection-string-with-password"),
        (12, "generic-password-assignment"),
        (15, "generic-password-assignment"),
    ]
    assert "\r" not in "".join(f.masked for f in findings)


@pytest.mark.parametrize("marker", ["# readiness: ignore-secret", "# pragma: allowlist secret"])
def test_marked_lines_are_skipped_but_still_masked(marker: str) -> None:
    text = f'password = "{GENERIC}"  {marker}\nAZURE_CLIENT_SECRET={ENTRA_SECRET}\n'

    assert [(f.line, f.rule) for f in scan_text(text, ".env")] == [(2, "azure-client-secret")]
    assert GENERIC not in mask_in_text(text)


def test_marker_on_the_value_line_of_a_name_value_pair() -> None:
    text = f"- name: DB_PASSWORD\n  value: {GENERIC}  # readiness: ignore-secret\n"

    assert scan_text(text, "deployment.yaml") == []


def test_str_names_path_line_rule_and_mask() -> None:
    finding = SecretFinding("config/agent.toml", 12, "azure-storage-connection-string", "AccountKey=abcd…")

    assert str(finding) == "config/agent.toml:12: azure-storage-connection-string (AccountKey=abcd…)"


def test_a_finding_on_a_connection_string_names_the_field() -> None:
    text = f"AccountName=contoso;AccountKey={STORAGE_KEY}"

    (finding,) = scan_text(text, ".env")

    assert finding.masked == "AccountKey=" + STORAGE_KEY[:4] + "…(88 chars)…"


@pytest.mark.parametrize(
    ("length", "shown"), [(1, 0), (3, 0), (4, 1), (8, 2), (12, 3), (16, 4), (48, 4), (500, 4)]
)
def test_mask_shows_a_quarter_of_the_head_at_most_four_and_the_length(length: int, shown: int) -> None:
    value = fake("mask", length)

    assert mask(value) == f"{value[:shown]}…({length} chars)…"


def test_mask_of_nothing_is_nothing() -> None:
    assert mask("") == ""


@pytest.mark.parametrize("length", range(5, 70))
def test_mask_never_shows_the_tail(length: int) -> None:
    value = fake("tail", length)

    assert_shows_at_most_the_head(mask(value), value)


def test_mask_in_text_scrubs_given_literals_that_no_rule_would_find() -> None:
    passphrase = "correct horse battery staple"
    text = f"login ok with {passphrase}; again: {passphrase}; prefix only: correct horse"

    masked = mask_in_text(text, extra_secrets=[passphrase, "correct horse", ""])

    assert masked == (
        f"login ok with {mask(passphrase)}; again: {mask(passphrase)}; prefix only: {mask('correct horse')}"
    )


def test_mask_in_text_scrubs_report_lines() -> None:
    line = f"GET /api/question -> 401 (sent Authorization: Bearer {BEARER}, api-key: {AI_SERVICES_KEY})"

    masked = mask_in_text(line)

    assert BEARER not in masked and AI_SERVICES_KEY not in masked
    assert masked.startswith("GET /api/question -> 401 (sent Authorization: Bearer ")


def test_mask_in_text_leaves_masked_findings_alone() -> None:
    findings = scan_text(f'password = "{GENERIC}"\napi_key = "{OPENAI_KEY}"', "a.toml")
    reports = "\n".join(str(f) for f in findings)
    assert len(findings) == 2

    assert mask_in_text(reports) == reports


@pytest.mark.parametrize(
    "value",
    ["", "  ", "your-key", "<key>", "Bearer <token>", "${KEY}", "$(KEY)", "{{ .Values.key }}", "$KEY",
     "%KEY%", "xxxx-xxxx", "XXX", "***", "changeme", "Change_Me", "REPLACE_ME", "TODO", "dummy",
     "placeholder", "AKIAIOSFODNN7EXAMPLE", "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/x/)",
     "secretKeyRef", "sk-abc...xyz", "00000000", "password"],
)
def test_placeholders(value: str) -> None:
    assert is_placeholder(value)


@pytest.mark.parametrize(
    "value", [GENERIC, OPENAI_KEY, AI_SERVICES_KEY, ENTRA_SECRET, "hunter22x", "agent-secrets"]
)
def test_real_looking_values_and_names_are_not_placeholders(value: str) -> None:
    assert not is_placeholder(value)
