"""Glob patterns over repository paths, compiled once per pattern set.

A pattern means what `PurePosixPath(path).match(pattern)` means (Python 3.11): matched from the right,
component by component, `*`, `?` and `[...]` never crossing a `/`, case-sensitive; a path equal to the
pattern also matches. Suffix-only sets (`*.yaml`, `*.yml`) are answered with `str.endswith`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import PurePosixPath

_GLOB_CHARS = frozenset("*?[")


def _component(part: str) -> str:
    """The regex of one path component of a glob (no `/` inside)."""
    out: list[str] = []
    i, n = 0, len(part)
    while i < n:
        c = part[i]
        i += 1
        if c == "*":
            if not out or out[-1] != "[^/]*":
                out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = i
            if j < n and part[j] == "!":
                j += 1
            if j < n and part[j] == "]":
                j += 1
            while j < n and part[j] != "]":
                j += 1
            if j >= n:
                out.append("\\[")
                continue
            body = part[i:j]
            i = j + 1
            negated = body.startswith("!")
            if negated:
                body = body[1:]
            # fnmatch's ranges: keep `-` as range separator, escape what regex would read otherwise.
            body = "".join("\\" + ch if ch in "\\^[]" else ch for ch in body)
            out.append(f"[^/{body}]" if negated else f"[{body}]")
        else:
            out.append(re.escape(c))
    return "".join(out)


def _normalised(pattern: str) -> list[str]:
    """The pattern's components as pathlib reads them: empty and `.` components dropped."""
    return [p for p in pattern.split("/") if p not in ("", ".")]


def _regex(pattern: str) -> str:
    parts = _normalised(pattern)
    if not parts:
        return "(?!)"
    if pattern.startswith("/"):
        return "(?!)"  # an absolute pattern never matches a relative path
    return "(?:.*/)?" + "/".join(_component(p) for p in parts)


def _suffix(pattern: str) -> str | None:
    """`.yaml` for `*.yaml`: a pattern that is `*` then a literal with no `/`; None otherwise."""
    if pattern.startswith("*") and "/" not in pattern and not _GLOB_CHARS.intersection(pattern[1:]):
        return pattern[1:]
    return None


@lru_cache(maxsize=256)
def compile_patterns(patterns: tuple[str, ...]) -> Callable[[str], bool]:
    """A predicate on a posix relative path: does any of `patterns` match it."""
    suffixes = [_suffix(p) for p in patterns]
    if all(s is not None for s in suffixes):
        ends = tuple(s for s in suffixes if s is not None)
        return lambda path: path.endswith(ends)
    alternatives = [_regex(p) for p in patterns] + [re.escape(p) for p in patterns]
    try:
        compiled = re.compile("(?s:" + "|".join(f"(?:{a})" for a in alternatives) + ")")
    except re.error:  # a class fnmatch reads and re refuses, such as the reversed range [z-a]
        return lambda path: any(PurePosixPath(path).match(p) or path == p for p in patterns)

    def matches(path: str) -> bool:
        return compiled.fullmatch(path) is not None

    return matches
