"""What the plugin costs a pytest run that does not ask for it, measured in-process.

    python benchmarks/startup.py --repeat 31
    python benchmarks/startup.py --repeat 31 --baseline /tmp/perf-base   # paired with another version

Each sample is a fresh interpreter (bytecode caching on, as in a user's shell) that imports pytest,
then times with CPU clocks what pytest does with the plugin in a run without --readiness: import
the entry point module (`pytest_readiness.plugin`, which imports the package first), its
`pytest_addhooks` and its `pytest_addoption`. With --baseline, each repeat runs the baseline
(its package first on PYTHONPATH) right after the current version, and the ratio column is the
median of the per-repeat ratios. It also prints which pytest_readiness modules the import loaded.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

SAMPLE = """
import json, sys, time
import pytest
from _pytest.config import PytestPluginManager
from _pytest.config.argparsing import Parser

clock = time.process_time_ns
start = clock()
import pytest_readiness.plugin as plugin
imported = clock()
plugin.pytest_addhooks(PytestPluginManager())
hooked = clock()
plugin.pytest_addoption(Parser(_ispytest=True))
added = clock()
print(json.dumps({
    "import_ms": (imported - start) / 1e6, "addhooks_ms": (hooked - imported) / 1e6,
    "addoption_ms": (added - hooked) / 1e6,
    "modules": sorted(m for m in sys.modules if m.startswith("pytest_readiness")),
}))
"""

FIGURES = ("import_ms", "addhooks_ms", "addoption_ms", "total_ms")


def user_env(pythonpath: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return env


def sample(env: dict[str, str]) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-c", SAMPLE], env=env, capture_output=True, text=True, check=True,
                         cwd=Path.home())
    figures: dict[str, object] = json.loads(out.stdout)
    figures["total_ms"] = sum(float(figures[k]) for k in FIGURES[:-1])  # type: ignore[arg-type]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--baseline", type=Path, help="a directory holding another version's pytest_readiness")
    args = parser.parse_args()

    variants = {"current": user_env()}
    if args.baseline is not None:
        variants["baseline"] = user_env(args.baseline)
    for env in variants.values():  # warm-up: writes the bytecode caches
        sample(env)
    runs: dict[str, list[dict[str, object]]] = {name: [] for name in variants}
    for _ in range(args.repeat):
        for name, env in variants.items():
            runs[name].append(sample(env))

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
          f"medians of {args.repeat} fresh interpreters, CPU ms")
    print("| version | " + " | ".join(FIGURES) + " | modules |")
    print("|---|" + "---:|" * (len(FIGURES) + 1))
    for name, samples in runs.items():
        medians = [statistics.median(float(s[f]) for s in samples) for f in FIGURES]  # type: ignore[arg-type]
        modules = len(samples[0]["modules"])  # type: ignore[arg-type]
        print(f"| {name} | " + " | ".join(f"{m:.2f}" for m in medians) + f" | {modules} |")
    if "baseline" in runs:
        ratios = [float(a["total_ms"]) / float(b["total_ms"])  # type: ignore[arg-type]
                  for a, b in zip(runs["current"], runs["baseline"], strict=True)]
        print(f"current / baseline, median of the paired ratios: {statistics.median(ratios):.3f}")
    print("modules loaded (current): " + " ".join(runs["current"][0]["modules"]))  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
