"""JSON with the line of every value: `json.loads` validates (its messages carry line and column),
then a small walker builds the same values as dicts and lists that remember where each key sits."""

from __future__ import annotations

import bisect
import json
import re
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any

MAX_BYTES = 4 * 1024 * 1024  # ARM refuses templates above 4 MB; a bigger file is not a template
MAX_DEPTH = 64

_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")
_LITERALS = {"true": True, "false": False, "null": None}


class JsonProblem(ValueError):
    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class LDict(dict[str, Any]):
    """A JSON object; `line` is where it opens, `lines[key]` where each key is written."""

    line: int = 0
    lines: dict[str, int]


class LList(list[Any]):
    line: int = 0
    lines: list[int]


def loads(text: str, *, max_depth: int = MAX_DEPTH, comments: bool = False) -> Any:
    """`comments`: `//` and `/* */` comments allowed, as ARM accepts them in templates."""
    if len(text) > MAX_BYTES:
        raise JsonProblem(None, f"{len(text)} bytes, above the {MAX_BYTES} byte limit of an ARM template: not read")
    if comments and ("//" in text or "/*" in text):
        text = blank_comments(text)
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise JsonProblem(exc.lineno, f"invalid JSON: {exc.msg} (line {exc.lineno} column {exc.colno})") from None
    except RecursionError:
        raise JsonProblem(None, f"nested deeper than {max_depth} levels: not read") from None
    return _Walker(text, max_depth).document()


_COMMENT_OR_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"|//[^\n]*|/\*.*?(?:\*/|\Z)', re.DOTALL)


def blank_comments(text: str) -> str:
    """Comments replaced by spaces (newlines kept), so every line and column stays where it was."""
    def blank(match: re.Match[str]) -> str:
        token = match.group()
        return token if token.startswith('"') else re.sub(r"[^\n]", " ", token)

    return _COMMENT_OR_STRING.sub(blank, text)


class _Walker:
    def __init__(self, text: str, max_depth: int) -> None:
        self.text = text
        self.max_depth = max_depth
        self.newlines = [m.start() for m in re.finditer("\n", text)]

    def line(self, position: int) -> int:
        return bisect.bisect_left(self.newlines, position) + 1

    def skip(self, position: int) -> int:
        return _WS.match(self.text, position).end()  # type: ignore[union-attr]

    def document(self) -> Any:
        value, _ = self.value(self.skip(0), 0)
        return value

    def value(self, position: int, depth: int) -> tuple[Any, int]:
        if depth > self.max_depth:
            raise JsonProblem(self.line(position), f"nested deeper than {self.max_depth} levels: not read")
        char = self.text[position]
        if char == "{":
            return self.object(position, depth)
        if char == "[":
            return self.array(position, depth)
        if char == '"':
            text, end = scanstring(self.text, position + 1)
            return str(text), int(end)
        for word, literal in _LITERALS.items():
            if self.text.startswith(word, position):
                return literal, position + len(word)
        match = _NUMBER.match(self.text, position)
        assert match is not None  # json.loads accepted the text
        number = match.group()
        return (float(number) if any(c in number for c in ".eE") else int(number)), match.end()

    def object(self, position: int, depth: int) -> tuple[LDict, int]:
        result = LDict()
        result.line, result.lines = self.line(position), {}
        position = self.skip(position + 1)
        if self.text[position] == "}":
            return result, position + 1
        while True:
            key_line = self.line(position)
            key, position = scanstring(self.text, position + 1)
            position = self.skip(self.skip(position) + 1)  # past ':'
            result[key], position = self.value(position, depth + 1)
            result.lines[key] = key_line
            position = self.skip(position)
            if self.text[position] == "}":
                return result, position + 1
            position = self.skip(position + 1)  # past ','

    def array(self, position: int, depth: int) -> tuple[LList, int]:
        result = LList()
        result.line, result.lines = self.line(position), []
        position = self.skip(position + 1)
        if self.text[position] == "]":
            return result, position + 1
        while True:
            result.lines.append(self.line(position))
            item, position = self.value(position, depth + 1)
            result.append(item)
            position = self.skip(position)
            if self.text[position] == "]":
                return result, position + 1
            position = self.skip(position + 1)


def line_index(value: Any, prefix: str, into: dict[str, int], depth: int = 0) -> dict[str, int]:
    """Dotted path -> line for every key under `value`; list items keyed `[i]` and, when they have a
    `name`, `[name]` too (`properties.securityRules[ssh].properties.access`)."""
    if depth > MAX_DEPTH:
        return into
    if isinstance(value, LDict):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else key
            into[path] = value.lines.get(key, value.line)
            line_index(item, path, into, depth + 1)
    elif isinstance(value, LList):
        for position, item in enumerate(value):
            keys = [f"{prefix}[{position}]"]
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                keys.append(f"{prefix}[{item['name']}]")
            for path in keys:
                into[path] = value.lines[position]
                line_index(item, path, into, depth + 1)
    return into
