"""The agent's TOML configuration (config/agent.toml), with line numbers for evidence."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_readiness.api import SourceError, Unverified
from pytest_readiness.results import Location
from pytest_readiness.sources import reading
from pytest_readiness.sources.reading import quote

TEMPLATE_SUFFIXES = (".example", ".template", ".sample", ".dist")
_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\.\"']+)\s*=")
_TOML_LINE = re.compile(r"at line (\d+)")

# The template's documented environment overrides: LOG_LEVEL, plus AGENT__<SECTION>__<KEY>.
ENV_ALIASES = {"LOG_LEVEL": "agent.log_level"}
ENV_PREFIX = "AGENT__"

_MISSING = object()
MAX_TOML_DEPTH = 32


@dataclass
class AgentConfig:
    path: Path
    display: str
    data: dict[str, Any]
    lines: dict[str, int] = field(default_factory=dict)
    overridden: dict[str, str] = field(default_factory=dict)  # dotted key -> env var name
    text: str = field(default="", repr=False)  # the file as read (UTF-8), for text scans

    def get(self, dotted: str, default: Any = None) -> Any:
        node: Any = self.data
        for part in dotted.split("."):
            if not isinstance(node, Mapping) or part not in node:
                return default
            node = node[part]
        return node

    def has(self, dotted: str) -> bool:
        return self.get(dotted, _MISSING) is not _MISSING

    def section(self, dotted: str) -> Mapping[str, Any] | None:
        value = self.get(dotted)
        return value if isinstance(value, Mapping) else None

    def where(self, dotted: str) -> Location:
        """The file:line that sets a key, or its section header, or just the file."""
        if dotted in self.overridden:
            return Location(f"env:{self.overridden[dotted]}")
        probe = dotted
        while probe:
            if probe in self.lines:
                return Location(self.display, self.lines[probe])
            probe = probe.rpartition(".")[0]
        return Location(self.display)

    def describe(self, dotted: str) -> str:
        """`config/agent.toml:12: agent.security.rate_limit.enabled = false` style evidence."""
        if not self.has(dotted):
            return f"{self.where(dotted)}: {dotted} is not set"
        value = self.get(dotted)
        shown = str(value).lower() if isinstance(value, bool) else repr(value)
        return f"{self.where(dotted)}: {dotted} = {shown}"


def _index_lines(text: str) -> dict[str, int]:
    lines: dict[str, int] = {}
    table = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(raw)
        if header:
            table = ".".join(p.strip().strip("\"'") for p in header.group(1).split("."))
            lines.setdefault(table, number)
            continue
        key = _KEY.match(raw)
        if key:
            dotted = ".".join(p.strip().strip("\"'") for p in key.group(1).split("."))
            lines.setdefault(f"{table}.{dotted}" if table else dotted, number)
    return lines


def _set(data: dict[str, Any], dotted: str, value: str) -> None:
    *parents, last = dotted.split(".")
    node = data
    for part in parents:
        node = node.setdefault(part, {})
    lowered = value.strip().lower()
    parsed: Any = value
    if lowered in ("true", "false"):
        parsed = lowered == "true"
    elif re.fullmatch(r"-?\d+", value.strip()):
        parsed = int(value)
    elif re.fullmatch(r"-?\d+\.\d*", value.strip()):
        parsed = float(value)
    node[last] = parsed


def apply_env_overrides(config: AgentConfig, environ: Mapping[str, str]) -> None:
    for name, value in environ.items():
        if name in ENV_ALIASES:
            dotted = ENV_ALIASES[name]
        elif name.startswith(ENV_PREFIX):
            dotted = "agent." + ".".join(name[len(ENV_PREFIX) :].lower().split("__"))
        else:
            continue
        _set(config.data, dotted, value)
        config.overridden[dotted] = name


def _relative(path: Path, project: Path) -> str:
    try:
        return str(path.relative_to(project))
    except ValueError:
        return str(path)


def parse_toml(text: str, display: str) -> dict[str, Any]:
    """TOML data; SourceError naming the file (and the line when known) for invalid or too deeply nested TOML."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = _TOML_LINE.search(str(exc))
        where = f"{display}:{line.group(1)}" if line else display
        raise SourceError(where, f"invalid TOML: {quote(str(exc))}") from None
    except RecursionError:
        raise SourceError(display, f"not read: nested more than {MAX_TOML_DEPTH} levels deep") from None
    except ValueError as exc:  # an integer past Python's 4,300 digits
        raise SourceError(display, f"invalid TOML: {quote(str(exc))}") from None
    depth = nesting_depth(data)
    if depth > MAX_TOML_DEPTH:
        raise SourceError(display, f"not read: nested {depth} levels deep (at most {MAX_TOML_DEPTH})")
    return data


def nesting_depth(data: Any, stop: int = 10_000) -> int:
    """How deep tables and arrays nest (iteratively: the data may be deeper than Python's recursion limit)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list) and depth > deepest:
            deepest = depth
            if deepest > stop:
                break
        if isinstance(value, dict):
            stack.extend((child, depth + 1) for child in value.values())
        elif isinstance(value, list):
            stack.extend((child, depth + 1) for child in value)
    return deepest


def load(project: Path, relative: str, *, env_overrides: bool = False,
         max_bytes: int = reading.DEFAULT_MAX_BYTES) -> AgentConfig:
    path = Path(relative) if Path(relative).is_absolute() else project / relative
    display = _relative(path, project)
    if not path.exists():  # a FIFO or a device is there, and reported as not read
        templates = [p for p in (path.with_name(path.name + s) for s in TEMPLATE_SUFFIXES) if p.is_file()]
        if templates:
            raise Unverified(
                f"{display} not found; only the template {_relative(templates[0], project)} is committed, and a "
                "template proves nothing about production: point --readiness-config (ini readiness_config) "
                "at the real configuration"
            )
        raise Unverified(f"no agent config at {display}: set --readiness-config (ini readiness_config)")
    try:
        text = reading.read_text(path, display, max_bytes)
    except reading.Unreadable as exc:
        raise SourceError(exc.where, exc.problem) from None
    data = parse_toml(text, display)
    config = AgentConfig(path=path, display=display, data=data, lines=_index_lines(text), text=text)
    if env_overrides:
        apply_env_overrides(config, os.environ)
    return config
