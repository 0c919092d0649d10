"""The repository's documentation: doc files and their headings by topic, and OpenAPI documents."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import yaml

from pytest_readiness.api import SourceError
from pytest_readiness.sources.repo.files import Repo

DOC_SUFFIXES = (".md", ".markdown", ".rst", ".adoc", ".txt")
MIN_DOC_WORDS = 50
_HEADING = re.compile(r"^(?:#{1,6}|={1,6})\s+(.+?)\s*#*$", re.MULTILINE)


@dataclass(frozen=True)
class Topic:
    what: str
    name: re.Pattern[str]
    heading: re.Pattern[str]
    example: str


TOPICS = {
    "OPS-DOCS-ARCHITECTURE": Topic("architecture document", re.compile(r"architect|system[-_ ]?design", re.I),
                                   re.compile(r"architecture|system design", re.I), "docs/architecture.md"),
    "OPS-DOCS-RUNBOOKS": Topic("runbook", re.compile(r"run-?books?|playbooks?", re.I),
                               re.compile(r"run-?books?|playbooks?", re.I), "docs/runbooks/"),
    "OPS-DOCS-API": Topic("API reference", re.compile(r"(?:^|[-_/])api(?:[-_.]|$)|openapi|swagger", re.I),
                          re.compile(r"\bAPI\b|endpoints", re.I), "docs/api.md"),
    "OPS-DOCS-TROUBLESHOOTING": Topic("troubleshooting guide",
                                      re.compile(r"troubleshoot|known[-_]issues|common[-_]issues", re.I),
                                      re.compile(r"troubleshoot|common (?:issues|problems)|known issues", re.I),
                                      "docs/troubleshooting.md"),
}
API_ENDPOINTS = ("/api/question", "/health", "/metrics")


def doc_files(repo: Repo, docs_dir: str) -> list[str]:
    inside = [f for f in repo.under(docs_dir) if f.lower().endswith(DOC_SUFFIXES)]
    top_level = [f for f in repo.files if "/" not in f and f.lower().endswith(DOC_SUFFIXES)
                 and not f.lower().startswith(("readme", "changelog", "license", "contributing"))]
    return inside + top_level


def matching_docs(repo: Repo, docs_dir: str, topic: Topic) -> list[tuple[str, int, str]]:
    """(path, line, why) of the docs about a topic: by file or folder name, or by a heading inside docs/."""
    found = []
    for path in doc_files(repo, docs_dir):
        text = repo.text(path) or ""
        relative = path.removeprefix(docs_dir.rstrip("/") + "/")
        if topic.name.search(relative.rsplit(".", 1)[0]):
            found.append((path, 1, "named " + relative))
            continue
        heading = next((m for m in _HEADING.finditer(text) if topic.heading.search(m.group(1))), None)
        if heading and "/" in path:
            found.append((path, text.count("\n", 0, heading.start()) + 1, f"heading {heading.group(1)!r}"))
    return found


def openapi_paths(repo: Repo) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for path in repo.matching("*.json", "*.yaml", "*.yml"):
        if not re.search(r"openapi|swagger", PurePosixPath(path).name, re.IGNORECASE):
            continue
        text = repo.text(path) or ""
        try:
            data = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
        except (json.JSONDecodeError, yaml.YAMLError) as exc:
            line = getattr(exc, "lineno", None) or getattr(getattr(exc, "problem_mark", None), "line", -1) + 1
            raise SourceError(f"{path}:{line}" if line > 0 else path, f"invalid OpenAPI document: {exc}") from None
        if isinstance(data, Mapping) and ("openapi" in data or "swagger" in data):
            yield path, data.get("paths") or {}
