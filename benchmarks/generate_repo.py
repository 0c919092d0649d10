"""Generate a deployment repository in the template's layout, at fleet scale, for the benchmarks.

    python benchmarks/generate_repo.py OUT --workloads 500 --files 20000

The result is `conftest_examples/agent-good` (config/agent.toml, deployment/Dockerfile, CI workflows,
docs, a conftest.py and pytest.ini) plus:
- N workloads in total, each a Deployment, Service, PodDisruptionBudget and HorizontalPodAutoscaler
  (the example's own is the first; the others live in deployment/kubernetes/workloads/<name>/), written
  from the example's manifests with their own names, replicas, resources and image tags;
- filler files (Python modules, Markdown docs, JSON fixtures, small YAML configs) of the sizes a
  service repo holds, until git tracks M files in all.
The tree is `git init` + `git add`ed, so "files git would track" holds. The same arguments give the
same bytes: every choice comes from `random.Random(seed)`.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import subprocess
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent.parent / "conftest_examples" / "agent-good"
MANIFESTS = EXAMPLE / "deployment" / "kubernetes"
WORKLOAD_KINDS = ("deployment", "service", "pdb", "hpa")
BASE_NAME = "msft-agent"
# `msft-agent` as the object's own name or label, not a prefix of the shared ConfigMap, Secret or SecretProviderClass.
_OWN_NAME = re.compile(rf"{BASE_NAME}(?![-\w])")
_SHARED_LINE = re.compile(r"^\s*(namespace|serviceAccountName):")
_TEAMS = ("search", "billing", "claims", "triage", "intake", "ledger", "catalog", "routing", "support", "risk")
_WORDS = ("request", "session", "token", "answer", "document", "index", "prompt", "cache", "tenant", "policy",
          "retry", "budget", "window", "chunk", "score", "vector", "batch", "quota", "trace", "metric")


def workload_name(index: int) -> str:
    return BASE_NAME if index == 0 else f"{_TEAMS[index % len(_TEAMS)]}-agent-{index:04d}"


def _renamed(text: str, name: str) -> str:
    return "\n".join(line if _SHARED_LINE.match(line) else _OWN_NAME.sub(name, line)
                     for line in text.splitlines()) + "\n"


def workload_manifests(index: int, rng: random.Random) -> dict[str, str]:
    """The four manifests of workload `index`, file name -> YAML text."""
    name = workload_name(index)
    cpu_request = rng.choice(("250m", "500m", "1"))
    memory_request = rng.choice(("512Mi", "1Gi", "2Gi"))
    texts: dict[str, str] = {}
    for kind in WORKLOAD_KINDS:
        text = _renamed((MANIFESTS / f"{kind}.yaml").read_text(encoding="utf-8"), name)
        if kind == "deployment":
            version = f"1.{rng.randint(0, 9)}.{rng.randint(0, 30)}"
            text = (text.replace("replicas: 3", f"replicas: {rng.choice((2, 3, 4, 6))}")
                    .replace('"1.4.2"', f'"{version}"').replace(":1.4.2", f":{version}")
                    .replace('cpu: "500m"', f'cpu: "{cpu_request}"')
                    .replace('memory: "1Gi"', f'memory: "{memory_request}"'))
        elif kind == "hpa":
            text = text.replace("maxReplicas: 10", f"maxReplicas: {rng.choice((6, 10, 20))}")
        texts[f"{kind}.yaml"] = text
    return texts


def _python_module(rng: random.Random, index: int) -> str:
    functions = []
    for n in range(rng.randint(4, 12)):
        a, b = rng.sample(_WORDS, 2)
        functions.append(
            f"def {a}_{b}_{n}({a}: dict[str, int], {b}: int = {rng.randint(1, 99)}) -> int:\n"
            f'    """Combine the {a} counts with the {b} limit."""\n'
            f"    total = sum(v for k, v in {a}.items() if not k.startswith('_'))\n"
            f"    if total > {b}:\n"
            f"        return total - {b}\n"
            f"    return min(total, {rng.randint(100, 999)})\n"
        )
    return f'"""Module {index}: helpers for the agent."""\n\nfrom __future__ import annotations\n\n\n' + \
        "\n\n".join(functions)


def _markdown(rng: random.Random, index: int) -> str:
    paragraphs = [" ".join(rng.choice(_WORDS) for _ in range(rng.randint(40, 90))).capitalize() + "."
                  for _ in range(rng.randint(3, 8))]
    return f"# Note {index}\n\n" + "\n\n".join(paragraphs) + "\n"


def _json(rng: random.Random, index: int) -> str:
    rows = [{"id": f"{index}-{n}", "kind": rng.choice(_WORDS), "weight": rng.randint(1, 100)}
            for n in range(rng.randint(5, 30))]
    return json.dumps({"fixture": index, "rows": rows}, indent=2) + "\n"


def _yaml_config(rng: random.Random, index: int) -> str:
    lines = [f"# settings for module {index}", "settings:"]
    lines += [f"  {rng.choice(_WORDS)}_{n}: {rng.randint(0, 1000)}" for n in range(rng.randint(5, 25))]
    return "\n".join(lines) + "\n"


_FILLERS = (  # path pattern, writer, weight
    ("src/agent/mod{group:03d}/m{index:05d}.py", _python_module, 5),
    ("docs/notes/n{group:03d}/note{index:05d}.md", _markdown, 2),
    ("tests/fixtures/f{group:03d}/case{index:05d}.json", _json, 2),
    ("config/modules/c{group:03d}/settings{index:05d}.yaml", _yaml_config, 1),
)


def _filler(rng: random.Random, index: int) -> tuple[str, str]:
    pattern, writer, _ = rng.choices(_FILLERS, weights=[w for *_, w in _FILLERS])[0]
    return pattern.format(group=index // 200, index=index), writer(rng, index)


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def generate(out: Path, workloads: int, files: int, seed: int = 15) -> dict[str, int]:
    """Write the repository to `out` (replaced if present); returns counts of what it holds."""
    rng = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(EXAMPLE, out, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    for index in range(1, workloads):
        directory = out / "deployment" / "kubernetes" / "workloads" / workload_name(index)
        directory.mkdir(parents=True)
        for file_name, text in workload_manifests(index, rng).items():
            (directory / file_name).write_text(text, encoding="utf-8")
    _git(out, "init", "-q")
    present = sum(1 for p in out.rglob("*") if p.is_file() and ".git" not in p.relative_to(out).parts)
    for index in range(max(0, files - present)):
        relative, text = _filler(rng, index)
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    _git(out, "add", "-A")
    listed = subprocess.run(["git", "-C", str(out), "ls-files"], check=True, capture_output=True, text=True)
    tracked = len(listed.stdout.splitlines())
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file() and ".git" not in p.relative_to(out).parts)
    return {"workloads": workloads, "tracked_files": tracked, "bytes": size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--workloads", type=int, default=50)
    parser.add_argument("--files", type=int, default=2000, help="tracked files in all (filler added to reach it)")
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    print(json.dumps(generate(args.out, args.workloads, args.files, args.seed)))


if __name__ == "__main__":
    main()
