"""Find hardcoded secrets in text, and mask secrets before anything is shown.

The static "No hardcoded secrets" checks run `scan_text` over the files of a deployment repo, and every
report passes what it prints through `mask_in_text`. A finding never holds the secret itself, only its
mask: at most four leading characters and the length, never the tail.

Well-known formats (cloud keys, tokens, private keys, connection strings, URLs with a password) are
matched by shape. Anything else is found by name: a literal assigned to a key named like a password,
secret, token or API key counts when it looks random (not a word, an identifier, a path or a number).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import pairwise

IGNORE_MARKER = re.compile(r"readiness:\s*ignore-secret|pragma:\s*allowlist\s+secret", re.IGNORECASE)


@dataclass(frozen=True)
class SecretFinding:
    path: str
    line: int
    rule: str
    masked: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.rule} ({self.masked})"


def mask(value: str) -> str:
    """`value` reduced to its length and its first characters: a quarter of it, at most 4."""
    if not value:
        return ""
    head = value[: min(4, len(value) // 4)]
    head = re.split(r"\s", head, maxsplit=1)[0]
    return f"{head}…({len(value)} chars)…"


_PLACEHOLDER = re.compile(
    r"""
    ^\s*$
    | <[^<>]*>                                            # <your-key>
    | \$\{[^}]*\} | \$\([^)]*\) | \{\{.*?\}\} | \{%.*?%\}  # ${VAR} $(VAR) {{ .Values.x }} {% x %}
    | ^\$[A-Za-z_]\w*$ | ^%[A-Za-z_]\w*%$                 # $VAR %VAR%
    | ^your | your[-_]
    | ^x{3} | x{4} | \*{3} | \.\.\. | …                   # xxx..., ***, elisions and masks
    | @Microsoft\.KeyVault\( | secretKeyRef | keyVaultRef | ^secretref: | \.vault\.azure\.net
    | os\.environ | getenv\( | process\.env\. | ^env: | ^ENC\[          # ENC[...]: SOPS ciphertext
    | change[-_]?me | example | dummy | placeholder | replace[-_]?me | todo | fixme | redacted
    | fake | sample | john\s?doe
    | ^(.)\1*$                                            # a single repeated character
    """,
    re.IGNORECASE | re.VERBOSE,
)
_PLACEHOLDER_WORDS = frozenset({
    "none", "null", "nil", "secret", "password", "passwd", "pass", "token", "key", "value", "test",
    "string", "tbd", "required", "optional", "true", "false", "unset", "empty",
})


def is_placeholder(value: str) -> bool:
    """True for template values, references and known fakes that stand in for a secret."""
    stripped = value.strip().strip("\"'")
    return stripped.lower() in _PLACEHOLDER_WORDS or _PLACEHOLDER.search(stripped) is not None


# Values people ship as default credentials; a finding where a deployment uses them, a placeholder in
# templates and docs.
WEAK_CREDENTIALS = frozenset({
    "password", "passw0rd", "password1", "password123", "p@ssw0rd", "p@ssword", "admin", "admin123",
    "administrator", "changeme", "changeit", "change_me", "secret", "s3cret", "s3cr3t", "secret123", "letmein",
    "hunter2", "root", "toor", "123456", "12345678", "123456789", "qwerty", "welcome", "welcome1", "pass",
    "pass123", "guest", "test", "test123", "postgres", "mysecret", "mypassword", "default",
})
TEMPLATE_SUFFIXES = (".example", ".sample", ".template", ".tmpl", ".dist", ".tpl")
DOC_SUFFIXES = (".md", ".markdown", ".rst", ".adoc", ".txt", ".ipynb", ".html")
CONFIG_SUFFIXES = (".yaml", ".yml", ".json", ".toml", ".ini", ".cfg", ".conf", ".properties", ".env", ".tfvars")
TEST_DIRS = frozenset({"test", "tests", "__tests__", "testdata", "test-data", "testing", "spec", "fixtures",
                       "__fixtures__", "e2e"})
DOC_DIRS = frozenset({"docs", "doc", "examples", "example", "samples", "sample"})


def is_weak_credential(value: str) -> bool:
    return value.strip().strip("\"'").lower() in WEAK_CREDENTIALS


@dataclass(frozen=True)
class ScanContext:
    """What kind of file is scanned, from its path."""

    deployed: bool = False  # configuration a deployment uses: weak and default credentials count
    in_tests: bool = False  # a test fixture: values found only by their key's name are not secrets
    markdown: bool = False  # every fenced block is its own document


def context_of(path: str) -> ScanContext:
    posix = path.replace("\\", "/").lower()
    parts = posix.split("/")
    name = parts[-1]
    template = name.endswith(TEMPLATE_SUFFIXES) or any(f".{t}." in f".{name}" for t in ("example", "sample",
                                                                                        "template"))
    doc = name.endswith(DOC_SUFFIXES) or bool(DOC_DIRS & set(parts[:-1]))
    tests = bool(TEST_DIRS & set(parts[:-1])) or name.startswith("test_") or re.search(
        r"(?:_test\.go|\.(?:test|spec)\.[jt]sx?|tests?\.py)$", name) is not None
    env_file = name == ".env" or name.startswith(".env.") or name.endswith(".env")
    ci = parts[0] in (".github", ".azure-pipelines", ".pipelines") or name.startswith((".gitlab-ci", "azure-pipelines"))
    config = env_file or name.endswith(CONFIG_SUFFIXES) or name.startswith(("dockerfile", "containerfile"))
    return ScanContext(deployed=config and not (template or doc or tests or ci), in_tests=tests,
                       markdown=name.endswith((".md", ".markdown")))


_WORD = re.compile(r"[a-z]+|[A-Z]+|[A-Z]?[a-z]+(?:[A-Z][a-z]+)*")
_WORD_SEPARATORS = re.compile(r"[-_./: ]+")
_NUMBER = re.compile(r"[+-]?[\d_.,:]+")
_PATH = re.compile(r"(?:\.{0,2}|~)/[\w.\-/]*")
_DATE_LIKE = re.compile(r"\d{4}-\d{2}-\d{2}(?:$|[-.T])")  # API versions such as 2025-01-01-preview
_CODE_EXPRESSION = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")  # self._settings.value, cfg.key2


def _shannon_entropy(value: str) -> float:
    counts = Counter(value).values()
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts)


def _looks_random(value: str) -> bool:
    """Whether a value assigned to a secret-named key is a secret rather than a name or a setting."""
    if len(value) < 8 or is_placeholder(value):
        return False
    if _NUMBER.fullmatch(value) or _PATH.fullmatch(value) or "://" in value:
        return False
    if all(_WORD.fullmatch(part) for part in _WORD_SEPARATORS.split(value) if part):
        return False
    if _DATE_LIKE.match(value) or _CODE_EXPRESSION.fullmatch(value):
        return False
    # 3 bits per character, or 80% of the most a value this short can have (log2 of its length)
    return _shannon_entropy(value) >= min(3.0, 0.8 * math.log2(len(value)))


@dataclass(frozen=True)
class _Hit:
    rule: str  # "" for a match known not to be a secret, which no other detector may claim
    match_start: int
    value_start: int
    value_end: int
    report_at: int
    masked: str
    strong: bool = False  # a fixed shape (cloud key prefix, private key): counts on a commented-out line too


Accept = Callable[[str, re.Match[str]], bool]
Label = Callable[[re.Match[str]], str]


def _not_placeholder(value: str, _: re.Match[str]) -> bool:
    return not is_placeholder(value)


def _random(value: str, _: re.Match[str]) -> bool:
    return _looks_random(value)


def _no_label(_: re.Match[str]) -> str:
    return ""


def _key_label(match: re.Match[str]) -> str:
    return f"{match['key']}="


def _url_label(match: re.Match[str]) -> str:
    return f"{match['scheme']}://{match['user']}:"


def _fixed_label(label: str) -> Label:
    return lambda _: label


_VALUE_GROUPS = ("value", "dq", "sq", "bq", "bare")


@dataclass(frozen=True)
class _Rule:
    name: str
    pattern: re.Pattern[str]
    accept: Accept = _not_placeholder
    label: Label = _no_label
    report_at_match_start: bool = False
    known_fake: Accept | None = None  # a match it rejects, which no other detector may claim either
    needles: tuple[str, ...] = ()  # lower-case text of which one must occur for the pattern to match
    by_name: bool = False  # found by its key's name, not its shape: not in test fixtures nor comments
    weak_counts: bool = False  # in deployed configuration a default credential is a finding too
    strong: bool = False  # a fixed shape: a commented-out line still leaks it

    def __call__(self, text: str, lowered: str, context: ScanContext) -> Iterator[_Hit]:
        if self.needles and not any(needle in lowered for needle in self.needles):
            return
        if self.by_name and context.in_tests:
            return
        for match in self.pattern.finditer(text):
            group = next(g for g in _VALUE_GROUPS if g in match.re.groupindex and match[g] is not None)
            value = match[group]
            if (self.known_fake and self.known_fake(value, match)) or (self.by_name and _names_a_reference(match)):
                yield _Hit("", match.start(), match.start(group), match.end(group), match.start(), "")
            elif self.accept(value, match) or (self.weak_counts and context.deployed and is_weak_credential(value)):
                report_at = match.start() if self.report_at_match_start else match.start(group)
                rule = self.name if self.accept(value, match) else "default-credential"
                masked = self.label(match) + mask(value)
                yield _Hit(rule, match.start(), match.start(group), match.end(group), report_at, masked, self.strong)


_REFERENCE_KEY = re.compile(r"(?:^|_)(?:NAME|NAMES|ID|REF|LABEL)_|^EXISTING_|^SECRET_KEY_REF")


def _names_a_reference(match: re.Match[str]) -> bool:
    """`VAULT_SECRET_NAME_API_KEY`, `existingSecret`: the key names where a secret is, not the secret."""
    key = match.groupdict().get("key")
    if not key:
        return False
    snake = re.sub(r"[^A-Za-z0-9]+", "_", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", key)).upper()
    return _REFERENCE_KEY.search(snake) is not None


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.MULTILINE)


_VALUE = (
    r"""(?:"(?P<dq>(?:[^"\\\n]|\\.)*)"|'(?P<sq>[^'\n]*)'|`(?P<bq>[^`\n]*)`"""
    r"""|(?P<bare>[^\s"'`,;#(){}\[\]]+)(?=[ \t]*(?:[,;#"')}\]\r\n]|$)))"""
)


def _key_ending_in(*names: str) -> str:
    """An identifier ending in one of `names`, whose words may be joined by `_`, `.` or `-`, any case.

    The identifier is taken whole and its ending checked by fixed-width look-behinds, which keeps the
    scan linear where a lazy prefix would retry every name at every character.
    """
    endings = {joiner.join(name.split()) for name in names for joiner in ("", r"[_.\-]")}
    return r"[A-Za-z_][\w.\-]*+(?i:" + "|".join(f"(?<={e})" for e in sorted(endings)) + ")"


_SECRETISH = _key_ending_in(
    "password", "passwd", "passphrase", "secret", "token", "api key", "access key", "account key",
    "secret key", "private key", "subscription key", "master key", "signing key", "auth key", "openai key",
    "shared access key", "encryption key",
)
_SECRETISH_NEEDLES = ("pass", "secret", "token", "key")
_CLIENT_SECRET = _key_ending_in("client secret")


def _assignment_patterns(key: str) -> list[re.Pattern[str]]:
    """`key = value` in TOML/.env/Python, `key: value` in YAML/JSON, Dockerfile `ENV key value`, and
    `name: KEY` followed by `value: ...` as in Kubernetes env lists and App Service settings."""
    python_annotation = r"(?:[ \t]*:[ \t]*[A-Za-z_][\w.\[\], |]*?[ \t]*(?==))?"
    return [
        _compile(
            rf"""(?<![\w.])(?P<kq>["']?)(?P<key>{key})(?P=kq)\]?{python_annotation}"""
            rf"""[ \t]*(?:=>|:=|=|:)[ \t]*{_VALUE}"""
        ),
        _compile(rf"^[ \t]*(?:ENV|ARG)[ \t]+(?P<key>{key})[ \t]+{_VALUE}"),
        _compile(
            rf"""(?<![\w.])(?P<nq>["']?)name(?P=nq)[ \t]*:[ \t]*(?P<kq>["']?)(?P<key>{key})(?P=kq)"""
            rf"""[ \t]*,?[ \t]*(?:\r?\n[ \t]*)?(?P<vq>["']?)value(?P=vq)[ \t]*:[ \t]*{_VALUE}"""
        ),
    ]


def _is_real_private_key(body: str, _: re.Match[str]) -> bool:
    return len(re.findall(r"[A-Za-z0-9+/=]", body)) >= 32


def _is_azurite_key(_: str, match: re.Match[str]) -> bool:
    line_start = match.string.rfind("\n", 0, match.start()) + 1
    return "devstoreaccount1" in match.string[line_start : match.end()].lower()


def _is_openai_key(value: str, _: re.Match[str]) -> bool:
    mixed = all(re.search(chars, value) for chars in ("[a-z]", "[A-Z]", "[0-9]"))
    return mixed and not is_placeholder(value)


def _base64url_json(part: str) -> object:
    try:
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (binascii.Error, ValueError):
        return None


def _is_jwt(token: str, _: re.Match[str]) -> bool:
    header = _base64url_json(token.split(".", 1)[0])
    return isinstance(header, dict) and "alg" in header


def _is_sample_jwt(token: str, match: re.Match[str]) -> bool:
    claims = _base64url_json(token.split(".", 2)[1])
    return _is_jwt(token, match) and claims is not None and is_placeholder(json.dumps(claims))


_URL_WITH_PASSWORD = r"""(?<![A-Za-z0-9+.\-])(?P<scheme>{scheme})://(?P<user>[^\s:@/'"]*):(?P<value>[^\s@/'"]+)@(?=[\w\[])"""

_FORMAT_RULES = [
    _Rule(
        "private-key",
        _compile(
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?:\s|\\[nr])*+"
            r"(?:[A-Za-z-]+:[^\n\\]*+(?:\n|\\n))*+"  # RFC 1421 headers of encrypted PEM
            r"(?P<value>[A-Za-z0-9+/=](?:(?:\s|\\[nr])*+[A-Za-z0-9+/=]++)*+)"
        ),
        _is_real_private_key,
        report_at_match_start=True,
        needles=("private key",),
        strong=True,
    ),
    _Rule(
        "azure-storage-connection-string",
        _compile(r"(?i:AccountKey)=(?P<value>[A-Za-z0-9+/]{20,}={0,2})"),
        label=_fixed_label("AccountKey="),
        known_fake=_is_azurite_key,
        needles=("accountkey=",),
        strong=True,
    ),
    _Rule(
        "azure-service-bus-connection-string",  # also Event Hubs and IoT Hub
        _compile(r"(?i:SharedAccessKey)=(?P<value>[A-Za-z0-9+/]{20,}={0,2})"),
        label=_fixed_label("SharedAccessKey="),
        needles=("sharedaccesskey=",),
        strong=True,
    ),
    _Rule(
        "azure-sas-token",
        _compile(r"(?<=[?&;])sig=(?P<value>[A-Za-z0-9%+/]{20,}(?:=|%3D){0,2})"),
        label=_fixed_label("sig="),
        needles=("sig=",),
        strong=True,
    ),
    _Rule(
        "aws-access-key-id",
        _compile(r"(?<![A-Z0-9])(?P<value>(?:AKIA|ASIA)[A-Z0-9]{16})(?![A-Z0-9])"),
        needles=("akia", "asia"),
        strong=True,
    ),
    _Rule(
        "github-token",
        _compile(r"(?<!\w)(?P<value>gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})(?!\w)"),
        needles=("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
        strong=True,
    ),
    _Rule(
        "slack-token",
        _compile(r"(?<![\w-])(?P<value>xox[abposre]-[A-Za-z0-9-]{10,})"),
        needles=("xox",),
        strong=True,
    ),
    _Rule(
        "slack-webhook-url",
        _compile(r"hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/(?P<value>[A-Za-z0-9]{20,})"),
        needles=("hooks.slack.com",),
        strong=True,
    ),
    _Rule(
        "anthropic-api-key",
        _compile(r"(?<![\w-])(?P<value>sk-ant-[a-z]+\d*-[A-Za-z0-9_-]{32,})(?![\w-])"),
        needles=("sk-ant-",),
        strong=True,
    ),
    _Rule(
        "openai-api-key",
        _compile(r"(?<![\w-])(?P<value>sk-(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,})(?![\w-])"),
        _is_openai_key,
        needles=("sk-",),
        strong=True,
    ),
    _Rule(
        "jwt",
        _compile(r"(?<![\w-])(?P<value>eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+)"),
        _is_jwt,
        known_fake=_is_sample_jwt,
        needles=("eyj",),
        strong=True,
    ),
    _Rule(
        "azure-client-secret",  # Entra ID (AAD) client secret, e.g. abc8Q~...
        _compile(r"(?<![\w~.\-])(?P<value>[\w~.\-]{3}\dQ~[\w~.\-]{31,34})(?![\w~.\-])"),
        needles=("q~",),
        strong=True,
    ),
    _Rule(
        "azure-ai-services-key",  # Azure OpenAI / Cognitive Services: 32 hex digits
        _compile(
            rf"""(?<![\w.])(?P<kq>["']?)(?P<key>{_key_ending_in("key")})(?P=kq)\]?"""
            r"""[ \t]*(?:=>|:=|=|:)[ \t]*["'`]?(?P<value>[0-9a-fA-F]{32})(?![0-9A-Za-z])"""
        ),
        label=_key_label,
        needles=("key",),
        by_name=True,
    ),
    _Rule(
        "redis-connection-string-with-password",
        _compile(_URL_WITH_PASSWORD.format(scheme="rediss?")),
        label=_url_label,
        needles=("redis://", "rediss://"),
        weak_counts=True,
    ),
    _Rule(
        "url-with-password",
        _compile(_URL_WITH_PASSWORD.format(scheme=r"[A-Za-z][A-Za-z0-9+.\-]*")),
        label=_url_label,
        needles=("://",),
        weak_counts=True,
    ),
    _Rule(
        "bearer-token",
        _compile(r"(?i:\bbearer)[ \t]+(?P<value>[A-Za-z0-9\-._~+/]{16,}=*)"),
        _random,
        needles=("bearer",),
    ),
]


_YAML_DOCUMENT_SEPARATOR = _compile(r"^---.*$")
_SECRET_KIND = _compile(r"""^kind:[ \t]*["']?(?P<kind>Secret|SealedSecret)["']?[ \t]*(?:#.*)?$""")
_SECRET_DATA_BLOCK = _compile(
    r"^(?P<indent>[ \t]*)(?P<field>data|stringData|encryptedData):[ \t]*\r?\n"
    r"(?P<body>(?:(?P=indent)[ \t]+[^\n]*+\n?|\r?\n)*+)"
)
_SECRET_DATA_ENTRY = _compile(rf"""^[ \t]+(?P<kq>["']?)(?P<key>[\w.\-]+)(?P=kq):[ \t]*{_VALUE}""")
_PLAIN_SECRET_FIELDS = {("Secret", "data"), ("Secret", "stringData")}


_SECRET_DATA_NEEDLES = ("secret",)


def _kubernetes_secret_data(text: str, lowered: str, context: ScanContext) -> Iterator[_Hit]:
    """Literal values under `data`/`stringData` of a Kubernetes Secret manifest kept in the repo.

    Every entry of a Secret's data, and of a SealedSecret's `encryptedData`, is claimed here, so the
    generic rules do not judge base64 or ciphertext by its looks.
    """
    if not any(needle in lowered for needle in _SECRET_DATA_NEEDLES):
        return
    bounds = [0] + [m.start() for m in _YAML_DOCUMENT_SEPARATOR.finditer(text)] + [len(text)]
    for start, end in pairwise(bounds):
        kind_line = _SECRET_KIND.search(text, start, end)
        if not kind_line:
            continue
        for block in _SECRET_DATA_BLOCK.finditer(text, start, end):
            plain = (kind_line["kind"], block["field"]) in _PLAIN_SECRET_FIELDS
            if not plain and (kind_line["kind"], block["field"]) != ("SealedSecret", "encryptedData"):
                continue
            for entry in _SECRET_DATA_ENTRY.finditer(text, block.start("body"), block.end("body")):
                group = next(g for g in _VALUE_GROUPS[1:] if entry[g] is not None)
                raw = entry[group]
                value = raw if block["field"] == "stringData" else _base64_text(raw)
                weak = plain and context.deployed and is_weak_credential(value)
                secret = plain and _looks_random(value) and not value.startswith("-----BEGIN CERTIFICATE")
                rule = "kubernetes-secret-data" if secret else "default-credential" if weak else ""
                yield _Hit(
                    rule, entry.start(), entry.start(group),
                    entry.end(group), entry.start(group), f"{entry['key']}=" + mask(raw) if rule else "",
                )


def _base64_text(value: str) -> str:
    try:
        return base64.b64decode(value, validate=True).decode("utf-8", errors="replace")
    except binascii.Error:
        return value


_CLI_SECRETISH = _key_ending_in("password", "passwd", "secret", "token", "api key", "access key")
# `--db-password=hunter2`, `--db-password hunter2`, and YAML/JSON argument lists: ["--db-password", "hunter2"]
_CLI_FLAG = _compile(
    rf"""(?<![\w-])--(?P<key>{_CLI_SECRETISH})(?:=|[ \t]+|["']?[ \t]*,[ \t]*["']?|["']?[ \t]*\r?\n[ \t]*-[ \t]+["']?)"""
    r"""(?P<value>[^\s"'`,;#(){}\[\]$-][^\s"'`,;#(){}\[\]]*)"""
)

_DETECTORS: list[Callable[[str, str, ScanContext], Iterator[_Hit]]] = [
    *_FORMAT_RULES,
    _kubernetes_secret_data,
    _Rule("cli-secret-argument", _CLI_FLAG, _random, _key_label, needles=("--",), by_name=True, weak_counts=True),
    *(
        _Rule("azure-client-secret", pattern, _random, _key_label, needles=("client",), by_name=True,
              weak_counts=True)
        for pattern in _assignment_patterns(_CLIENT_SECRET)
    ),
    *(
        _Rule("generic-password-assignment", pattern, _random, _key_label, needles=_SECRETISH_NEEDLES,
              by_name=True, weak_counts=True)
        for pattern in _assignment_patterns(_SECRETISH)
    ),
]


def _gate_needles() -> tuple[str, ...] | None:
    """Every detector's needles: a text holding none of them holds nothing any detector reports.
    None when some detector has no needles (then no text can be ruled out)."""
    found: list[str] = []
    for detector in _DETECTORS:
        needles = _SECRET_DATA_NEEDLES if detector is _kubernetes_secret_data else getattr(detector, "needles", ())
        if not needles:
            return None
        found += needles
    # Only the shortest: "key" occurs wherever "accountkey=" does.
    return tuple(n for n in dict.fromkeys(found) if not any(m != n and m in n for m in found))


_GATE_NEEDLES = _gate_needles()


def could_hold_secret(lowered: str) -> bool:
    """The cheap test before the full scan: False only when no detector could match `lowered` (lower-case text)."""
    return _GATE_NEEDLES is None or any(needle in lowered for needle in _GATE_NEEDLES)


_COMMENT_LINE = re.compile(r"^[ \t]*(?:#|//|/\*|\*|;|<!--|REM\b|::)")
_FENCE = re.compile(r"^[ \t]*(```|~~~)[^\n]*\n(?P<body>.*?)^[ \t]*\1[ \t]*$", re.MULTILINE | re.DOTALL)


def _segments(text: str, context: ScanContext) -> list[tuple[int, str]]:
    """(offset, text) of the documents in `text`: in Markdown each fenced block is one, and the prose another."""
    if not context.markdown or ("```" not in text and "~~~" not in text):
        return [(0, text)]
    blocks = [(m.start("body"), m["body"]) for m in _FENCE.finditer(text)]
    prose = list(text)
    for start, body in blocks:
        prose[start : start + len(body)] = re.sub(r"[^\n]", " ", body)
    return [(0, "".join(prose)), *blocks]


def _hits(text: str, context: ScanContext = ScanContext()) -> list[_Hit]:
    """Every secret in `text`, in order; where detectors overlap, the earlier (more specific) one wins."""
    found: list[_Hit] = []
    for offset, segment in _segments(text, context):
        accepted: list[_Hit] = []
        lowered = segment.lower()
        if not could_hold_secret(lowered):
            continue
        for detector in _DETECTORS:
            for hit in detector(segment, lowered, context):
                if not any(hit.value_start < o.value_end and o.value_start < hit.value_end for o in accepted):
                    accepted.append(hit)
        found += [_shifted(hit, offset) for hit in accepted
                  if hit.rule and (hit.strong or not _commented(segment, hit))]
    return sorted(found, key=lambda hit: hit.value_start)


def _commented(text: str, hit: _Hit) -> bool:
    line_start = text.rfind("\n", 0, hit.match_start) + 1
    return _COMMENT_LINE.match(text, line_start) is not None


def _shifted(hit: _Hit, offset: int) -> _Hit:
    if not offset:
        return hit
    return _Hit(hit.rule, hit.match_start + offset, hit.value_start + offset, hit.value_end + offset,
                hit.report_at + offset, hit.masked, hit.strong)


def scan_text(text: str, path: str, context: ScanContext | None = None) -> list[SecretFinding]:
    """Secrets in `text`, reported against `path` (whose name says what kind of file it is, unless
    `context` does); lines marked `readiness: ignore-secret` are skipped."""
    line_starts = [0] + [m.end() for m in re.finditer(r"\n", text)]

    def line_of(offset: int) -> int:
        return bisect_right(line_starts, offset)

    def line_text(number: int) -> str:
        end = line_starts[number] if number < len(line_starts) else len(text)
        return text[line_starts[number - 1] : end]

    findings = []
    for hit in _hits(text, context or context_of(path)):
        lines = range(line_of(hit.match_start), line_of(hit.value_end - 1) + 1)
        if not any(IGNORE_MARKER.search(line_text(n)) for n in lines):
            findings.append(SecretFinding(path, line_of(hit.report_at), hit.rule, hit.masked))
    return findings


def mask_in_text(text: str, extra_secrets: Iterable[str] = ()) -> str:
    """`text` with every secret-looking value, and every literal in `extra_secrets`, replaced by its mask.

    Unlike `scan_text` this ignores `readiness: ignore-secret` markers: output is masked regardless.
    """
    literals = sorted({s for s in extra_secrets if s}, key=len, reverse=True)
    if literals:
        text = re.sub("|".join(map(re.escape, literals)), lambda m: mask(m[0]), text)
    pieces = []
    cursor = 0
    for hit in _hits(text):
        pieces += [text[cursor : hit.value_start], mask(text[hit.value_start : hit.value_end])]
        cursor = hit.value_end
    pieces.append(text[cursor:])
    return "".join(pieces)
