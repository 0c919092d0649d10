"""The case folders: `tests/cases/<CHECK-ID>/<outcome>-<name>/`, each the smallest input giving one outcome.

A case folder holds the files of a deployment repo as they are laid out on disk, and optionally:

- `@@FAKE_STORAGE_KEY@@`, `@@FAKE_CLIENT_SECRET@@`, `@@FAKE_PASSWORD@@` in a file: a fresh fake secret;
- `expected.txt`: lines that must each appear in the check's report (its failure or skip message; for a
  passing case, the evidence its JUnit properties carry); a line starting with `!` must not appear;
- `case.toml`: `args` (extra command-line arguments, e.g. `["--readiness-strict"]`), `target` (the one
  result the case is about, when the check yields one per object), `git = true` (the project is a git work
  tree, `git init` before the files are written, so its `.gitignore` decides what the repo source lists) and
  `[shared]`, a table of repo path -> a file in `tests/cases/_shared/` copied there (material several cases use);
- `cluster.yaml`: live objects (with status) the loopback Kubernetes API emulator serves for the run, after
  the shared snapshot files case.toml lists in `cluster = [...]`; such a case runs with
  `--readiness-kubeconfig` pointing at the emulator. `@@AGO:<minutes>@@` in a snapshot is the UTC time that
  long before the run (restarts are judged against the real clock); `pod-logs/<pod>/<container>.log` is a
  container's log; `deny = ["get pods/log", "list events"]` in case.toml makes the emulator answer those
  requests 403, as RBAC would.
- live checks: `[service]` in case.toml starts the reference service (conftest_examples/reference_service)
  with the agent config `service.toml` (`https`, `users`: env vars each set to a fresh user's token, `keys`:
  env vars set to the service's API key, `warm`: [misses, hits] of questions asked first); `stub.toml`
  serves fixed routes from a stub HTTP server instead (`["GET /path"] status, type, body`, `headers` = a
  table of extra response headers, with `after`/`then_status`/`then_body` for an answer that changes;
  `stub_scheme = "https"` in case.toml gives the run an https:// URL to the plain-HTTP stub);
  `[redis]` starts redis-server (`args`, `tls`, `password_env`, `lookups`: [hits, misses]). The run gets
  --readiness-url / --readiness-redis-url (and the CA bundle) and generous time limits.
- `azure.json` (or `azure.yaml`): the Azure resources (ARM REST bodies) the loopback ARM emulator serves for the
  run, after the shared sets case.toml lists in `azure = [...]` (a body with the same id replaces one);
  `azure_remove` (ids left out), `azure_deny` (actions answered 403), `azure_signed_in = false`,
  `azure_resource_groups`; the run gets the subscription, the emulator as --readiness-azure-arm-endpoint, its
  CA bundle and a stub `az` for --readiness-azure-credential=cli (tests/case_azure.py). IaC cases (Terraform,
  Bicep with its compiled main.json, ARM templates) are repo files and need no emulator.
- image checks: `image.toml` describes an image (config, history, layers: files, modes, symlinks, whiteouts,
  compression; layer folders under `image/`), built at run time as a real docker-save archive, OCI archive
  or OCI layout in the project and passed as --readiness-image-archive (tests/case_image.py has the format);
  a repo file (a Trivy report, a manifest) may name the image built (`@@IMAGE_ID@@`, `@@MANIFEST_DIGEST@@`,
  `@@DIFF_ID:<n>@@`) and the clock (`@@AGO:<minutes>@@`, `@@DATE:<days>@@`).

The outcome prefix is one of pass, fail, unverified, na (not applicable) or error. `benchmarks/mutants.py`
runs a check's cases against mutants of its function; `READINESS_CASES=<ID>[,<ID>...]` limits the driver.
"""

from __future__ import annotations

import ast
import base64
import os
import random
import string
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pytest_readiness.catalog import load_catalog

CASES = Path(__file__).resolve().parent / "cases"
SHARED = CASES / "_shared"
CHECKLIST = Path(__file__).resolve().parent.parent / "pytest_readiness" / "checklist"
OUTCOMES = {"pass": "passed", "fail": "failed", "unverified": "unverified", "na": "not_applicable",
            "error": "error"}
META_FILES = frozenset({"expected.txt", "case.toml", "cluster.yaml", "service.toml", "stub.toml", "azure.json",
                        "azure.yaml", "azure.yml"})
IMAGE_FILES = frozenset({"image.toml", "image"})  # the image a case builds (tests/case_image.py)
POD_LOGS = "pod-logs"  # pod-logs/<pod>/<container>.log: what the emulator serves as that container's log
_random = random.Random(20261202)
_ALNUM = string.ascii_letters + string.digits
# Secrets the scanner finds, made when the cases run, so the case folders hold none a scanner would flag.
FAKE_SECRETS = {
    "@@FAKE_STORAGE_KEY@@": base64.b64encode(_random.randbytes(64)).decode(),
    "@@FAKE_CLIENT_SECRET@@": "".join(_random.choices(_ALNUM, k=3)) + "8Q~" + "".join(_random.choices(_ALNUM, k=34)),
    "@@FAKE_PASSWORD@@": "".join(_random.choices(_ALNUM, k=28)),
}
NOT_CASED = frozenset({"manual"})  # manual: verified by attestation in readiness.toml (tests/verdicts)


@dataclass(frozen=True)
class Case:
    check_id: str
    folder: Path

    @property
    def name(self) -> str:
        return f"{self.check_id}/{self.folder.name}"

    @property
    def outcome(self) -> str:
        return OUTCOMES[self.folder.name.split("-", 1)[0]]

    @property
    def settings(self) -> dict[str, Any]:
        path = self.folder / "case.toml"
        return tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}

    @property
    def args(self) -> list[str]:
        return [str(a) for a in self.settings.get("args", [])]

    @property
    def target(self) -> str | None:
        """The one result the case is about (`Deployment/agent/migrate`), when the check yields several."""
        value = self.settings.get("target")
        return None if value is None else str(value)

    @property
    def expected(self) -> list[str]:
        path = self.folder / "expected.txt"
        if not path.exists():
            return []
        return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    @property
    def cluster(self) -> list[Path]:
        """The snapshot files the emulator serves: the shared ones named in case.toml, then the case's own
        cluster.yaml (an object in a later file replaces one of the same kind, namespace and name)."""
        shared = [SHARED / name for name in self.settings.get("cluster", [])]
        own = self.folder / "cluster.yaml"
        return shared + ([own] if own.exists() else [])

    def pod_logs(self) -> dict[tuple[str, str], str]:
        """(pod, container) -> log text."""
        root = self.folder / POD_LOGS
        return {(p.parent.name, p.stem): p.read_text(encoding="utf-8") for p in sorted(root.glob("*/*.log"))}

    def files(self) -> dict[str, str]:
        """The repo the case lays down: its own files plus the shared ones it names."""
        found = {p.relative_to(self.folder).as_posix(): p.read_text(encoding="utf-8")
                 for p in sorted(self.folder.rglob("*")) if p.is_file() and p.name not in META_FILES
                 and p.relative_to(self.folder).parts[0] != POD_LOGS and "__pycache__" not in p.parts
                 and p.relative_to(self.folder).parts[0] not in IMAGE_FILES}
        for relative, shared in self.settings.get("shared", {}).items():
            found[relative] = (SHARED / shared).read_text(encoding="utf-8")
        for token, value in FAKE_SECRETS.items():
            found = {path: text.replace(token, value) for path, text in found.items()}
        return found


def automated_check_ids() -> list[str]:
    return sorted(c.id for c in load_catalog().values() if c.verify not in NOT_CASED)


def check_functions() -> dict[str, tuple[Path, str]]:
    """CHECK-ID -> (checklist module, test function name), read from the `@check("ID")` decorators (the last
    one, where several functions check one id)."""
    return {check_id: found[-1] for check_id, found in all_check_functions().items()}


@cache
def all_check_functions() -> dict[str, list[tuple[Path, str]]]:
    """CHECK-ID -> every (checklist module, test function name) whose `@check("ID")` decorator names it."""
    found: dict[str, list[tuple[Path, str]]] = {}
    for module in sorted(CHECKLIST.glob("test_*.py")):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef):
                continue
            for decorator in node.decorator_list:
                if (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Name)
                        and decorator.func.id == "check" and decorator.args
                        and isinstance(decorator.args[0], ast.Constant)):
                    found.setdefault(str(decorator.args[0].value), []).append((module, node.name))
    return found


def discover(only: str | None = None) -> list[Case]:
    """Every case folder, or those of the checks named in `only` (comma-separated; default READINESS_CASES)."""
    wanted = {i for i in (only if only is not None else os.environ.get("READINESS_CASES", "")).split(",") if i}
    cases = []
    for check_dir in sorted(p for p in CASES.iterdir() if p.is_dir() and not p.name.startswith("_")):
        if wanted and check_dir.name not in wanted:
            continue
        cases += [Case(check_dir.name, folder) for folder in sorted(check_dir.iterdir()) if folder.is_dir()]
    return cases
