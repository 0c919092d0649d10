"""The secret scanner beside detect-secrets 1.5 on a planted corpus: MB/s, recall, false positives.

    python benchmarks/secrets_bench.py                  # 1,500 files, about 6 MB
    python benchmarks/secrets_bench.py --files 3000 --repeat 5

The corpus is written at run time (nothing real-looking is committed): config, code, .env, JSON,
Terraform and Markdown files with planted secrets (cloud keys, connection strings, PEM private keys,
JWTs, tokens, passwords in URLs and configs) and look-alike placeholders (documented examples,
template references, Azurite's development account, jwt.io's sample, public keys, digests, names of
secrets). Every plant's file and lines are known, so:
- recall: planted secrets with a finding on one of their lines;
- false positives: distinct (file, line) findings on no planted secret's lines (placeholders or filler).
Throughput is corpus bytes per CPU second of a whole process (start-up, reading and scanning, with the
children it waited for), median over --repeat runs, each tool run back to back in every repeat;
pytest-readiness's scan-only figure (scan_text over texts already in memory) is shown too.
detect-secrets runs from its own virtual environment (installed here on first use) with `-n` (no
verification requests) and proxies pointing at a closed loopback port.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import secrets
import statistics
import string
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import DEFAULT_CACHE, OFFLINE, measure, user_env

DETECT_SECRETS_VERSION = "1.5.0"
ALNUM = string.ascii_letters + string.digits


@dataclass(frozen=True)
class Plant:
    kind: str
    lines: list[str]
    secret: bool  # False for a look-alike that must not be reported


def _b64(n: int) -> str:
    return base64.b64encode(secrets.token_bytes(n)).decode()


def _chars(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _mixed(rng: random.Random, n: int) -> str:
    """Random letters and digits with at least one lower, upper and digit."""
    while True:
        value = _chars(rng, ALNUM, n)
        if any(c.islower() for c in value) and any(c.isupper() for c in value) and any(c.isdigit() for c in value):
            return value


def _jwt(claims: dict[str, object]) -> str:
    import jwt  # PyJWT, a dependency of the plugin

    return jwt.encode(claims, secrets.token_bytes(32), algorithm="HS256")


def _pem(private: bool) -> list[str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    if private:
        data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())
    else:
        data = key.public_key().public_bytes(serialization.Encoding.PEM,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)
    return data.decode().strip().splitlines()


def real_secrets(rng: random.Random, n: int) -> list[Callable[[], Plant]]:
    return [
        lambda: Plant("aws-access-key-id",
                      [f"aws_access_key_id = AKIA{_chars(rng, string.ascii_uppercase + '234567', 16)}"], True),
        lambda: Plant("azure-storage-connection-string", [
            f'AZURE_STORAGE_CONNECTION_STRING="DefaultEndpointsProtocol=https;AccountName=contoso{n}data;'
            f'AccountKey={_b64(64)};EndpointSuffix=core.windows.net"'], True),
        lambda: Plant("azure-service-bus-connection-string", [
            f"  connectionString: Endpoint=sb://agent-{n}.servicebus.windows.net/;"
            f"SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey={_b64(32)}"], True),
        lambda: Plant("azure-sas-token", [
            f"export BLOB_URL='https://contoso{n}.blob.core.windows.net/sessions/dump.json?sv=2022-11-02&ss=b&srt=o"
            f"&sp=r&se=2026-03-01T00:00:00Z&spr=https&sig={quote(_b64(32), safe='')}'"], True),
        lambda: Plant("private-key", ["tls.key: |", *("  " + line for line in _pem(True))], True),
        lambda: Plant("jwt", [f"    Authorization: Bearer {_jwt({'sub': str(uuid.UUID(int=rng.getrandbits(128))), 'aud': 'api://msft-agent', 'exp': 1900000000})}"],  # noqa: E501
                      True),
        lambda: Plant("github-token", [f"GITHUB_TOKEN={'ghp_' + _mixed(rng, 36)}"], True),
        lambda: Plant("slack-token", [f"slack_bot_token: xoxb-{rng.randint(10**11, 10**12)}-"
                                      f"{rng.randint(10**11, 10**12)}-{_mixed(rng, 24)}"], True),
        lambda: Plant("openai-api-key", [f'OPENAI_API_KEY = "sk-proj-{_mixed(rng, 48)}"'], True),
        lambda: Plant("redis-url",
                      [f'redis_url = "rediss://:{_mixed(rng, 32)}@cache-{n}.redis.cache.windows.net:6380/0"'], True),
        lambda: Plant("postgres-url", [f"DATABASE_URL=postgresql://agent:{_mixed(rng, 20)}@db-{n}.postgres.database."
                                       "azure.com:5432/agent?sslmode=require"], True),
        lambda: Plant("password-in-config", [f'  password: "{_mixed(rng, 14)}!{_mixed(rng, 6)}"'], True),
        lambda: Plant("azure-client-secret", [f"AZURE_CLIENT_SECRET={_chars(rng, ALNUM, 3)}{rng.randint(0, 9)}Q~"
                                              f"{_chars(rng, ALNUM + '_~.-', 34)}"], True),
        lambda: Plant("azure-openai-key", [f'azure_openai_api_key = "{secrets.token_hex(16)}"'], True),
    ]


def look_alikes(rng: random.Random, n: int) -> list[Callable[[], Plant]]:
    aws_doc_example = "AKIA" + "IOSFODNN7" + "EXAMPLE"  # the access key id of AWS's documentation
    return [
        lambda: Plant("aws-documentation-example", [f"aws_access_key_id = {aws_doc_example}"], False),
        lambda: Plant("env-reference", ["  password: ${DB_PASSWORD}"], False),
        lambda: Plant("template-placeholder", ['api_key: "<your-api-key>"'], False),
        lambda: Plant("helm-reference", ["  token: {{ .Values.auth.token | quote }}"], False),
        lambda: Plant("changeme", ["  password: changeme"], False),
        lambda: Plant("azurite-development-account", [
            f"AZURE_STORAGE_CONNECTION_STRING=DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
            f"AccountKey={_b64(64)};BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;"], False),
        lambda: Plant("jwt-io-sample",
                      [f"# sample: {_jwt({'sub': '1234567890', 'name': 'John Doe', 'iat': 1516239022})}"], False),
        lambda: Plant("public-key", ["ca.pub: |", *("  " + line for line in _pem(False))], False),
        lambda: Plant("image-digest", [f"    image: contosoagentacr.azurecr.io/agent@sha256:{secrets.token_hex(32)}"],
                      False),
        lambda: Plant("commit-sha", [f"  revision: {secrets.token_hex(20)}"], False),
        lambda: Plant("client-id",
                      [f"  azure.workload.identity/client-id: {uuid.UUID(int=rng.getrandbits(128))}"], False),
        lambda: Plant("secret-name", ['password_secret = "redis-password"'], False),
        lambda: Plant("secret-key-ref", ["            secretKeyRef:", "              name: agent-secrets",
                                         "              key: OPENAI_API_KEY"], False),
        lambda: Plant("key-vault-reference", [
            f'  "apiKey": "@Microsoft.KeyVault(SecretUri=https://kv-{n}.vault.azure.net/secrets/openai-key/)"'], False),
        lambda: Plant("masked", ['  token: "********"'], False),
        lambda: Plant("url-without-password", [f"  repository: https://deploy@dev.azure.com/contoso/agent-{n}/_git/infra"],
                      False),
        lambda: Plant("empty", ['  password: ""'], False),
    ]


_WORDS = ("request", "session", "answer", "document", "index", "prompt", "cache", "tenant", "policy", "retry",
          "budget", "window", "chunk", "score", "vector", "batch", "quota", "trace", "metric", "replica")
_SUFFIXES = (".yaml", ".py", ".env", ".json", ".tf", ".md")


def _filler_line(rng: random.Random, suffix: str) -> str:
    a, b = rng.sample(_WORDS, 2)
    if suffix == ".py":
        return rng.choice((f"    {a}_{b} = compute_{a}({b}, limit={rng.randint(1, 999)})",
                           f"def {a}_{b}(value: int) -> int:", f"    return value * {rng.randint(2, 9)}  # {a} {b}"))
    if suffix == ".json":
        return f'  "{a}_{b}": {rng.randint(0, 10**6)},'
    if suffix == ".tf":
        return rng.choice((f'  {a}_{b} = "{a}-{rng.randint(1, 99)}"', f'resource "azurerm_{a}" "{b}" {{', "}"))
    if suffix == ".md":
        return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(8, 16))).capitalize() + "."
    if suffix == ".env":
        return f"{a.upper()}_{b.upper()}={rng.randint(0, 9999)}"
    return rng.choice((f"  {a}: {b}-{rng.randint(1, 99)}", f"  {a}_{b}: {rng.randint(0, 999)}", f"{a}:",
                       f"    - name: {a}-{b}"))


def build_corpus(root: Path, files: int, plants: int, seed: int) -> dict[str, list[tuple[int, int, str, bool]]]:
    """Write the corpus; returns path -> [(first line, last line, kind, is a secret)]."""
    rng = random.Random(seed)
    truth: dict[str, list[tuple[int, int, str, bool]]] = {}
    planted_in = [rng.randrange(files) for _ in range(plants)]
    per_file: dict[int, list[Plant]] = {}
    for n, index in enumerate(planted_in):
        makers = real_secrets(rng, n) if n % 2 == 0 else look_alikes(rng, n)
        per_file.setdefault(index, []).append(makers[(n // 2) % len(makers)]())
    for index in range(files):
        suffix = _SUFFIXES[index % len(_SUFFIXES)]
        relative = f"svc{index // 100:02d}/file{index:05d}{suffix}"
        lines = [_filler_line(rng, suffix) for _ in range(rng.randint(40, 160))]
        records = []
        for plant in per_file.get(index, []):
            at = rng.randint(0, len(lines))
            lines[at:at] = plant.lines
            records = [(s + len(plant.lines) if s > at else s, e + len(plant.lines) if s > at else e, k, x)
                       for s, e, k, x in records]
            records.append((at + 1, at + len(plant.lines), plant.kind, plant.secret))
        if records:
            truth[relative] = records
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return truth


def scan_directory(root: Path) -> list[tuple[str, int]]:
    """pytest-readiness's scanner over every file under `root`: (path, line) of each finding."""
    from pytest_readiness.secrets import scan_text

    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file():
            relative = path.relative_to(root).as_posix()
            found += [(relative, f.line) for f in scan_text(path.read_text(encoding="utf-8"), relative)]
    return found


def detect_secrets(cache: Path) -> Path:
    venv = cache / "detect-secrets-1.5"
    exe = venv / "bin" / "detect-secrets"
    if not exe.exists():
        print(f"installing detect-secrets {DETECT_SECRETS_VERSION} into {venv} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", f"detect-secrets=={DETECT_SECRETS_VERSION}"],
                       check=True)
    return exe


def score(found: list[tuple[str, int]], truth: dict[str, list[tuple[int, int, str, bool]]]) -> dict[str, object]:
    hits = set(found)
    planted = [(path, s, e, kind) for path, records in truth.items() for s, e, kind, real in records if real]
    recalled = [p for p in planted if any((p[0], line) in hits for line in range(p[1], p[2] + 1))]
    real_lines = {(path, line) for path, s, e, _ in planted for line in range(s, e + 1)}
    false = sorted(hits - real_lines)
    kinds = {(path, line): kind for path, records in truth.items() for s, e, kind, real in records if not real
             for line in range(s, e + 1)}
    missed: dict[str, int] = {}
    for p in planted:
        if p not in recalled:
            missed[p[3]] = missed.get(p[3], 0) + 1
    flagged: dict[str, int] = {}
    for hit in false:
        kind = kinds.get(hit, "filler")
        flagged[kind] = flagged.get(kind, 0) + 1
    return {"planted": len(planted), "recalled": len(recalled), "recall": len(recalled) / len(planted),
            "false_positives": len(false), "missed_by_kind": missed, "false_positives_by_kind": flagged}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=1500)
    parser.add_argument("--plants", type=int, default=600, help="planted values, half secrets, half look-alikes")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--scan", type=Path, help=argparse.SUPPRESS)  # child mode: scan a directory, print JSON
    args = parser.parse_args()
    if args.scan:
        print(json.dumps(scan_directory(args.scan)))
        return

    exe = detect_secrets(args.cache)
    with tempfile.TemporaryDirectory(prefix="secrets-corpus-") as tmp:
        root = Path(tmp) / "corpus"
        truth = build_corpus(root, args.files, args.plants, args.seed)
        size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
        texts = [(p.relative_to(root).as_posix(), p.read_text(encoding="utf-8"))
                 for p in sorted(root.rglob("*")) if p.is_file()]

        from pytest_readiness.secrets import scan_text

        scan_only = []
        for _ in range(args.repeat):
            start = time.process_time()
            for relative, text in texts:
                scan_text(text, relative)
            scan_only.append(time.process_time() - start)

        ours_cmd = [sys.executable, __file__, "--scan", str(root)]
        theirs_cmd = [str(exe), "scan", "--all-files", "-n", "."]
        theirs_env = {**user_env(), **OFFLINE}
        cpu: dict[str, list[float]] = {"pytest-readiness": [], "detect-secrets": []}
        outputs: dict[str, str] = {}
        for _ in range(args.repeat):
            tools = (("pytest-readiness", ours_cmd, None), ("detect-secrets", theirs_cmd, theirs_env))
            for name, command, env in tools:
                with tempfile.NamedTemporaryFile("w+", suffix=".json") as out:
                    m = measure(["sh", "-c", '"$@" > "$0"', out.name, *command], root, env)
                    if m.returncode != 0:
                        raise SystemExit(f"{name} failed: {m.tail}")
                    cpu[name].append(m.cpu)
                    outputs[name] = Path(out.name).read_text()

    ours = [(p, line) for p, line in json.loads(outputs["pytest-readiness"])]
    baseline = json.loads(outputs["detect-secrets"])
    theirs = [(path, r["line_number"]) for path, results in baseline["results"].items() for r in results]
    mb = size / 1e6
    print(f"corpus: {len(texts)} files, {mb:.1f} MB, {sum(len(r) for r in truth.values())} plants; "
          f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; medians of {args.repeat}")
    print("| tool | CPU s (process) | MB/s per CPU s | recall | false positives |")
    print("|---|---:|---:|---:|---:|")
    scores = {"pytest-readiness": score(ours, truth), "detect-secrets": score(theirs, truth)}
    for name in cpu:
        s = scores[name]
        seconds = statistics.median(cpu[name])
        print(f"| {name} | {seconds:.2f} | {mb / seconds:.2f} | {s['recalled']}/{s['planted']} ({s['recall']:.0%}) "
              f"| {s['false_positives']} |")
    only = statistics.median(scan_only)
    ratio = statistics.median(cpu["detect-secrets"]) / statistics.median(cpu["pytest-readiness"])
    print(f"pytest-readiness scan only (texts in memory): {only:.2f}s CPU, {mb / only:.1f} MB/s; "
          f"whole process {ratio:.1f}x less CPU than detect-secrets")
    for name, s in scores.items():
        missed, flagged = s["missed_by_kind"] or "none", s["false_positives_by_kind"] or "none"
        print(f"{name}: missed {missed}; false positives {flagged}")


if __name__ == "__main__":
    main()
