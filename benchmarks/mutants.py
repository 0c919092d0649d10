"""Mutation check: does each check's case folder catch a broken branch of its function?

For one check function (found by its `@check("ID")` decorator) the mutants are: always pass (the body
becomes `evidence.add(...)` then `return`), each `if` condition forced True and forced False, and each
`assert` removed. Each mutant is written into a copy of the package, and that check's cases
(tests/cases/<ID>/) run against it in one pytest process; a mutant is killed when a case's outcome or
expected message changes. Survivors are listed with the reason they are equivalent when
benchmarks/equivalent_mutants.toml records one; an unexplained survivor makes the exit status 1.

    python benchmarks/mutants.py SEC-NON-ROOT            # one check, while writing it
    python benchmarks/mutants.py SEC-NON-ROOT REL-PDB    # several
    python benchmarks/mutants.py --all                   # every check with cases (long: tens of minutes)
    python benchmarks/mutants.py --list SEC-NON-ROOT     # the mutants, without running them
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.case_folders import check_functions, discover  # noqa: E402

EQUIVALENT = Path(__file__).with_name("equivalent_mutants.toml")
SESSION = Path(__file__).with_name("mutant_session.py")


@dataclass(frozen=True)
class Mutant:
    index: int
    kind: str  # always-pass, if-true, if-false, assert-removed
    line: int
    code: str  # the condition or assertion, as written

    @property
    def key(self) -> str:
        """Stable across edits elsewhere in the module: kind and source text, not the line."""
        return f"{self.kind}: {self.code}"

    def __str__(self) -> str:
        return f"line {self.line} {self.kind}" + (f" `{self.code}`" if self.code else "")


def _function(tree: ast.Module, name: str) -> ast.FunctionDef:
    return next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)


def _own_nodes(function: ast.FunctionDef) -> list[ast.AST]:
    """The function's statements and expressions in source order, nested functions left out."""
    found: list[ast.AST] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
                continue
            found.append(child)
            visit(child)

    visit(function)
    return found


def mutants_of(module: Path, name: str) -> list[Mutant]:
    source = module.read_text(encoding="utf-8")
    function = _function(ast.parse(source), name)
    found = [Mutant(0, "always-pass", function.lineno, "")]
    for node in _own_nodes(function):
        if isinstance(node, ast.If | ast.IfExp):
            code = ast.get_source_segment(source, node.test) or ast.unparse(node.test)
            for kind in ("if-true", "if-false"):
                found.append(Mutant(len(found), kind, node.lineno, " ".join(code.split())))
        elif isinstance(node, ast.Assert):
            code = ast.get_source_segment(source, node.test) or ast.unparse(node.test)
            found.append(Mutant(len(found), "assert-removed", node.lineno, " ".join(code.split())))
    return found


class _Apply(ast.NodeTransformer):
    """Applies one mutant to the node `mutants_of` counted it at."""

    def __init__(self, mutant: Mutant, chosen: ast.AST) -> None:
        self.mutant = mutant
        self.chosen = id(chosen)

    def visit_If(self, node: ast.If) -> ast.AST:
        self.generic_visit(node)
        return self._condition(node)

    def visit_IfExp(self, node: ast.IfExp) -> ast.AST:
        self.generic_visit(node)
        return self._condition(node)

    def _condition(self, node: ast.If | ast.IfExp) -> ast.AST:
        if id(node) == self.chosen and self.mutant.kind in ("if-true", "if-false"):
            node.test = ast.Constant(self.mutant.kind == "if-true")
        return node

    def visit_Assert(self, node: ast.Assert) -> ast.AST:
        self.generic_visit(node)  # an `x if c else y` in the assertion or its message is a mutant point too
        if id(node) == self.chosen and self.mutant.kind == "assert-removed":
            return ast.Pass()
        return node


def mutated_source(module: Path, name: str, mutant: Mutant) -> str:
    source = module.read_text(encoding="utf-8")
    tree = ast.parse(source)
    function = _function(tree, name)
    if mutant.kind == "always-pass":
        arguments = {a.arg for a in function.args.args}
        body: list[ast.stmt] = []
        if "evidence" in arguments:
            body.append(ast.parse('evidence.add("mutant: always pass")').body[0])
        function.body = [*body, ast.Return(None)]
        return ast.unparse(ast.fix_missing_locations(tree))
    points = [n for n in _own_nodes(function) if isinstance(n, ast.If | ast.IfExp | ast.Assert)]
    index = 1
    chosen = None
    for node in points:
        span = 2 if isinstance(node, ast.If | ast.IfExp) else 1
        if index <= mutant.index < index + span:
            chosen = node
            break
        index += span
    assert chosen is not None, mutant
    _Apply(mutant, chosen).visit(function)
    return ast.unparse(ast.fix_missing_locations(tree))


def equivalent_reasons() -> dict[str, dict[str, str]]:
    if not EQUIVALENT.exists():
        return {}
    data = tomllib.loads(EQUIVALENT.read_text(encoding="utf-8"))
    return {check: {str(k): str(v) for k, v in reasons.items()} for check, reasons in data.items()}


def run_check(check_id: str, workers_env: dict[str, str]) -> dict[str, object]:
    """Runs every mutant of one check against its cases, in one pytest process on a copy of the package."""
    module, name = check_functions()[check_id]
    mutants = mutants_of(module, name)
    with tempfile.TemporaryDirectory(prefix=f"mutants-{check_id}-") as folder:
        copy_root = Path(folder)
        shutil.copytree(ROOT / "pytest_readiness", copy_root / "pytest_readiness",
                        ignore=shutil.ignore_patterns("__pycache__"))
        sources = {m.index: mutated_source(module, name, m) for m in mutants}
        (copy_root / "mutants.json").write_text(json.dumps({
            "check": check_id, "module": module.name, "original": module.read_text(encoding="utf-8"),
            "sources": {str(k): v for k, v in sources.items()}}), encoding="utf-8")
        report = copy_root / "report.json"
        env = {**workers_env, "PYTHONPATH": os.pathsep.join([str(copy_root), str(ROOT)]),
               "PYTHONDONTWRITEBYTECODE": "1", "MUTANT_DIR": str(copy_root), "MUTANT_REPORT": str(report)}
        # cwd is the copy: `python -m pytest` puts the working directory first on sys.path.
        command = [sys.executable, "-m", "pytest", str(SESSION), "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                   "-p", "no:randomly", f"--rootdir={ROOT}", "-c", str(ROOT / "pyproject.toml")]
        done = subprocess.run(command, cwd=copy_root, env=env, capture_output=True, text=True)
        if not report.exists():
            raise RuntimeError(f"{check_id}: the mutant session wrote no report\n{done.stdout[-3000:]}"
                               f"\n{done.stderr[-2000:]}")
        results: dict[str, object] = json.loads(report.read_text(encoding="utf-8"))
    results["mutants"] = [m.__dict__ | {"key": m.key, "shown": str(m)} for m in mutants]
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checks", nargs="*", help="check ids (default with --all: every check with cases)")
    parser.add_argument("--all", action="store_true", help="every check that has a case folder")
    parser.add_argument("--list", action="store_true", help="print the mutants and stop")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("-v", "--verbose", action="store_true", help="show which case killed each mutant")
    options = parser.parse_args()
    with_cases = sorted({c.check_id for c in discover("")})
    checks = with_cases if options.all else options.checks
    if not checks:
        parser.error("name a check id, or --all")
    unknown = [c for c in checks if c not in check_functions()]
    if unknown:
        parser.error(f"no @check function for {', '.join(unknown)}")
    if options.list:
        for check_id in checks:
            module, name = check_functions()[check_id]
            for mutant in mutants_of(module, name):
                print(f"{check_id}  {module.name}::{name}  {mutant}")
        return 0
    reasons = equivalent_reasons()
    totals = {"mutants": 0, "killed": 0, "equivalent": 0, "unexplained": 0}
    figures: dict[str, object] = {}
    started = time.monotonic()
    env = {k: v for k, v in os.environ.items() if k != "READINESS_CASES"}
    for check_id in checks:
        if check_id not in with_cases:
            print(f"{check_id:30s} no cases in tests/cases/{check_id}/: skipped")
            continue
        clock = time.monotonic()
        result = run_check(check_id, env)
        if result.get("baseline"):
            print(f"{check_id:30s} CASES FAIL ON THE UNMUTATED CODE: {result['baseline']}")
            totals["unexplained"] += 1
            continue
        outcomes: dict[str, str] = result["outcomes"]  # type: ignore[assignment]
        mutants = result["mutants"]  # type: ignore[assignment]
        killed = [m for m in mutants if outcomes.get(str(m["index"]), "").startswith("killed")]
        survived = [m for m in mutants if m not in killed]
        known = reasons.get(check_id, {})
        equivalent = [m for m in survived if m["key"] in known]
        unexplained = [m for m in survived if m["key"] not in known]
        totals["mutants"] += len(mutants)
        totals["killed"] += len(killed)
        totals["equivalent"] += len(equivalent)
        totals["unexplained"] += len(unexplained)
        print(f"{check_id:30s} {len(mutants):3d} mutants  {len(killed):3d} killed  {len(equivalent):2d} equivalent  "
              f"{len(unexplained):2d} survived  ({time.monotonic() - clock:.0f} s)")
        if options.verbose:
            for m in killed:
                print(f"    killed      {m['shown']}: {outcomes[str(m['index'])].removeprefix('killed by ')}")
        for m in equivalent:
            print(f"    equivalent  {m['shown']}: {known[m['key']]}")
        for m in unexplained:
            print(f"    SURVIVED    {m['shown']}  (key: {m['key']!r})")
        figures[check_id] = {"mutants": len(mutants), "killed": len(killed), "equivalent": len(equivalent),
                             "survived": [m["key"] for m in unexplained]}
    non_equivalent = totals["mutants"] - totals["equivalent"]
    share = 100.0 * totals["killed"] / non_equivalent if non_equivalent else 100.0
    print(f"total: {len(figures)} checks, {totals['mutants']} mutants, {totals['killed']} killed, "
          f"{totals['equivalent']} equivalent, {totals['unexplained']} survived: {share:.1f} % of non-equivalent "
          f"mutants killed ({time.monotonic() - started:.0f} s)")
    if options.json:
        options.json.write_text(json.dumps({"totals": totals, "checks": figures}, indent=2), encoding="utf-8")
    return 1 if totals["unexplained"] else 0


if __name__ == "__main__":
    sys.exit(main())
