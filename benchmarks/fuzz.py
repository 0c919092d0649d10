"""Fuzz the readers with thousands of hostile variants and print a summary.

    python benchmarks/fuzz.py [--variants 5000] [--runs 20] [--seed 1] [--bound 10]

Each variant is one input (a manifest with one field given a wrong type, null, a huge or deeply nested
value or an alias bomb; random YAML; agent TOML, readiness.toml and Dockerfile noise; FIFOs, /dev/zero
and oversized files) fed to the reader that owns it, in this process, under a time bound. An exception
other than the reader's own error (SourceError, a ParseProblem, a YAML error) counts as a traceback.
`--runs` full `pytest --readiness` runs on broken copies of the example project check that the run ends,
writes valid JSON, and never says ready after an error.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
GOOD = ROOT / "conftest_examples" / "agent-good"
DEPLOYMENT = "deployment/kubernetes/deployment.yaml"
sys.path.insert(0, str(ROOT))

from pytest_readiness.api import SourceError, Unverified  # noqa: E402
from pytest_readiness.sources import yaml_reader  # noqa: E402
from pytest_readiness.sources.kube import manifests  # noqa: E402
from pytest_readiness.sources.kube.model import workloads  # noqa: E402
from pytest_readiness.sources.manual import readiness_file  # noqa: E402
from pytest_readiness.sources.repo import agent_config, dockerfile  # noqa: E402


class Hang(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise Hang()


BASE = yaml.safe_load((GOOD / DEPLOYMENT).read_text(encoding="utf-8"))
CONFIG = (GOOD / "config/agent.toml").read_text(encoding="utf-8")
READINESS = (GOOD / "readiness.toml").read_text(encoding="utf-8")
DOCKERFILE = (GOOD / "deployment/Dockerfile").read_text(encoding="utf-8")


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


FIELDS = _paths(BASE)


def wrong_value(rng: random.Random) -> Any:
    choice = rng.randrange(12)
    return [
        None, rng.choice([True, False]), rng.randrange(-10**6, 10**6), float("nan"), float("inf"),
        "x" * rng.randrange(1, 300_000), [None, 1, "x"], {"A": "b"}, "8080",
        json.loads("[" * (d := rng.randrange(50, 900)) + "]" * d), 10 ** rng.randrange(100, 6000), "lots",
    ][choice]


def alias_bomb(rng: random.Random) -> str:
    width, depth = rng.randrange(5, 12), rng.randrange(4, 10)
    lines = ["x0: &x0 [lol, lol]"]
    lines += [f"x{i}: &x{i} [{', '.join([f'*x{i - 1}'] * width)}]" for i in range(1, depth)]
    return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n" + "\n".join("  " + line for line in lines)


def _set(body: Any, path: tuple[Any, ...], value: Any) -> Any:
    changed = json.loads(json.dumps(body))
    node = changed
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return changed


def _dump(body: Any) -> str:
    try:
        return yaml.safe_dump(body, sort_keys=False)
    except (RecursionError, ValueError):
        return "[" * 600 + "]" * 600


def _noise(rng: random.Random) -> str:
    return rng.choice([
        "".join(rng.choice("ab:-[]{}&*!|>'\"#\n ,?%@`0.9\\\t~") for _ in range(rng.randrange(1, 200))),
        "x = " + "[" * 1000 + "]" * 1000, "y = " + "9" * 5000, "[" + ".".join(f"t{i}" for i in range(1000)) + "]",
        "\udcff", "= =", "[[agent]]", 'z = """', "\\", "FROM", "RUN " + "a" * 100_000,
    ])


def _insert(text: str, rng: random.Random) -> str:
    lines = text.splitlines()
    at = rng.randrange(len(lines) + 1)
    return "\n".join([*lines[:at], _noise(rng), *lines[at:]])


def _check_objects(objects: list[Any]) -> None:
    for workload in workloads(objects):
        for container in [*workload.init_containers, *workload.containers]:
            _ = (container.name, container.location, container.list_field("ports"), container.list_field("env"))


def variant(kind: str, rng: random.Random, work: Path) -> Callable[[], str]:
    """One input for one reader; the callable returns the outcome's kind."""
    if kind == "manifest-field":
        text = _dump(_set(BASE, rng.choice(FIELDS), wrong_value(rng)))
        return lambda: _manifest_outcome(text)
    if kind == "manifest-text":
        text = _insert(_dump(BASE), rng)
        return lambda: _manifest_outcome(text)
    if kind == "alias-bomb":
        text = alias_bomb(rng)
        return lambda: _manifest_outcome(text)
    if kind == "agent-toml":
        text = _insert(CONFIG, rng)
        return lambda: _source_outcome(lambda: agent_config.parse_toml(text, "config/agent.toml"))
    if kind == "dockerfile":
        text = _insert(DOCKERFILE, rng) if rng.random() < 0.7 else "\\\n" * rng.randrange(1, 50)
        return lambda: _source_outcome(lambda: dockerfile.parse(text, "deployment/Dockerfile"))
    if kind == "readiness-toml":
        path = work / "readiness.toml"
        text = _insert(READINESS, rng)

        def readiness() -> str:
            path.write_text(text, encoding="utf-8", errors="surrogateescape")
            loaded = readiness_file.load(work, "readiness.toml")
            assert all(p.location.path == "readiness.toml" for p in loaded.problems)
            return "problem" if loaded.problems else "ok"

        return readiness
    if kind == "ci-yaml":
        text = _insert("on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n", rng)
        return lambda: _yaml_outcome(text)
    if kind == "special-file":
        return lambda: _special_file(rng.choice(["fifo", "dev-zero", "huge", "directory"]), work)
    raise ValueError(kind)


def _manifest_outcome(text: str) -> str:
    objects, problems = manifests.parse_text(text, DEPLOYMENT)
    assert all(p.location.path == DEPLOYMENT for p in problems)
    _check_objects(objects)
    return "problem: " + problems[0].message.split(":")[0][:40] if problems else "ok"


def _source_outcome(load: Callable[[], Any]) -> str:
    try:
        load()
    except SourceError as error:
        return "source error: " + error.problem.split(":")[0][:40]
    return "ok"


def _yaml_outcome(text: str) -> str:
    try:
        yaml_reader.load_all(text)
    except yaml.YAMLError as error:
        return "yaml error: " + yaml_reader.problem_of(error)[1][:30]
    return "ok"


def _special_file(what: str, work: Path) -> str:
    root = work / "k8s"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir()
    target = root / "x.yaml"
    if what == "fifo":
        os.mkfifo(target)
    elif what == "dev-zero":
        target.symlink_to("/dev/zero")
    elif what == "directory":
        target.mkdir()
    else:
        with target.open("wb") as handle:
            handle.truncate(64 * 2**20)  # sparse: 64 MiB of zeros on no disk
    try:
        loaded = manifests.load(work, "k8s")
    except SourceError as error:
        return "source error: " + error.problem[:30]
    except Unverified:  # an empty directory
        return "unverified"
    return "problem: " + loaded.problems[0].message[:30] if loaded.problems else "ok"


KINDS = ("manifest-field", "manifest-text", "alias-bomb", "agent-toml", "dockerfile", "readiness-toml",
         "ci-yaml", "special-file")
WEIGHTS = (40, 15, 5, 12, 10, 8, 8, 2)


def run_variants(count: int, seed: int, bound: float) -> dict[str, Any]:
    rng = random.Random(seed)
    outcomes: Counter[str] = Counter()
    by_kind: Counter[str] = Counter()
    tracebacks: list[str] = []
    hangs: list[str] = []
    slowest: tuple[float, str] = (0.0, "")
    signal.signal(signal.SIGALRM, _alarm)
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        for number in range(count):
            kind = rng.choices(KINDS, WEIGHTS)[0]
            by_kind[kind] += 1
            probe = variant(kind, rng, work)
            started = time.perf_counter()
            signal.setitimer(signal.ITIMER_REAL, bound)
            try:
                outcomes[f"{kind}: {probe()}"] += 1
            except Hang:
                hangs.append(f"#{number} {kind}")
            except Exception as error:
                tracebacks.append(f"#{number} {kind}: {type(error).__name__}: {str(error)[:120]}")
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            elapsed = time.perf_counter() - started
            if elapsed > slowest[0]:
                slowest = (elapsed, f"#{number} {kind}")
    return {"variants": count, "by_kind": by_kind, "outcomes": outcomes, "tracebacks": tracebacks, "hangs": hangs,
            "slowest": slowest}


def full_runs(count: int, seed: int) -> dict[str, Any]:
    """`pytest --readiness` on broken copies of the example: exit status, JSON, and ready-after-error."""
    rng = random.Random(seed)
    bad: list[str] = []
    seconds: list[float] = []
    for number in range(count):
        with tempfile.TemporaryDirectory() as directory:
            project = Path(directory) / "project"
            shutil.copytree(GOOD, project, ignore=shutil.ignore_patterns("tests", "conftest.py", "__pycache__"))
            (project / DEPLOYMENT).write_text(_dump(_set(BASE, rng.choice(FIELDS), wrong_value(rng))),
                                              encoding="utf-8")
            started = time.perf_counter()
            try:
                done = subprocess.run([sys.executable, "-m", "pytest", "--readiness", "-q", "-p", "no:cacheprovider",
                                       "--readiness-json=report.json"], cwd=project, capture_output=True, text=True,
                                      timeout=300, env={**os.environ, "READINESS_TODAY": "2026-12-02"})
            except subprocess.TimeoutExpired:
                bad.append(f"run #{number}: did not end within 300 s")
                continue
            seconds.append(time.perf_counter() - started)
            output = done.stdout + done.stderr
            if done.returncode not in (0, 1) or "INTERNALERROR" in output:
                bad.append(f"run #{number}: exit {done.returncode}")
            try:
                report = json.loads((project / "report.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                bad.append(f"run #{number}: no valid JSON report")
                continue
            if report["verdict"]["ready"] and any(r["status"] == "error" for r in report["results"]):
                bad.append(f"run #{number}: ready after an error")
    return {"runs": count, "bad": bad, "slowest": max(seconds, default=0.0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=0, help="full pytest --readiness runs (about 5 s each)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--bound", type=float, default=10.0, help="seconds one variant may take (else a hang)")
    args = parser.parse_args()

    started = time.perf_counter()
    summary = run_variants(args.variants, args.seed, args.bound)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"variants: {summary['variants']} in {time.perf_counter() - started:.0f} s (seed {args.seed}, "
          f"bound {args.bound:g} s per variant)")
    print("by kind:  " + ", ".join(f"{k} {n}" for k, n in sorted(summary["by_kind"].items())))
    print(f"tracebacks: {len(summary['tracebacks'])}")
    for line in summary["tracebacks"][:20]:
        print("  " + line)
    print(f"hangs past the bound: {len(summary['hangs'])}")
    for line in summary["hangs"][:20]:
        print("  " + line)
    print(f"slowest: {summary['slowest'][0]:.2f} s ({summary['slowest'][1]})")
    print(f"peak memory (max RSS): {peak:.0f} MiB")
    print("errors by kind (top 25):")
    for outcome, count in summary["outcomes"].most_common(25):
        print(f"  {count:6d}  {outcome}")
    if args.runs:
        runs = full_runs(args.runs, args.seed)
        print(f"full runs: {runs['runs']}, bad: {len(runs['bad'])}, slowest {runs['slowest']:.1f} s")
        for line in runs["bad"]:
            print("  " + line)


if __name__ == "__main__":
    main()
