"""pytest-readiness beside checkov 3.3.30 on the same repositories: wall, CPU and peak RSS.

    python benchmarks/run.py                                  # example repo, 50/2,000, 500/20,000
    python benchmarks/run.py --sizes example,50/2000 --repeat 5
    python benchmarks/run.py --sizes 1000/40000 --repeat 3 --xdist
    python benchmarks/run.py --plain-only                     # only the cost-when-not-asked pair

Each run is a child process measured with os.wait4: CPU is its user + sys time including the
children it waited for (git, helm, checkov's workers), RSS the peak of it and those children. The
machine is shared, so the figures that count are CPU times and the ratios of a pair measured
back to back in the same repeat; the table shows medians over the repeats.

checkov is installed by this script into its own virtual environment (under
~/.cache/pytest-readiness-bench, or --cache) and run offline: no API key, no downloads, no
version check. The repositories come from benchmarks/generate_repo.py (N workloads / M tracked files).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate_repo

CHECKOV_VERSION = "3.3.30"
DEFAULT_CACHE = Path.home() / ".cache" / "pytest-readiness-bench"
OFFLINE = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": "",
           "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9", "no_proxy": ""}
PLUGIN = [sys.executable, "-m", "pytest", "--readiness", "-p", "no:cacheprovider", "-q"]


@dataclass
class Measure:
    wall: float
    cpu: float
    rss_mib: float
    returncode: int
    tail: str


def user_env() -> dict[str, str]:
    """The environment a user's shell has: bytecode caching on (this machine sets PYTHONDONTWRITEBYTECODE,
    which would make every run recompile, and pytest re-rewrite, every module it imports)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def measure(command: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 3600) -> Measure:
    """Run `command` to completion; its wall time, CPU (user + sys, with waited-for children) and peak RSS."""
    env = env if env is not None else user_env()
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        child = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                child.kill()
            time.sleep(0.01)
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        tail = out.read().decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
    return Measure(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, child.returncode, tail[0][-160:])


def checkov(cache: Path) -> Path:
    """The checkov executable of its own virtual environment, installed on first use."""
    venv = cache / f"checkov-{CHECKOV_VERSION}"
    exe = venv / "bin" / "checkov"
    if not exe.exists():
        print(f"installing checkov {CHECKOV_VERSION} into {venv} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", f"checkov=={CHECKOV_VERSION}"], check=True)
    return exe


def checkov_env() -> dict[str, str]:
    """checkov offline: no platform key, no guideline mapping or module downloads, no PyPI update check,
    no GitHub/GitLab config fetch; a stray request goes to a closed loopback port and fails at once."""
    env = {k: v for k, v in user_env().items() if not k.startswith(("BC_", "PRISMA_"))}
    env.update({
        "BC_SKIP_MAPPING": "TRUE",
        "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",
        "CKV_GITHUB_CONFIG_FETCH_DATA": "false",
        "CKV_GITLAB_CONFIG_FETCH_DATA": "false",
        "CKV_VALIDATE_SECRETS": "false",
        "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
        "LOG_LEVEL": "ERROR",
        **OFFLINE,
    })
    return env


def checkov_command(exe: Path, repo: Path) -> list[str]:
    return [str(exe), "-d", str(repo), "--quiet", "--compact", "--skip-download", "--skip-results-upload",
            "--download-external-modules", "false", "-o", "cli"]


@dataclass
class Size:
    label: str
    workloads: int  # 1 for the example repo
    files: int  # 0: the example repo as it is

    @classmethod
    def parse(cls, text: str) -> Size:
        if text == "example":
            return cls("example", 1, 0)
        workloads, _, files = text.partition("/")
        return cls(f"{int(workloads)}/{int(files):,}", int(workloads), int(files))


def prepare(size: Size, work: Path) -> Path:
    out = work / size.label.replace("/", "-").replace(",", "")
    if size.files == 0:
        counts = generate_repo.generate(out, 1, 0)  # the example, copied and git-added as it is
    else:
        counts = generate_repo.generate(out, size.workloads, size.files)
    print(f"# {size.label}: {counts}", file=sys.stderr)
    return out


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan


@dataclass
class Row:
    size: str
    workloads: int
    tool: str
    wall: float
    cpu: float
    rss_mib: float
    runs: int
    ratio: float  # median over repeats of this tool's CPU / checkov's CPU in the same repeat
    note: str


def bench_size(size: Size, work: Path, repeat: int, exe: Path | None, xdist: bool, baseline: Path | None,
               warm_up: bool) -> list[Row]:
    repo = prepare(size, work)
    tools: dict[str, tuple[list[str], dict[str, str] | None]] = {"pytest-readiness": (PLUGIN, None)}
    if baseline is not None:  # another checkout's package first on sys.path, ahead of the installed one
        tools["pytest-readiness (baseline)"] = (PLUGIN, {**user_env(), "PYTHONPATH": str(baseline)})
    if xdist:
        tools["pytest-readiness -n 2"] = ([*PLUGIN, "-n", "2"], None)
        if baseline is not None:
            tools["pytest-readiness (baseline) -n 2"] = ([*PLUGIN, "-n", "2"], tools["pytest-readiness (baseline)"][1])
    if exe is not None:
        tools[f"checkov {CHECKOV_VERSION}"] = (checkov_command(exe, repo), checkov_env())
    results: dict[str, list[Measure]] = {name: [] for name in tools}
    for command, env in tools.values() if warm_up else ():  # not counted: fills bytecode and page caches
        measure(command, repo, env)
    for attempt in range(repeat):
        for name, (command, env) in tools.items():  # back to back, so a pair shares the machine's load
            m = measure(command, repo, env)
            results[name].append(m)
            print(f"  {size.label} #{attempt + 1} {name}: wall {m.wall:.2f}s cpu {m.cpu:.2f}s rss {m.rss_mib:.0f}MiB "
                  f"rc={m.returncode} | {m.tail}", file=sys.stderr)
    reference = results.get(f"checkov {CHECKOV_VERSION}")
    rows = []
    for name, ms in results.items():
        ratio = _median([a.cpu / b.cpu for a, b in zip(ms, reference, strict=True)]) if reference else math.nan
        rows.append(Row(size.label, size.workloads, name, _median([m.wall for m in ms]), _median([m.cpu for m in ms]),
                        _median([m.rss_mib for m in ms]), len(ms), ratio, ms[-1].tail))
    return rows


def plain_project(root: Path, tests: int) -> Path:
    """A project of `tests` plain unit tests in files of 10, nothing to do with readiness."""
    if root.exists():
        shutil.rmtree(root)
    (root / "tests").mkdir(parents=True)
    (root / "pytest.ini").write_text("[pytest]\ntestpaths = tests\n")
    for module in range(math.ceil(tests / 10)):
        body = "".join(
            f"def test_case_{n}():\n    values = [i * {n + 1} for i in range(50)]\n    assert sum(values) >= 0\n\n"
            for n in range(min(10, tests - module * 10))
        )
        (root / "tests" / f"test_module_{module:03d}.py").write_text(f"import math\n\n\n{body}")
    return root


def bench_plain(work: Path, repeat: int, tests: int) -> dict[str, float]:
    project = plain_project(work / "plain-project", tests)
    base = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    variants = {"with plugin": base, "-p no:readiness": [*base, "-p", "no:readiness"]}
    cpu: dict[str, list[float]] = {name: [] for name in variants}
    for command in variants.values():  # warm-up
        measure(command, project)
    for _ in range(repeat):
        for name, command in variants.items():
            m = measure(command, project)
            if m.returncode != 0:
                raise SystemExit(f"plain project failed ({name}): {m.tail}")
            cpu[name].append(m.cpu)
    ratios = [a / b for a, b in zip(cpu["with plugin"], cpu["-p no:readiness"], strict=True)]
    return {"tests": tests, "repeats": repeat, "cpu_with_plugin": _median(cpu["with plugin"]),
            "cpu_without": _median(cpu["-p no:readiness"]), "overhead_pct": (_median(ratios) - 1) * 100}


def growth(rows: list[Row]) -> dict[str, list[str]]:
    """Per tool, CPU growth per 10x of workloads between consecutive generated sizes."""
    out: dict[str, list[str]] = {}
    by_tool: dict[str, list[Row]] = {}
    for row in rows:
        if row.size != "example":
            by_tool.setdefault(row.tool, []).append(row)
    for tool, tool_rows in by_tool.items():
        for a, b in itertools.pairwise(tool_rows):
            factor = (b.cpu / a.cpu) ** (1 / math.log10(b.workloads / a.workloads))
            out.setdefault(tool, []).append(f"{a.size} -> {b.size}: x{b.cpu / a.cpu:.2f} CPU (x{factor:.2f} per 10x)")
    return out


def table(rows: list[Row]) -> str:
    lines = ["| size (workloads/files) | tool | wall s | CPU s | peak RSS MiB | CPU / checkov | runs |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        ratio = "" if math.isnan(r.ratio) or r.tool.startswith("checkov") else f"{r.ratio:.3f}"
        lines.append(f"| {r.size} | {r.tool} | {r.wall:.2f} | {r.cpu:.2f} | {r.rss_mib:.0f} | {ratio} | {r.runs} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="example,50/2000,500/20000",
                        help="comma-separated: 'example' or WORKLOADS/FILES (add 1000/40000 when time allows)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", type=Path, help="where the repositories are generated (default: a temp dir)")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where checkov's venv lives")
    parser.add_argument("--no-checkov", action="store_true")
    parser.add_argument("--xdist", action="store_true", help="also run the plugin with -n 2")
    parser.add_argument("--baseline", type=Path,
                        help="a directory holding another version's pytest_readiness package, run beside this one "
                             "(e.g. from `git archive <rev> pytest_readiness | tar -x -C DIR`)")
    parser.add_argument("--warm-up", choices=("first", "every", "none"), default="first",
                        help="an uncounted run of each tool before the first size, before every size, or never")
    parser.add_argument("--plain-tests", type=int, default=500)
    parser.add_argument("--plain-repeat", type=int, default=10, help="0: skip the plain pair")
    parser.add_argument("--plain-only", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    work = args.work or Path(tempfile.mkdtemp(prefix="readiness-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    exe = None if args.no_checkov or args.plain_only else checkov(args.cache)
    rows: list[Row] = []
    if not args.plain_only:
        for n, text in enumerate(args.sizes.split(",")):
            warm_up = args.warm_up == "every" or (args.warm_up == "first" and n == 0)
            rows.extend(bench_size(Size.parse(text.strip()), work, args.repeat, exe, args.xdist, args.baseline,
                                   warm_up))
    plain = bench_plain(work, args.plain_repeat, args.plain_tests) if args.plain_repeat else None

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    if rows:
        print(table(rows))
        for tool, steps in growth(rows).items():
            print(f"growth, {tool}: " + "; ".join(steps))
    if plain:
        print(f"plain pytest, {plain['tests']} tests, median of {plain['repeats']}: {plain['cpu_with_plugin']:.3f}s "
              f"CPU with the plugin installed, {plain['cpu_without']:.3f}s with -p no:readiness "
              f"({plain['overhead_pct']:+.1f} % CPU, median of the paired ratios)")
    if args.json:
        args.json.write_text(json.dumps({"rows": [asdict(r) for r in rows], "plain": plain}, indent=2))


if __name__ == "__main__":
    main()
