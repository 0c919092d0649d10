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
from pytest_readiness.sources import yaml_reader
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


NOT_DOCS = ("changelog", "license", "contributing", "code_of_conduct", "security", "notice")
_STUB_LINE = re.compile(r"\b(?:todo|tbd|fixme|wip|coming soon|to be (?:written|done|added)|placeholder|lorem ipsum"
                        r"|fill (?:this|me) in)\b", re.IGNORECASE)
# Every branch opens with a literal, and `\b` is a look-behind after it (`a(?<!\wa)pp` is `\bapp`): so the
# regex engine skips ahead to the characters a route can start with (3x faster over a repo's code).
_ROUTE = re.compile(
    r"""@\w+\.(?:get|post|put|delete|patch|route|api_route|websocket)\(\s*["'](?P<py>/[^"']*)["']"""
    r"""|(?:a(?<!\wa)(?:pp|pi)|r(?<!\wr)outer|s(?<!\ws)erver)\.(?:get|post|put|delete|patch|all|use)\(\s*["'`]"""
    r"""(?P<js>/[^"'`]*)["'`]"""
    r"""|M(?<!\wM)ap(?:Get|Post|Put|Delete|Patch|Methods)\(\s*"(?P<cs>/[^"]*)"|H(?<!\wH)andleFunc\(\s*"(?P<go>/[^"]*)["]""",
)
CODE_SUFFIXES = (".py", ".js", ".ts", ".mjs", ".cs", ".go")
NOT_SERVICE_DIRS = frozenset({"tests", "test", "docs", "examples", "node_modules", "scripts", "conftest_examples"})


def doc_files(repo: Repo, docs_dir: str) -> list[str]:
    """Files under docs/, and the top-level Markdown (README included: it is where many repos document)."""
    inside = [f for f in repo.under(docs_dir) if f.lower().endswith(DOC_SUFFIXES)]
    top_level = [f for f in repo.files if "/" not in f and f.lower().endswith(DOC_SUFFIXES)
                 and not f.lower().startswith(NOT_DOCS)]
    return inside + top_level


def _section(text: str, heading: re.Match[str]) -> str:
    """The text from a heading to the next heading of the same or a higher level."""
    level = len(heading.group(0)) - len(heading.group(0).lstrip("#="))
    for following in _HEADING.finditer(text, heading.end()):
        if len(following.group(0)) - len(following.group(0).lstrip("#=")) <= level:
            return text[heading.end() : following.start()]
    return text[heading.end() :]


def substance(text: str) -> int:
    """Words of real content: headings, and lines that are TODO or placeholder text, do not count."""
    lines = [line for line in text.splitlines() if not _HEADING.match(line) and not _STUB_LINE.search(line)]
    return len(" ".join(lines).split())


def matching_docs(repo: Repo, docs_dir: str, topic: Topic) -> list[tuple[str, int, str, str]]:
    """(path, line, why, text) of the docs about a topic: a file or folder named for it (all its text), or a
    heading in any doc, the top-level README included (that section's text)."""
    found = []
    for path in doc_files(repo, docs_dir):
        text = repo.text(path) or ""
        relative = path.removeprefix(docs_dir.rstrip("/") + "/")
        if topic.name.search(relative.rsplit(".", 1)[0]) and not relative.lower().startswith("readme"):
            found.append((path, 1, "named " + relative, text))
            continue
        heading = next((m for m in _HEADING.finditer(text) if topic.heading.search(m.group(1))), None)
        if heading:
            found.append((path, text.count("\n", 0, heading.start()) + 1, f"heading {heading.group(1)!r}",
                          _section(text, heading)))
    return found


def code_routes(repo: Repo) -> list[str]:
    """The HTTP routes the service's own code declares (FastAPI/Flask, Express, ASP.NET, net/http)."""
    routes: list[str] = []
    for path in repo.files:
        if not path.endswith(CODE_SUFFIXES) or NOT_SERVICE_DIRS & set(PurePosixPath(path).parts[:-1]):
            continue
        for match in _ROUTE.finditer(repo.text(path) or ""):
            route = next(v for v in match.groupdict().values() if v)
            if route != "/" and route not in routes:
                routes.append(route)
    return routes


def openapi_paths(repo: Repo) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for path in repo.matching("*.json", "*.yaml", "*.yml"):
        if not re.search(r"openapi|swagger", PurePosixPath(path).name, re.IGNORECASE):
            continue
        text = repo.text(path) or ""
        try:
            data = json.loads(text) if path.endswith(".json") else yaml_reader.safe_load(text)
        except (json.JSONDecodeError, yaml.YAMLError) as exc:
            line = getattr(exc, "lineno", None) or getattr(getattr(exc, "problem_mark", None), "line", -1) + 1
            raise SourceError(f"{path}:{line}" if line > 0 else path, f"invalid OpenAPI document: {exc}") from None
        if isinstance(data, Mapping) and ("openapi" in data or "swagger" in data):
            yield path, data.get("paths") or {}
