"""Bicep: compiled to ARM JSON by the Bicep CLI (`bicep build --stdout`, or `az bicep build`) when
one is on PATH, else read from the `main.json` a pipeline built beside `main.bicep`; without
either, the file is unverified with a reason naming the tool. Only entry points are compiled:
a file another one uses as a `module` is part of that one's template."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from pathlib import Path

from pytest_readiness.results import Location
from pytest_readiness.sources.azure.iac import arm_template
from pytest_readiness.sources.azure.model import UNKNOWN, AzureResource, ResourceProblem

BUILD_TIMEOUT = 120.0
_MODULE = re.compile(r"^\s*module\s+\w+\s+'([^']+)'", re.MULTILINE)
_RESOURCE = re.compile(r"^\s*resource\s+(\w+)\s+'([^'@]+)@[^']*'", re.MULTILINE)
TOOL_HINT = ("install the Bicep CLI (https://aka.ms/bicep-install) or `az bicep install`, or commit the "
             "compiled template beside it (`bicep build main.bicep` writes main.json)")


def entry_points(files: list[Path]) -> list[Path]:
    used: set[Path] = set()
    for file in files:
        try:
            text = file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        used.update((file.parent / m).resolve() for m in _MODULE.findall(text) if not m.startswith("br"))
    return [f for f in files if f.resolve() not in used]


def build_command(bicep_file: Path) -> list[str] | None:
    bicep = shutil.which("bicep")
    if bicep:
        return [bicep, "build", "--stdout", str(bicep_file)]
    az = shutil.which("az")
    if az:
        return [az, "bicep", "build", "--stdout", "--file", str(bicep_file)]
    return None


@dataclasses.dataclass
class BicepRead:
    read: arm_template.Read
    unverified: list[ResourceProblem]


def read(bicep_file: Path, display: str, prebuilt_display: str | None = None) -> BicepRead:
    prebuilt = bicep_file.with_suffix(".json")
    parameters = _parameters_beside(bicep_file)
    if prebuilt.is_file():
        text = prebuilt.read_text(encoding="utf-8-sig", errors="replace")
        return BicepRead(arm_template.read_text(text, prebuilt_display or str(prebuilt), parameter_values=parameters,
                                                source="bicep"), [])
    command = build_command(bicep_file)
    if command is None:
        return BicepRead(arm_template.Read(), [ResourceProblem(Location(display), (
            f"{display} is Bicep and neither `bicep` nor `az` is on PATH to compile it: " + TOOL_HINT))])
    try:
        built = subprocess.run(command, capture_output=True, text=True, timeout=BUILD_TIMEOUT, check=False,
                               stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return BicepRead(arm_template.Read(), [ResourceProblem(
            Location(display), f"`{Path(command[0]).name} build` did not finish within {BUILD_TIMEOUT:.0f} s")])
    except OSError as error:
        return BicepRead(arm_template.Read(), [ResourceProblem(Location(display), f"{command[0]}: {error}")])
    if built.returncode != 0:
        message = next((line for line in built.stderr.splitlines() if "error" in line.lower()),
                       built.stderr.strip()[:300])
        return BicepRead(arm_template.Read(problems=[ResourceProblem(
            Location(display, _error_line(message)), f"bicep build failed: {message}")]), [])
    result = arm_template.read_text(built.stdout, display, parameter_values=parameters, source="bicep")
    sources = _sources(bicep_file, display)
    result.resources = [_bicep_lines(r, sources, display) for r in result.resources]
    return BicepRead(result, [])


def _sources(entry: Path, display: str) -> list[tuple[str, str]]:
    """(display, text) of the entry point and every local module it uses, transitively."""
    found: list[tuple[str, str]] = []
    seen: set[Path] = set()
    pending = [(entry, display)]
    while pending and len(found) < 200:
        path, shown = pending.pop()
        if path.resolve() in seen or not path.is_file():
            continue
        seen.add(path.resolve())
        text = path.read_text(encoding="utf-8", errors="replace")
        found.append((shown, text))
        base = Path(shown).parent
        pending.extend((path.parent / m, (base / m).as_posix()) for m in _MODULE.findall(text)
                       if not m.startswith("br"))
    return found


_PARAM = re.compile(r"^\s*param\s+(\w+)\s*=\s*(.+?)\s*$", re.MULTILINE)


def _parameters_beside(bicep_file: Path) -> dict[str, object] | None:
    """`main.parameters.json` (azd), then `main.bicepparam` (`param x = 'literal'`; anything else UNKNOWN)."""
    values: dict[str, object] = {}
    candidate = bicep_file.with_name(bicep_file.stem + ".parameters.json")
    if candidate.is_file():
        values.update(arm_template.parameter_file_values(
            candidate.read_text(encoding="utf-8-sig", errors="replace")) or {})
    bicepparam = bicep_file.with_suffix(".bicepparam")
    if bicepparam.is_file():
        text = bicepparam.read_text(encoding="utf-8-sig", errors="replace")
        values.update({name: _bicep_literal(value) for name, value in _PARAM.findall(text)})
    return values or None


def _bicep_literal(text: str) -> object:
    text = text.split("//", 1)[0].strip()
    if len(text) >= 2 and text[0] == text[-1] == "'" and "${" not in text and "'" not in text[1:-1]:
        return text[1:-1]
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    return UNKNOWN


def _error_line(message: str) -> int | None:
    match = re.search(r"\((\d+),\d+\)", message)
    return int(match.group(1)) if match else None


def _bicep_lines(resource: AzureResource, sources: list[tuple[str, str]], display: str) -> AzureResource:
    """Lines of the compiled JSON mean nothing to the author: find the resource's one declaration
    in the .bicep files and each property key below it (first match in the resource's block)."""
    declarations = [(shown, text, m) for shown, text in sources for m in _RESOURCE.finditer(text)
                    if m.group(2).lower() == resource.type.lower()]
    if len(declarations) != 1:
        return dataclasses.replace(resource, origin=Location(display), lines={})
    shown, source, declaration = declarations[0]
    start = declaration.start(1)
    end = next((m.start(1) for m in _RESOURCE.finditer(source) if m.start(1) > start), len(source))
    first_line = source.count("\n", 0, start) + 1
    block = source[start:end]
    lines: dict[str, int] = {}
    for path in resource.lines:
        leaf = path.rsplit(".", 1)[-1].split("[", 1)[0]
        match = re.search(rf"^[ \t]*'?({re.escape(leaf)})'?\s*:", block, re.MULTILINE)
        if match:
            lines[path] = first_line + block.count("\n", 0, match.start(1))
    return dataclasses.replace(resource, origin=Location(shown, first_line), lines=lines)
