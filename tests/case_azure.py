"""Azure in the case folders: the subscription a case's `azure.json` (or `azure.yaml`) holds, served over HTTPS
by the loopback ARM emulator (tests/emulators/arm_api.py) to the real azure-mgmt clients, signed in through a
stub `az` (AzureCliCredential), so nothing probes 169.254.169.254 or leaves the machine.

case.toml keys: `azure = [...]` shared resource sets in tests/cases/_shared/ (served first; a body of the case's
own file replaces the one with the same id), `azure_remove` (ids left out), `azure_deny` (actions answered
403 AuthorizationFailed, e.g. `Microsoft.Cache/redis/read`), `azure_signed_in = false` (an `az` that asks for
`az login`), `azure_resource_groups` (--readiness-azure-resource-group). The run gets the options a user
passes: --readiness-azure-subscription, --readiness-azure-credential=cli, --readiness-azure-arm-endpoint and
--readiness-ca-bundle (the emulator's CA). A file holds a list of resource bodies, an ARM list page
(`{"value": [...]}`) or one body.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import trustme
import yaml

from tests.case_folders import SHARED, Case
from tests.emulators import arm_resources as res
from tests.emulators.arm_api import ArmEmulator, clean_env

Obj = dict[str, Any]
AZURE_FILES = ("azure.json", "azure.yaml", "azure.yml")
PAGE_SIZE = 2  # every list of more than two resources is paged: each case also follows nextLink
SIGN_IN_PREFIXES = ("AZURE_", "IDENTITY_", "MSI_", "IMDS_")


def resource_files(case: Case) -> list[Path]:
    shared = [SHARED / str(name) for name in case.settings.get("azure", [])]
    return shared + [case.folder / name for name in AZURE_FILES if (case.folder / name).exists()]


def uses_arm(case: Case) -> bool:
    return bool(resource_files(case)) or any(k.startswith("azure_") for k in case.settings)


def _bodies(path: Path) -> list[Obj]:
    text = path.read_text(encoding="utf-8")
    data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    if isinstance(data, dict):
        data = data.get("value", [data]) if "id" not in data else [data]
    assert isinstance(data, list) and all(isinstance(b, dict) and "id" in b for b in data), f"{path}: not ARM bodies"
    return data


def resources(case: Case) -> list[Obj]:
    """The resources the emulator serves for the case, by id (case-insensitive, as ARM ids are)."""
    found: dict[str, Obj] = {}
    for path in resource_files(case):
        found.update((str(body["id"]).lower(), body) for body in _bodies(path))
    for removed in case.settings.get("azure_remove", []):
        assert str(removed).lower() in found, f"{case.name}: azure_remove names {removed}, which is not served"
        del found[str(removed).lower()]
    return list(found.values())


@pytest.fixture(scope="session")
def arm_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def arm_ca_file(arm_ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("arm-ca") / "arm-ca.pem"
    arm_ca.cert_pem.write_to_path(str(path))
    return path


def _selected(session: pytest.Session) -> list[Case]:
    cases = []
    for item in session.items:
        callspec = getattr(item, "callspec", None)
        case = callspec.params.get("case") if callspec is not None else None
        listed = getattr(getattr(item, "module", None), "CASES", [])  # benchmarks/mutant_session.py's
        cases += [case] if isinstance(case, Case) else [c for c in listed if isinstance(c, Case)] \
            if isinstance(listed, list) else []
    return cases


@pytest.fixture(scope="session", autouse=True)
def azure_clients_loaded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The azure-mgmt clients imported once, before any pytester snapshot (pytester drops modules first imported
    inside a run; re-importing them costs seconds per run); only when a selected case reads ARM."""
    if not any(uses_arm(case) for case in _selected(request.session)):
        return
    from pytest_readiness.sources.azure.arm import ArmTarget, read_subscription

    ca, ca_file = request.getfixturevalue("arm_ca"), request.getfixturevalue("arm_ca_file")
    with ArmEmulator(ca) as arm, pytest.MonkeyPatch.context() as monkeypatch:
        arm.add_many(res.agent_stack())
        stub = arm.write_az_stub(tmp_path_factory.mktemp("arm-warm-bin"))
        monkeypatch.setenv("PATH", f"{stub}{os.pathsep}{clean_env()['PATH']}")
        read_subscription(ArmTarget(res.SUB, credential="cli", endpoint=arm.url, ca_bundle=str(ca_file)))


@pytest.fixture
def emulated_arm(arm_ca: trustme.CA, arm_ca_file: Path,
                 tmp_path: Path) -> Iterator[Callable[[Case, pytest.MonkeyPatch], list[str]]]:
    """Serves a case's subscription from a fresh emulator (one per call); the run's Azure arguments."""
    with ExitStack() as running:
        def serve(case: Case, monkeypatch: pytest.MonkeyPatch) -> list[str]:
            arm = running.enter_context(ArmEmulator(arm_ca, page_size=PAGE_SIZE, subscription=res.SUB))
            arm.add_many(resources(case))
            for action in case.settings.get("azure_deny", []):
                arm.deny(str(action))
            for name in [k for k in os.environ if k.startswith(SIGN_IN_PREFIXES)]:
                monkeypatch.delenv(name)
            stub = arm.write_az_stub(tmp_path / f"az-bin-{id(arm)}",
                                     logged_in=bool(case.settings.get("azure_signed_in", True)))
            monkeypatch.setenv("PATH", f"{stub}{os.pathsep}{clean_env()['PATH']}")
            groups = [f"--readiness-azure-resource-group={g}" for g in case.settings.get("azure_resource_groups", [])]
            return [f"--readiness-azure-subscription={res.SUB}", "--readiness-azure-credential=cli",
                    f"--readiness-azure-arm-endpoint={arm.url}", f"--readiness-ca-bundle={arm_ca_file}",
                    "--readiness-timeout=30", *groups]

        yield serve


def azure_args(case: Case, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Starts the ARM emulator when the case holds Azure resources; the run's arguments (none otherwise)."""
    if not uses_arm(case):
        return []
    serve: Callable[[Case, pytest.MonkeyPatch], list[str]] = request.getfixturevalue("emulated_arm")
    return serve(case, monkeypatch)
