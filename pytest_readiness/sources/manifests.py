"""Kubernetes manifests from the repository: multi-document YAML with file:line for every object."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from pytest_readiness.kube import KubeObject, Location, ObjectSet, ParseProblem
from pytest_readiness.outcomes import Unverified

YAML_SUFFIXES = (".yaml", ".yml")


def _is_kube_object(data: Any) -> bool:
    return isinstance(data, dict) and bool(data.get("kind")) and bool(data.get("apiVersion"))


def _list_items(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == "items" and isinstance(value, yaml.SequenceNode):
                return list(value.value)
    return []


def parse_text(text: str, display: str) -> tuple[list[KubeObject], list[ParseProblem]]:
    objects: list[KubeObject] = []
    loader = yaml.SafeLoader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            data = loader.construct_document(node)
            if not _is_kube_object(data):
                continue
            if str(data["kind"]).endswith("List") and isinstance(data.get("items"), list):
                for item, item_node in zip(data["items"], _list_items(node), strict=False):
                    if _is_kube_object(item):
                        objects.append(KubeObject(item, Location(display, item_node.start_mark.line + 1)))
                continue
            objects.append(KubeObject(data, Location(display, node.start_mark.line + 1)))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return objects, [ParseProblem(Location(display, line), f"invalid YAML: {problem}")]
    finally:
        loader.dispose()
    return objects, []


def manifest_files(root: Path) -> Iterator[Path]:
    if root.is_file():
        yield root
        return
    for path in sorted(root.rglob("*")):
        if path.suffix in YAML_SUFFIXES and path.is_file() and not any(p.startswith(".") for p in path.parts):
            yield path


def _display(path: Path, project: Path) -> str:
    try:
        return str(path.relative_to(project))
    except ValueError:
        return str(path)


def load(project: Path, relative: str) -> ObjectSet:
    if relative == "-":
        objects, problems = parse_text(sys.stdin.read(), "<stdin>")
        return ObjectSet("manifests", objects, problems)
    root = Path(relative) if Path(relative).is_absolute() else project / relative
    if not root.exists():
        raise Unverified(
            f"no Kubernetes manifests at {_display(root, project)}: set --readiness-manifests "
            "(ini readiness_manifests) to a directory or a rendered YAML file"
        )
    objects: list[KubeObject] = []
    problems: list[ParseProblem] = []
    for path in manifest_files(root):
        display = _display(path, project)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(ParseProblem(Location(display), f"cannot read: {exc}"))
            continue
        found, bad = parse_text(text, display)
        objects.extend(found)
        problems.extend(bad)
    if not objects and not problems:
        raise Unverified(f"no Kubernetes objects found in {_display(root, project)}")
    return ObjectSet("manifests", objects, problems)
