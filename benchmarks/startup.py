"""What the plugin costs a pytest run that does not ask for it, measured in-process.

    python benchmarks/startup.py --repeat 31
    python benchmarks/startup.py --repeat 31 --baseline /tmp/perf-base   # paired with another version
    python benchmarks/startup.py --breakdown --repeat 15                  # where a static run's CPU goes

Each sample is a fresh interpreter (bytecode caching on, as in a user's shell) that imports pytest,
then times with CPU clocks what pytest does with the plugin in a run without --readiness: import
the entry point module (`pytest_readiness.plugin`, which imports the package first), its
`pytest_addhooks` and its `pytest_addoption`. With --baseline, each repeat runs the baseline
(its package first on PYTHONPATH) right after the current version, and the ratio column is the
median of the per-repeat ratios. It also prints which pytest_readiness modules the import loaded.

--breakdown measures whole processes instead (CPU of the process and its children, os.wait4), each
step back to back in every repeat: the interpreter, pytest on an empty folder with and without the
plugins installed beside it, and the static run of the example repository with pytest's own
end-of-run garbage collections and this package's parts switched off one at a time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate_repo

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


def process_cpu(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    """CPU seconds (user + sys) of a process and the children it waited for."""
    with tempfile.TemporaryFile() as out:
        child = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        while True:
            pid, _, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                return usage.ru_utime + usage.ru_stime
            time.sleep(0.005)


def breakdown(repeat: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="readiness-startup-"))
    repo = work / "example"
    generate_repo.generate(repo, 1, 0)
    empty = work / "empty"
    empty.mkdir()
    py = [sys.executable]
    pytest = [*py, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    steps = {
        "python -c pass": ([*py, "-c", "pass"], empty),
        "python -c 'import pytest'": ([*py, "-c", "import pytest"], empty),
        "pytest, empty folder, -p no:readiness -p no:html": ([*pytest, "-p", "no:readiness", "-p", "no:html"], empty),
        "pytest, empty folder, -p no:readiness": ([*pytest, "-p", "no:readiness"], empty),
        "pytest, empty folder (plugin installed)": (pytest, empty),
        "pytest --readiness, example repo": ([*pytest, "--readiness"], repo),
        "  the same, -p no:unraisableexception": ([*pytest, "--readiness", "-p", "no:unraisableexception"], repo),
        "  the same, --co (collection only)": ([*pytest, "--readiness", "--co"], repo),
    }
    env = user_env()
    for command, cwd in steps.values():  # warm-up: bytecode and assertion-rewrite caches
        process_cpu(command, cwd, env)
    cpu: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(repeat):
        for name, (command, cwd) in steps.items():
            cpu[name].append(process_cpu(command, cwd, env))
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
          f"CPU s of the whole process, medians of {repeat} back-to-back repeats")
    print("| step | CPU s |\n|---|---:|")
    for name, values in cpu.items():
        print(f"| {name} | {statistics.median(values):.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--baseline", type=Path, help="a directory holding another version's pytest_readiness")
    parser.add_argument("--breakdown", action="store_true", help="whole-process CPU of the steps of a static run")
    args = parser.parse_args()
    if args.breakdown:
        breakdown(args.repeat)
        return

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
