"""An Azure subscription for `pytest --readiness` runs: the loopback ARM emulator over HTTPS with a trustme CA,
a stub `az` on PATH for AzureCliCredential, and the agent's resources built from the official REST examples."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import trustme

from pytest_readiness.sources.azure.arm import ArmTarget, read_subscription
from tests.conftest import ReadinessRun
from tests.emulators import arm_resources as res
from tests.emulators.arm_api import ArmEmulator, clean_env

Obj = dict[str, Any]
PAGE_SIZE = 2  # every list of more than two resources is paged: nextLink is followed in every test


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "arm-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture(scope="session", autouse=True)
def azure_modules_loaded(ca: trustme.CA, ca_file: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Import the azure-mgmt clients once in this process: pytester drops modules first imported inside a run,
    and re-importing them costs seconds per run."""
    with ArmEmulator(ca) as arm, pytest.MonkeyPatch.context() as mp:
        arm.add_many(res.agent_stack())
        stub = arm.write_az_stub(tmp_path_factory.mktemp("warm-bin"))
        mp.setenv("PATH", f"{stub}:{clean_env()['PATH']}")
        read_subscription(ArmTarget(res.SUB, credential="cli", endpoint=arm.url, ca_bundle=str(ca_file)))


@pytest.fixture
def arm(ca: trustme.CA) -> Iterator[ArmEmulator]:
    with ArmEmulator(ca, page_size=PAGE_SIZE) as emulator:
        yield emulator


@pytest.fixture
def az_stub(arm: ArmEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stub `az` first on PATH, no other Azure sign-in in the environment."""
    for name in [k for k in clean_env.__globals__["os"].environ if k.startswith(("AZURE_", "IDENTITY_", "MSI_"))]:
        monkeypatch.delenv(name)
    stub = arm.write_az_stub(tmp_path / "az-bin")
    monkeypatch.setenv("PATH", f"{stub}:{clean_env()['PATH']}")
    return stub


def arm_args(arm: ArmEmulator, ca_file: Path, *extra: str) -> tuple[str, ...]:
    return (f"--readiness-azure-subscription={res.SUB}", "--readiness-azure-credential=cli",
            f"--readiness-azure-arm-endpoint={arm.url}", f"--readiness-ca-bundle={ca_file}", *extra)


RunAzure = Callable[..., ReadinessRun]


@pytest.fixture
def run_azure(run_readiness: Callable[..., ReadinessRun], arm: ArmEmulator, az_stub: Path,
              ca_file: Path) -> RunAzure:
    """`run_readiness` against the emulator holding `resources` (default: the healthy agent stack)."""

    def run(resources: list[Obj] | None = None, *args: str, files: Mapping[str, str] | None = None) -> ReadinessRun:
        arm.add_many(res.agent_stack() if resources is None else resources)
        return run_readiness(dict(files or {}), *arm_args(arm, ca_file), *args)

    return run
