"""How the Azure source scales: requests and time to read a subscription of 10 and 200 resources from the
loopback ARM emulator with the real azure-mgmt clients and AzureCliCredential (a stub `az`), then a
`pytest --readiness -m azure` run over the same subscription. Prints figures; asserts nothing.

    python benchmarks/azure_requests.py                  # 10 and 200 resources
    python benchmarks/azure_requests.py --sizes 10 50 1000 --page-size 100
"""

from __future__ import annotations

import argparse
import copy
import importlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import trustme  # noqa: E402

from pytest_readiness.sources.azure.arm import CLIENTS, ArmTarget, read_subscription  # noqa: E402
from tests.emulators import arm_resources as res  # noqa: E402
from tests.emulators.arm_api import ArmEmulator, clean_env  # noqa: E402

MAIN = (res.redis_cache, res.storage_account, res.key_vault, res.openai_account)


def subscription_of(size: int) -> list[dict[str, Any]]:
    """The agent stack, grown to `size` resources with more caches, accounts, vaults and their diagnostics."""
    stack = res.agent_stack()
    index = 0
    while len(stack) < size:
        build = MAIN[index % len(MAIN)]
        body = build(f"bench{index:04d}"[:24])
        stack.append(body)
        if len(stack) < size:
            stack.append(res.diagnostic_setting(body["id"]))
        index += 1
    return [copy.deepcopy(b) for b in stack[:size]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 200])
    parser.add_argument("--page-size", type=int, default=100, help="items per ARM list page (ARM's own varies)")
    parser.add_argument("--no-pytest", action="store_true", help="measure the read alone")
    args = parser.parse_args()
    ca = trustme.CA()
    with tempfile.TemporaryDirectory() as tmp:
        ca_file = Path(tmp) / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        for module in ("azure.identity", *(m for m, _ in CLIENTS.values())):  # import time is not read time
            importlib.import_module(module)
        print(f"{'resources':>9} {'requests':>8} {'read s':>7} {'pytest s':>8}  requests per collection")
        for size in args.sizes:
            with ArmEmulator(ca, page_size=args.page_size) as arm:
                arm.add_many(subscription_of(size))
                stub = arm.write_az_stub(Path(tmp) / f"bin{size}")
                os.environ["PATH"] = f"{stub}:{clean_env()['PATH']}"
                started = time.perf_counter()
                _, stats = read_subscription(ArmTarget(res.SUB, credential="cli", endpoint=arm.url,
                                                       ca_bundle=str(ca_file)))
                read_seconds = time.perf_counter() - started
                run_seconds = float("nan")
                if not args.no_pytest:
                    project = Path(tmp) / f"project{size}"
                    project.mkdir()
                    started = time.perf_counter()
                    subprocess.run([sys.executable, "-m", "pytest", "--readiness", "-m", "azure", "-q",
                                    "-p", "no:cacheprovider", f"--readiness-azure-subscription={res.SUB}",
                                    "--readiness-azure-credential=cli", f"--readiness-azure-arm-endpoint={arm.url}",
                                    f"--readiness-ca-bundle={ca_file}"], cwd=project, capture_output=True,
                                   check=False, env=dict(os.environ))
                    run_seconds = time.perf_counter() - started
                per_type = ", ".join(f"{k.split('/', 1)[-1]}={v}" for k, v in stats.requests.items())
                print(f"{size:>9} {stats.total:>8} {read_seconds:>7.2f} {run_seconds:>8.2f}  {per_type}")


if __name__ == "__main__":
    main()
