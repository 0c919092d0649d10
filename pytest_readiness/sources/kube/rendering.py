"""Kustomize directories and Helm charts rendered into Kubernetes objects, offline.

`kustomize build` (else `kubectl kustomize`) and `helm template` run as subprocesses with a time
limit and an environment that cannot reach the network; remote kustomize bases are refused before
anything runs. Each rendered object is located back at the source file that defines it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pytest_readiness.api import Unverified
from pytest_readiness.results import Location
from pytest_readiness.secrets import mask_in_text
from pytest_readiness.sources import reading, yaml_reader
from pytest_readiness.sources.kube.model import KubeObject, ParseProblem

Display = Callable[[Path], str]

RENDER_TIMEOUT_SECONDS = 60
ERROR_TEXT_LIMIT = 2000
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
CHART_FILE = "Chart.yaml"
DEFAULT_RELEASE = "release-name"
RENDERED_HINT = "or give rendered YAML with --readiness-manifests rendered.yaml (or - for stdin)"
UNREACHABLE_PROXY = "http://127.0.0.1:9"

RESOURCE_FIELDS = ("resources", "bases", "components")
PATH_FIELDS = ("crds", "configurations", "generators", "transformers", "validators", "patchesStrategicMerge")
PATCH_FIELDS = ("patches", "patchesJson6902", "replacements")
GENERATOR_KINDS = {"configMapGenerator": "ConfigMap", "secretGenerator": "Secret"}
HELM_FIELDS = ("helmCharts", "helmChartInflationGenerator", "helmGlobals")
HELM_TEST_HOOKS = {"test", "test-success", "test-failure"}

_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*::|[a-z][a-z0-9+.-]*://|git@)|[?&](?:ref|version|timeout|submodules)=",
                     re.IGNORECASE)
_HOST_FIRST = re.compile(r"^[a-z0-9-]+(?:\.[a-z0-9-]+)+/", re.IGNORECASE)
_KLOG_PREFIX = re.compile(r"^[EWI]\d{4} [\d:.]+\s+\d+ [\w.]+:\d+\] ", re.MULTILINE)
_HELM_SOURCE = re.compile(r"^# Source: (.+?)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class HelmOptions:
    values: tuple[Path, ...] = ()
    release: str = DEFAULT_RELEASE


@dataclass
class Rendered:
    objects: list[KubeObject] = field(default_factory=list)
    problems: list[ParseProblem] = field(default_factory=list)


# --- finding what to render ---------------------------------------------------------------------

def kustomization_file(directory: Path) -> Path | None:
    return next((directory / name for name in KUSTOMIZATION_FILES if (directory / name).is_file()), None)


def is_chart(directory: Path) -> bool:
    return (directory / CHART_FILE).is_file()


def enclosing_chart(path: Path) -> Path | None:
    """The chart whose files include `path` (a template, values file or sub-directory), if any."""
    return next((parent for parent in path.parents if is_chart(parent)), None)


def tool_environment() -> dict[str, str]:
    """The caller's environment, except that HTTP(S) and git cannot leave the machine and no kubeconfig is read."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("no_proxy", "all_proxy")}
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        env[name] = env[name.lower()] = UNREACHABLE_PROXY
    env.update(GIT_ALLOW_PROTOCOL="file", GIT_TERMINAL_PROMPT="0", KUBECONFIG=os.devnull)
    return env


def run_tool(command: list[str], tool: str, where: Location, project: Path,
             timeout: float = RENDER_TIMEOUT_SECONDS) -> tuple[str, ParseProblem | None]:
    """The tool's standard output, or a problem at `where` quoting its error text."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              env=tool_environment(), stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired:
        return "", ParseProblem(where, f"{tool} did not finish within {timeout:g} s")
    except OSError as exc:
        return "", ParseProblem(where, f"cannot run {tool}: {exc.strerror or exc}")
    if done.returncode != 0:
        return "", ParseProblem(where, f"{tool} failed: {_error_text(done.stderr or done.stdout, project)}")
    return done.stdout, None


def _error_text(text: str, project: Path) -> str:
    text = _KLOG_PREFIX.sub("", text).replace('"command failed" err=', "").strip()
    text = text.replace(f"{project}{os.sep}", "").replace(str(project), ".")
    text = mask_in_text(text)
    return text if len(text) <= ERROR_TEXT_LIMIT else text[:ERROR_TEXT_LIMIT] + " [...]"


# --- kustomize ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Names:
    """The name and namespace changes a kustomization and those above it apply to what it includes."""

    prefix: str = ""
    suffix: str = ""
    namespace: str | None = None

    def within(self, own: _Names) -> _Names:
        return _Names(self.prefix + own.prefix, own.suffix + self.suffix, self.namespace or own.namespace)


@dataclass(frozen=True)
class SourceObject:
    """An object a kustomization tree defines, under the name and namespace kustomize will give it."""

    kind: str
    name: str
    bare_name: str
    namespace: str | None
    location: Location
    generated: bool = False


@dataclass
class KustomizeTree:
    root: Path
    sources: list[SourceObject] = field(default_factory=list)
    reads: set[Path] = field(default_factory=set)  # resolved files and directories it reads
    problems: list[ParseProblem] = field(default_factory=list)
    within: Path | None = None  # the directory every reference must stay in (None: anywhere)
    unparsed: bool = False  # its own kustomization file does not parse: the directory's YAML is read as plain


def _unreadable(exc: reading.Unreadable) -> ParseProblem:
    path, _, line = exc.where.rpartition(":")
    return ParseProblem(Location(path, int(line)) if path and line.isdigit() else Location(exc.where), exc.problem)


def _load_document(path: Path, display: str) -> tuple[Any, yaml.Node | None, ParseProblem | None]:
    try:
        text = reading.read_text(path, display)
    except reading.Unreadable as exc:
        return None, None, _unreadable(exc)
    try:
        for document in yaml_reader.documents(text):
            if isinstance(document, yaml_reader.Refused):
                raise document
            return document[1], document[0], None
        return None, None, None
    except yaml.YAMLError as exc:
        line, problem = yaml_reader.problem_of(exc)
        return None, None, ParseProblem(Location(display, line), f"invalid YAML: {problem}")


def _items(data: dict[str, Any], node: yaml.Node, key: str) -> Iterator[tuple[Any, int]]:
    """The entries of a top-level list field, each with its line number."""
    values = data.get(key)
    if not isinstance(values, list) or not isinstance(node, yaml.MappingNode):
        return
    sequence = next((v for k, v in node.value if k.value == key), None)
    lines = [n.start_mark.line + 1 for n in sequence.value] if isinstance(sequence, yaml.SequenceNode) else []
    yield from zip(values, lines, strict=False)


def _joined(directory: Path, relative: str) -> Path:
    """`directory/relative` with `..` folded, so that messages show `base/x.yaml`, not `overlay/../base/x.yaml`."""
    return Path(os.path.normpath(directory / relative))


def _remote_problem(value: str, where: Location) -> ParseProblem:
    return ParseProblem(where, f"remote kustomize base {value!r} is not fetched (readiness runs offline): vendor "
                               f"it into the repository, {RENDERED_HINT}")


def read_tree(root: Path, display: Display, within: Path | None = None) -> KustomizeTree:
    """Every file a kustomization reads, through its bases, and the objects they define; nothing runs.
    With `within`, a base or file outside that directory is refused, as a remote base is."""
    tree = KustomizeTree(root, within=within.resolve() if within is not None else None)
    _read_layer(tree, root, _Names(), display, ())
    return tree


def _outside(tree: KustomizeTree, target: Path, value: str, where: Location) -> bool:
    """Whether `target` is outside the project; a problem is recorded if so."""
    if tree.within is None:
        return False
    resolved = target.resolve()
    if resolved == tree.within or tree.within in resolved.parents:
        return False
    tree.problems.append(ParseProblem(where, f"kustomize reference {value!r} is outside the project "
                                             f"({tree.within}): not rendered; give --readiness-kustomize-outside-bases "
                                             f"to allow it, {RENDERED_HINT}"))
    return True


def _read_layer(tree: KustomizeTree, directory: Path, outer: _Names, display: Display,
                above: tuple[Path, ...]) -> None:
    file = kustomization_file(directory)
    assert file is not None
    tree.reads.update((directory.resolve(), file.resolve()))
    data, node, problem = _load_document(file, display(file))
    if problem is not None:
        tree.problems.append(problem)
        tree.unparsed = tree.unparsed or directory == tree.root
        return
    if not isinstance(data, dict) or node is None:
        tree.problems.append(ParseProblem(Location(display(file)), "a kustomization must be a YAML mapping"))
        return
    names = outer.within(_Names(str(data.get("namePrefix") or ""), str(data.get("nameSuffix") or ""),
                                data.get("namespace") or None))
    for key in HELM_FIELDS:
        if key in data:
            line = next((k.start_mark.line + 1 for k, _ in node.value if k.value == key), None)
            tree.problems.append(ParseProblem(Location(display(file), line), (
                f"{key} needs kustomize --enable-helm, which downloads charts: render the chart with "
                f"helm template, {RENDERED_HINT}")))
    for key in RESOURCE_FIELDS:
        for value, line in _items(data, node, key):
            if isinstance(value, str):
                _read_resource(tree, directory, value, Location(display(file), line), names, display, above)
    for key in PATH_FIELDS:
        for value, line in _items(data, node, key):
            if isinstance(value, str) and "\n" not in value:  # else an inline patch
                _read_file_reference(tree, directory, value, Location(display(file), line))
    for key in PATCH_FIELDS:
        for value, line in _items(data, node, key):
            if isinstance(value, dict) and isinstance(value.get("path"), str):
                _read_file_reference(tree, directory, value["path"], Location(display(file), line))
    for key, kind in GENERATOR_KINDS.items():
        for value, line in _items(data, node, key):
            if isinstance(value, dict):
                _read_generator(tree, directory, value, kind, Location(display(file), line), names)


def _read_resource(tree: KustomizeTree, directory: Path, value: str, where: Location, names: _Names,
                   display: Display, above: tuple[Path, ...]) -> None:
    target = _joined(directory, value)
    if _REMOTE.search(value) or (not target.exists() and _HOST_FIRST.match(value)):
        tree.problems.append(_remote_problem(value, where))
    elif not target.exists():
        tree.problems.append(ParseProblem(where, f"{value!r} does not exist"))
    elif _outside(tree, target, value, where):
        return
    elif target.is_dir() and kustomization_file(target) is not None:
        if target.resolve() not in above:  # kustomize itself reports a cycle
            _read_layer(tree, target, names, display, (*above, directory.resolve()))
    elif target.is_dir():
        tree.reads.add(target.resolve())  # kustomize reports the missing kustomization
    else:
        tree.reads.add(target.resolve())
        _index_file(tree, target, names, display)


def _read_file_reference(tree: KustomizeTree, directory: Path, value: str, where: Location) -> None:
    if _REMOTE.search(value):
        tree.problems.append(_remote_problem(value, where))
    elif not _outside(tree, _joined(directory, value), value, where):
        tree.reads.add(_joined(directory, value).resolve())


def _read_generator(tree: KustomizeTree, directory: Path, spec: dict[str, Any], kind: str, where: Location,
                    names: _Names) -> None:
    sources = [*(spec.get("files") or []), *(spec.get("envs") or []), *([spec["env"]] if spec.get("env") else [])]
    for source in sources:
        if isinstance(source, str):
            file = _joined(directory, source.split("=", 1)[-1])
            if not _outside(tree, file, source, where):
                tree.reads.add(file.resolve())
    name = str(spec.get("name") or "")
    tree.sources.append(SourceObject(kind, names.prefix + name + names.suffix, name,
                                     names.namespace or spec.get("namespace"), where, generated=True))


def _index_file(tree: KustomizeTree, path: Path, names: _Names, display: Display) -> None:
    try:
        text = reading.read_text(path, display(path))
    except reading.Unreadable as exc:
        tree.problems.append(_unreadable(exc))
        return
    objects, problems = _parse_objects(text, display(path))
    tree.problems.extend(problems)
    for obj in objects:
        tree.sources.append(SourceObject(obj.kind, names.prefix + obj.name + names.suffix, obj.name,
                                         names.namespace or obj.namespace, obj.location))


def source_location(obj: KubeObject, sources: list[SourceObject]) -> Location | None:
    """Where a rendered object is defined: same kind, name and namespace; else same kind and name;
    else a generator whose name (plus kustomize's hash) it carries; else the longest bare name it contains."""
    same_kind = [s for s in sources if s.kind == obj.kind]
    for candidates in (
        [s for s in same_kind if s.name == obj.name and s.namespace == obj.namespace],
        [s for s in same_kind if s.name == obj.name],
        [s for s in same_kind if s.generated and obj.name.startswith(s.name + "-")],
        sorted((s for s in same_kind if s.bare_name and s.bare_name in obj.name), key=lambda s: -len(s.bare_name)),
    ):
        if candidates:
            return candidates[0].location
    return None


def _kustomize_command(directory: Path) -> tuple[list[str], str] | None:
    if kustomize := shutil.which("kustomize"):
        return [kustomize, "build", str(directory)], "kustomize build"
    if kubectl := shutil.which("kubectl"):
        return [kubectl, "kustomize", str(directory)], "kubectl kustomize"
    return None


def render_kustomization(tree: KustomizeTree, project: Path, display: Display) -> Rendered:
    """`kustomize build` of a tree read with `read_tree`; raises Unverified without a kustomize."""
    if tree.problems:
        return Rendered(problems=tree.problems)
    where = Location(display(kustomization_file(tree.root) or tree.root))
    command = _kustomize_command(tree.root)
    if command is None:
        raise Unverified(f"Kustomization at {display(tree.root)} needs `kustomize` or `kubectl` on PATH to render; "
                         f"{RENDERED_HINT}")
    argv, tool = command
    output, problem = run_tool(argv, tool, where, project)
    if problem is not None:
        return Rendered(problems=[problem])
    rendered_at = f"kustomize:{display(tree.root)}"
    objects, problems = _parse_objects(output, rendered_at)
    located = [KubeObject(o.body, source_location(o, tree.sources) or Location(rendered_at)) for o in objects]
    return Rendered(located, problems)


def _parse_objects(text: str, display: str) -> tuple[list[KubeObject], list[ParseProblem]]:
    from pytest_readiness.sources.kube.manifests import parse_text

    return parse_text(text, display)


# --- helm ---------------------------------------------------------------------------------------

def render_chart(chart: Path, options: HelmOptions, project: Path, display: Display) -> Rendered:
    """`helm template` of a chart directory; raises Unverified without helm."""
    rendered_at = f"helm:{display(chart)}"
    missing = [v for v in options.values if not v.is_file()]
    if missing:
        return Rendered(problems=[ParseProblem(Location(display(v)), f"Helm values file for {display(chart)} "
                                               "does not exist") for v in missing])
    helm = shutil.which("helm")
    if helm is None:
        raise Unverified(f"Helm chart at {display(chart)} needs `helm` on PATH to render; {RENDERED_HINT}")
    command = [helm, "template", options.release, str(chart)]
    for values in options.values:
        command += ["-f", str(values)]
    output, problem = run_tool(command, "helm template", Location(display(chart / CHART_FILE)), project)
    if problem is not None:
        return Rendered(problems=[problem])
    objects, problems = _parse_objects(output, rendered_at)
    return Rendered(list(_template_located(objects, output, chart, display)), problems)


def _template_located(objects: list[KubeObject], output: str, chart: Path, display: Display) -> Iterator[KubeObject]:
    """Objects at their template (from helm's `# Source:` comments), helm test hooks left out."""
    headers = [(output.count("\n", 0, m.start()) + 1, m.group(1)) for m in _HELM_SOURCE.finditer(output)]
    starts = [line for line, _ in headers]
    seen: dict[tuple[str, str], int] = {}
    for obj in objects:
        if HELM_TEST_HOOKS & {hook.strip() for hook in str(obj.annotations.get("helm.sh/hook", "")).split(",")}:
            continue
        index = bisect_right(starts, obj.location.line or 0) - 1
        if index < 0:
            yield KubeObject(obj.body, Location(obj.location.path))
            continue
        template = chart.joinpath(*Path(headers[index][1]).parts[1:])  # the first part is the chart's name
        nth = seen.setdefault((str(template), obj.kind), 0)
        seen[(str(template), obj.kind)] = nth + 1
        yield KubeObject(obj.body, Location(display(template), _kind_line(template, obj.kind, nth)))


def _kind_line(template: Path, kind: str, nth: int) -> int | None:
    """The line of the nth `kind: <kind>` in a template (the last one when a loop made more objects)."""
    try:
        text = reading.read_text(template, str(template))
    except reading.Unreadable:
        return None
    pattern = re.compile(rf"^\s*kind:\s*[\"']?{re.escape(kind)}[\"']?\s*(?:#.*)?$", re.MULTILINE)
    lines = [text.count("\n", 0, m.start()) + 1 for m in pattern.finditer(text)]
    return lines[min(nth, len(lines) - 1)] if lines else None
