"""Where a fact sits in a manifest file: the line of an env entry, a data key or a nested field, and the
text of every manifest for the scanners. Objects from a live cluster or stdin keep their own location."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_readiness.api import Unverified
from pytest_readiness.results import Location
from pytest_readiness.secrets import IGNORE_MARKER
from pytest_readiness.settings import Settings
from pytest_readiness.sources import reading
from pytest_readiness.sources.kube.fixtures import load_manifests
from pytest_readiness.sources.kube.manifests import manifest_files
from pytest_readiness.sources.kube.model import Container, KubeObject, Workload


@functools.lru_cache(maxsize=256)
def _lines_of(path: Path, max_bytes: int, stamp: tuple[int, int]) -> tuple[str, ...] | None:
    try:
        return tuple(reading.read_text(path, str(path), max_bytes).splitlines())
    except reading.Unreadable:
        return None  # an object from a live cluster or stdin: its own location is the best we have


def _file_lines(path: Path, max_bytes: int) -> list[str] | None:
    """A manifest's lines, read once per file version however many checks locate a field in it."""
    try:
        stat = path.stat()
    except OSError:
        return None
    lines = _lines_of(path, max_bytes, (stat.st_mtime_ns, stat.st_size))
    return list(lines) if lines is not None else None


def object_lines(settings: Settings, where: Location) -> tuple[list[str], int] | None:
    """The lines of the manifest file holding an object, and the index where its YAML document ends."""
    if where.line is None:
        return None
    lines = _file_lines(settings.resolve(where.path), settings.max_file_bytes)
    if lines is None:
        return None
    end = next((i for i in range(where.line, len(lines)) if lines[i].startswith("---")), len(lines))
    return lines, end


def locate(settings: Settings, where: Location, *steps: str) -> Location:
    """The line matching the last of `steps`, each searched after the previous one within the object's
    document; the deepest line found when a step does not match (flow-style YAML, for instance)."""
    found = object_lines(settings, where)
    if found is None or where.line is None:
        return where
    lines, end = found
    index, located = where.line - 1, where
    for step in steps:
        pattern = re.compile(step)
        match = next((i for i in range(index, end) if pattern.search(lines[i])), None)
        if match is None:
            break
        index, located = match + 1, Location(where.path, match + 1)
    return located


def ignored(settings: Settings, where: Location, lines_before: int = 0) -> bool:
    """Whether the line (or one of the `lines_before` it) carries a `readiness: ignore-secret` marker."""
    found = object_lines(settings, where)
    if found is None or where.line is None:
        return False
    lines = found[0][max(0, where.line - 1 - lines_before) : where.line]
    return any(IGNORE_MARKER.search(line) for line in lines)


def name_line(name: str) -> str:
    return rf"""^\s*(?:-\s+)?["']?name["']?\s*:\s*["']?{re.escape(name)}["']?\s*,?\s*(?:#.*)?$"""


def container_line(settings: Settings, container: Container, *steps: str) -> Location:
    """A line inside a container's entry: its `name:` line, then `steps` below it."""
    section = r"^\s*initContainers\s*:" if container.init else r"^\s*containers\s*:"
    return locate(settings, container.workload.location, section, name_line(container.name), *steps)


def env_line(settings: Settings, container: Container, env: Mapping[str, Any]) -> Location:
    """The line of an env entry's literal `value:`, or of its `name:` when it has none."""
    steps = [r"^\s*env\s*:", name_line(str(env.get("name", "")))]
    if "value" in env:
        steps.append(r"^\s*value\s*:")
    return container_line(settings, container, *steps)


def data_key_line(settings: Settings, obj: KubeObject, field: str, key: str) -> Location:
    return locate(settings, obj.location, rf"^{field}\s*:", rf"""^\s+["']?{re.escape(key)}["']?\s*:""")


def all_containers(workload: Workload) -> list[Container]:
    return [*workload.init_containers, *workload.containers]


def env_entries(container: Container) -> list[Mapping[str, Any]]:
    return [e for e in container.spec.get("env") or [] if isinstance(e, Mapping)]


def data_of(obj: KubeObject, field: str) -> Mapping[str, Any]:
    data = obj.body.get(field)
    return data if isinstance(data, Mapping) else {}


def same_namespace(a: KubeObject, b: KubeObject) -> bool:
    """An object without a namespace gets one at apply time (kubectl -n, kustomize): it may sit beside any."""
    return a.namespace is None or b.namespace is None or a.namespace == b.namespace


def manifest_texts(request: pytest.FixtureRequest, settings: Settings) -> Iterator[tuple[str, str, int]]:
    """(display path, text, first line) of every manifest; objects read from stdin come back as YAML."""
    if settings.manifests == "-":
        try:
            objects = load_manifests(request.config)
        except Unverified:
            return
        for obj in objects.objects:
            yield obj.location.path, yaml.safe_dump(dict(obj.body), sort_keys=False), obj.location.line or 1
        return
    root = settings.resolve(settings.manifests)
    if not root.exists():
        return
    for path in manifest_files(root):
        try:
            text = reading.read_text(path, settings.display(path), settings.max_file_bytes)
        except reading.Unreadable:
            continue
        yield settings.display(path), text, 1
