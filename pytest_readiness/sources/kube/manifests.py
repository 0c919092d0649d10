"""Kubernetes manifests from the repository, with file:line for every object.

Plain multi-document YAML is read as it is; a directory with a kustomization or a Helm chart is
rendered first (see `rendering`), and its own files are then not read again as plain manifests;
rendered YAML can also come from a file or from stdin (`-`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from pytest_readiness.api import Unverified
from pytest_readiness.results import Location
from pytest_readiness.sources import reading, yaml_reader
from pytest_readiness.sources.kube import rendering, shapes, validation
from pytest_readiness.sources.kube.model import KubeObject, ObjectSet, ParseProblem
from pytest_readiness.sources.kube.rendering import Display, HelmOptions, KustomizeTree

if TYPE_CHECKING:
    import pytest

    from pytest_readiness.settings import Settings

YAML_SUFFIXES = (".yaml", ".yml")
STDIN = "-"


def _is_kube_object(data: Any) -> bool:
    return isinstance(data, dict) and bool(data.get("kind")) and bool(data.get("apiVersion"))


def _list_items(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == "items" and isinstance(value, yaml.SequenceNode):
                return list(value.value)
    return []


LINE_INDEX_DEPTH = 12


def line_index(node: yaml.Node, path: str = "", depth: int = 0, seen: set[int] | None = None) -> dict[str, int]:
    """Dotted path -> 1-based line for every field of a document; list items are keyed by their
    `name` when they have one (`containers[agent]`), else by position (`containers[0]`).
    A node reached again through an alias is not walked again."""
    lines: dict[str, int] = {}
    seen = set() if seen is None else seen
    if depth > LINE_INDEX_DEPTH or id(node) in seen:
        return lines
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                continue
            child = f"{path}.{key.value}" if path else str(key.value)
            lines[child] = key.start_mark.line + 1
            lines.update(line_index(value, child, depth + 1, seen))
    elif isinstance(node, yaml.SequenceNode):
        for position, item in enumerate(node.value):
            name = next((v.value for k, v in item.value if k.value == "name" and isinstance(v, yaml.ScalarNode)),
                        None) if isinstance(item, yaml.MappingNode) else None
            child = f"{path}[{name if name is not None else position}]"
            lines[child] = item.start_mark.line + 1
            lines.update(line_index(item, child, depth + 1, seen))
    return lines


def _ref(data: Mapping[str, Any]) -> str:
    metadata = data.get("metadata")
    name = metadata.get("name") if isinstance(metadata, Mapping) else None
    shown = str(name)[:80] if isinstance(name, str | int) and not isinstance(name, bool) else "<unnamed>"
    return f"{str(data.get('kind'))[:80]}/{shown}"


def _object(data: Mapping[str, Any], node: yaml.Node, display: str) -> KubeObject | ParseProblem:
    """The object, or the problem with its first wrongly shaped field, at that field's line."""
    lines = line_index(node)
    wrong = shapes.first_problem(data)
    if wrong is not None:
        line = lines.get(wrong.line_key) or lines.get(wrong.line_key.rpartition(".")[0]) or node.start_mark.line + 1
        return ParseProblem(Location(display, line), f"{wrong.message} ({_ref(data)})")
    return KubeObject(data, Location(display, node.start_mark.line + 1), lines=lines)


Parsed = tuple[list[KubeObject], list[ParseProblem]]


def parse_text(text: str, display: str, limits: yaml_reader.YamlLimits = yaml_reader.DEFAULT_LIMITS) -> Parsed:
    """The Kubernetes objects of a YAML stream; a wrongly shaped or refused document is a problem at its line,
    and the other documents are still read. A syntax error ends the stream at its line."""
    found: list[KubeObject | ParseProblem] = []
    # What OPS-MANIFESTS-VALID's document check says, from the same parse: up to the first refused document.
    document_problems: list[tuple[str, Location]] = []
    stopped = False
    try:
        for document in yaml_reader.documents(text, limits):
            if isinstance(document, yaml_reader.Refused):
                line, problem = yaml_reader.problem_of(document)
                found.append(ParseProblem(Location(display, line), f"YAML not read: {problem}"))
                stopped = True  # that check stops at a refused document
                continue
            node, data = document
            if not stopped:
                document_problems += validation.node_problems(node, display)
            if not _is_kube_object(data):
                continue
            if str(data["kind"]).endswith("List") and isinstance(data.get("items"), list):
                for item, item_node in zip(data["items"], _list_items(node), strict=False):
                    if _is_kube_object(item):
                        found.append(_object(item, item_node, display))
                continue
            found.append(_object(data, node, display))
    except yaml.YAMLError as exc:
        line, problem = yaml_reader.problem_of(exc)
        found.append(ParseProblem(Location(display, line), f"invalid YAML: {problem}"))
    if limits == yaml_reader.DEFAULT_LIMITS:
        validation.remember_document_problems(display, text, document_problems)
    return ([o for o in found if isinstance(o, KubeObject)], [p for p in found if isinstance(p, ParseProblem)])


def _walk(root: Path) -> Iterator[tuple[Path, list[str], list[str]]]:
    """Directories under `root` (hidden ones left out), each with its sorted sub-directories and YAML files."""
    for directory, subdirs, names in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        yaml_names = sorted(n for n in names if Path(n).suffix in YAML_SUFFIXES and not n.startswith("."))
        yield Path(directory), subdirs, yaml_names


def manifest_files(root: Path) -> Iterator[Path]:
    """Every YAML file under `root` (or `root` itself), for text scans such as secret detection:
    plain manifests, kustomize sources and Helm values and templates alike.
    `Layout.plain` has only those read as plain manifests. Only regular files: a FIFO or a device is
    reported by `load`, never opened by a scan."""
    if not root.is_dir():
        if reading.is_regular(root):
            yield root
        return
    for directory, _, names in _walk(root):
        yield from (directory / name for name in names if reading.is_regular(directory / name))


@dataclass
class Layout:
    """What a manifests directory holds: charts, kustomizations that are no other's base, plain YAML files."""

    charts: list[Path] = field(default_factory=list)
    kustomizations: list[KustomizeTree] = field(default_factory=list)
    plain: list[Path] = field(default_factory=list)

    def units(self) -> list[Path | KustomizeTree]:
        """Everything to load, in path order."""
        found: list[Path | KustomizeTree] = [*self.charts, *self.kustomizations, *self.plain]
        return sorted(found, key=lambda unit: str(unit.root if isinstance(unit, KustomizeTree) else unit))


def _claimed(tree: KustomizeTree) -> set[Path]:
    """The files and directories a kustomization renders, which are then not read as plain manifests."""
    if tree.unparsed:
        file = rendering.kustomization_file(tree.root)
        return {file.resolve()} if file is not None else set()
    return tree.reads


def survey(root: Path, display: Display, project: Path | None = None, outside_bases: bool = True) -> Layout:
    layout = Layout()
    kustomize_dirs: list[Path] = []
    files: list[Path] = []
    for directory, subdirs, names in _walk(root):
        if rendering.is_chart(directory):
            layout.charts.append(directory)
            subdirs[:] = []  # templates are Go templates, not YAML; sub-charts render with their parent
            continue
        if rendering.kustomization_file(directory) is not None:
            kustomize_dirs.append(directory)
        files.extend(directory / name for name in names)
    within = None if outside_bases else _project_or_root(root, project)
    trees = [rendering.read_tree(directory, display, within) for directory in kustomize_dirs]
    bases = {path for tree in trees for path in tree.reads if path != tree.root.resolve()}
    layout.kustomizations = [tree for tree in trees if tree.root.resolve() not in bases] or trees
    # A kustomization that does not parse is an error on that file only: the rest of its directory is
    # still read as plain manifests, so it hides nothing.
    read = {path for tree in trees for path in _claimed(tree)}
    layout.plain = [f for f in files if f.resolve() not in read and not read.intersection(f.resolve().parents)]
    return layout


def _project_or_root(root: Path, project: Path | None) -> Path:
    """What kustomize references must stay in: the project, or the manifests root when that lies outside it."""
    if project is None:
        return root
    inside = root.resolve() == project.resolve() or project.resolve() in root.resolve().parents
    return project if inside else root


def _display(path: Path, project: Path) -> str:
    try:
        return str(path.relative_to(project))
    except ValueError:
        return str(path)


def _render_root(root: Path, display: Display) -> Path:
    """The directory to render when `root` names a kustomization or chart file; refuses a chart's insides."""
    if root.is_file() and (root.name in rendering.KUSTOMIZATION_FILES or root.name == rendering.CHART_FILE):
        return root.parent
    chart = None if rendering.is_chart(root) else rendering.enclosing_chart(root)
    if chart is not None:
        raise Unverified(f"{display(root)} is part of the Helm chart {display(chart)}: point --readiness-manifests "
                         f"at the chart directory to render it with helm template, {rendering.RENDERED_HINT}")
    return root


def load(project: Path, relative: str, *, helm: HelmOptions | None = None,
         read_stdin: Callable[[], str] | None = None, max_bytes: int = reading.DEFAULT_MAX_BYTES,
         outside_bases: bool = False) -> ObjectSet:
    if relative == STDIN:
        text = (read_stdin or (lambda: sys.stdin.read(max_bytes + 1)))()
        if len(text.encode("utf-8", "surrogateescape")) > max_bytes:
            problem = reading.Unreadable("<stdin>", reading._too_large(max_bytes + 1, max_bytes, "more than "))
            return ObjectSet("manifests", [], [ParseProblem(Location("<stdin>"), problem.problem)])
        return ObjectSet("manifests", *parse_text(text, "<stdin>"))
    root = Path(relative) if Path(relative).is_absolute() else project / relative

    def display(path: Path) -> str:
        return _display(path, project)

    if not root.exists():
        raise Unverified(
            f"no Kubernetes manifests at {display(root)}: set --readiness-manifests "
            "(ini readiness_manifests) to a directory, a rendered YAML file, a kustomization or a Helm chart"
        )
    root = _render_root(root, display)
    units: list[Path | KustomizeTree] = survey(root, display, project, outside_bases).units() if root.is_dir() \
        else [root]
    objects: list[KubeObject] = []
    problems: list[ParseProblem] = []
    for unit in units:
        if isinstance(unit, KustomizeTree):
            rendered = rendering.render_kustomization(unit, project, display)
        elif unit.is_dir():
            rendered = rendering.render_chart(unit, helm or HelmOptions(), project, display)
        else:
            rendered = _read_plain(unit, display, max_bytes)
        objects.extend(rendered.objects)
        problems.extend(rendered.problems)
    if not objects and not problems:
        raise Unverified(f"no Kubernetes objects found in {display(root)}")
    return ObjectSet("manifests", objects, problems)


def _read_plain(path: Path, display: Display, max_bytes: int = reading.DEFAULT_MAX_BYTES) -> rendering.Rendered:
    try:
        text = reading.read_text(path, display(path), max_bytes)
    except reading.Unreadable as exc:
        return rendering.Rendered(problems=[ParseProblem(_location(exc.where), exc.problem)])
    objects, problems = parse_text(text, display(path))
    return rendering.Rendered(objects, problems)


def _location(where: str) -> Location:
    path, _, line = where.rpartition(":")
    return Location(path, int(line)) if path and line.isdigit() else Location(where)


def read_stdin_uncaptured(config: pytest.Config, limit: int = -1) -> str:
    """Stdin as the user piped it (at most `limit` characters): pytest's output capture otherwise puts
    /dev/null in its place."""
    capture = config.pluginmanager.getplugin("capturemanager")
    if capture is None:
        return sys.stdin.read(limit)
    capture.suspend_global_capture(in_=True)
    try:
        return sys.stdin.read(limit)
    finally:
        capture.resume_global_capture()


def load_for_run(config: pytest.Config, settings: Settings) -> ObjectSet:
    """`load` with the run's Helm options, reading stdin past pytest's capture."""
    helm = HelmOptions(tuple(settings.resolve(v) for v in settings.helm_values), settings.helm_release)
    return load(settings.project, settings.manifests, helm=helm,
                read_stdin=lambda: read_stdin_uncaptured(config, settings.max_file_bytes + 1),
                max_bytes=settings.max_file_bytes,
                outside_bases=settings.kustomize_outside_bases)


def plain_manifest_files(root: Path) -> list[Path]:
    """The YAML files `load` reads as plain manifests: not a kustomization's own files, nor a chart's."""
    if not root.is_dir():
        plain = not (root.name in rendering.KUSTOMIZATION_FILES or rendering.enclosing_chart(root))
        return [root] if plain and reading.is_regular(root) else []
    return [path for path in survey(root, str).plain if reading.is_regular(path)]
