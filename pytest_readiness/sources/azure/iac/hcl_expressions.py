"""Terraform expressions as python-hcl2 serializes them (`"${var.prefix}-cache"`, `${var.tls}`):
literals, templates, references, conditionals and a few pure functions evaluated; the rest UNKNOWN."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pytest_readiness.sources.azure.model import UNKNOWN

MAX_DEPTH = 40
_TOKEN = re.compile(r"""\s*(?:(?P<number>\d+(?:\.\d+)?)|(?P<string>"(?:[^"\\]|\\.)*")|(?P<name>[A-Za-z_][\w-]*)|"""
                    r"""(?P<op>==|!=|&&|\|\||<=|>=|=>|\.\.\.|[?:!<>\-+*/%(){}\[\],.=]))""")
Resolver = Callable[[list[Any]], Any]  # a reference's traversal (`["var", "tls"]`) -> its value


class Unresolved(Exception):
    pass


def evaluate_raw(value: Any, resolve: Resolver, depth: int = 0) -> Any:
    """A value as python-hcl2 gives it: strings quoted or `${...}`, lists, objects with quoted keys."""
    if depth > MAX_DEPTH:
        return UNKNOWN
    if isinstance(value, str):
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            return template(value[1:-1], resolve)
        if value.startswith("${") and value.endswith("}"):
            return expression(value[2:-1], resolve)
        return value  # a bare keyword such as a variable's `type = string`
    if isinstance(value, list):
        return [evaluate_raw(v, resolve, depth + 1) for v in value]
    if isinstance(value, dict):
        return {_key(k): evaluate_raw(v, resolve, depth + 1) for k, v in value.items() if not k.startswith("__")}
    return value


def _key(key: str) -> str:
    return key[1:-1] if key.startswith('"') and key.endswith('"') else key


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def template(text: str, resolve: Resolver) -> Any:
    """The inside of a quoted string: `${...}` interpolations, `$${` and `%%{` escapes; `%{` directives UNKNOWN."""
    parts: list[str] = []
    position = 0
    while position < len(text):
        if text.startswith("$${", position) or text.startswith("%%{", position):
            parts.append(text[position + 1:position + 3])
            position += 3
        elif text.startswith("${", position):
            end = _closing(text, position + 2)
            value = expression(text[position + 2:end], resolve)
            if value is UNKNOWN or isinstance(value, (dict, list)):
                return UNKNOWN
            parts.append(_string(value))
            position = end + 1
        elif text.startswith("%{", position):
            return UNKNOWN
        elif text[position] == "\\" and position + 1 < len(text):
            parts.append(_ESCAPES.get(text[position + 1], "\\" + text[position + 1]))
            position += 2
        else:
            parts.append(text[position])
            position += 1
    return "".join(parts)


def _closing(text: str, start: int) -> int:
    depth, position, quoted = 1, start, False
    while position < len(text):
        char = text[position]
        if quoted:
            if char == "\\":
                position += 1
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return position
        position += 1
    raise Unresolved


def _string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def expression(text: str, resolve: Resolver) -> Any:
    try:
        parser = _Parser(text, resolve)
        value = parser.conditional()
        if parser.position != len(parser.tokens):
            raise Unresolved
        return value
    except (Unresolved, IndexError, ValueError, TypeError, KeyError, RecursionError):
        return UNKNOWN


class _Parser:
    def __init__(self, text: str, resolve: Resolver) -> None:
        self.tokens: list[tuple[str, str]] = []
        for match in _TOKEN.finditer(text):
            kind = match.lastgroup
            if kind is None:
                continue
            self.tokens.append((kind, match.group(kind)))
        if sum(len(m.group()) for m in _TOKEN.finditer(text)) != len(text.rstrip()) and text.strip():
            raise Unresolved  # characters the tokenizer does not know
        self.position = 0
        self.resolve = resolve
        self.depth = 0

    def peek(self) -> str:
        return self.tokens[self.position][1] if self.position < len(self.tokens) else ""

    def take(self, expected: str | None = None) -> tuple[str, str]:
        token = self.tokens[self.position]
        if expected is not None and token[1] != expected:
            raise Unresolved
        self.position += 1
        return token

    def conditional(self) -> Any:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise Unresolved
        condition = self.binary(0)
        if self.peek() == "?":
            self.take("?")
            yes = self.conditional()
            self.take(":")
            no = self.conditional()
            if condition is UNKNOWN:
                return UNKNOWN
            return yes if condition else no
        self.depth -= 1
        return condition

    _LEVELS = (("||",), ("&&",), ("==", "!="), ("<", ">", "<=", ">="), ("+", "-"), ("*", "/", "%"))

    def binary(self, level: int) -> Any:
        if level == len(self._LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while self.peek() in self._LEVELS[level]:
            operator = self.take()[1]
            right = self.binary(level + 1)
            left = _operate(operator, left, right)
        return left

    def unary(self) -> Any:
        if self.peek() == "!":
            self.take()
            value = self.unary()
            return UNKNOWN if value is UNKNOWN else not value
        if self.peek() == "-":
            self.take()
            value = self.unary()
            return UNKNOWN if value is UNKNOWN else -value
        return self.postfix()

    def postfix(self) -> Any:
        kind, token = self.take()
        traversal: list[Any] | None = None
        if kind == "number":
            value: Any = float(token) if "." in token else int(token)
        elif kind == "string":
            value = template(token[1:-1], self.resolve)
        elif kind == "name" and token in ("true", "false", "null"):
            value = {"true": True, "false": False, "null": None}[token]
        elif kind == "name" and self.peek() == "(":
            value = self.call(token)
        elif kind == "name":
            traversal = [token]
            value = None
        elif token == "(":
            value = self.conditional()
            self.take(")")
        elif token == "[":
            value = self.sequence("]")
        elif token == "{":
            value = self.object()
        else:
            raise Unresolved
        while self.peek() in (".", "["):
            if self.take()[1] == ".":
                step: Any = self.take()[1]
                if step == "*":
                    raise Unresolved
            else:
                if self.peek() == "*":
                    raise Unresolved
                step = self.conditional()
                self.take("]")
            if traversal is not None:
                traversal.append(step)
            else:
                value = _index(value, step)
        return self.resolve(traversal) if traversal is not None else value

    def sequence(self, closing: str) -> Any:
        if self.peek() == "for":
            raise Unresolved
        items: list[Any] = []
        while self.peek() != closing:
            items.append(self.conditional())
            if self.peek() == ",":
                self.take(",")
        self.take(closing)
        return UNKNOWN if any(i is UNKNOWN for i in items) else items

    def object(self) -> Any:
        if self.peek() == "for":
            raise Unresolved
        result: dict[str, Any] = {}
        while self.peek() != "}":
            kind, token = self.take()
            key = template(token[1:-1], self.resolve) if kind == "string" else token
            if self.peek() not in ("=", ":"):
                raise Unresolved
            self.take()
            result[str(key)] = self.conditional()
            if self.peek() == ",":
                self.take(",")
        self.take("}")
        return result

    def call(self, name: str) -> Any:
        self.take("(")
        args = self.sequence(")")
        function = _FUNCTIONS.get(name)
        if function is None or args is UNKNOWN:
            return UNKNOWN
        return function(*args)


def _index(value: Any, step: Any) -> Any:
    if value is UNKNOWN or step is UNKNOWN:
        return UNKNOWN
    if isinstance(value, dict):
        return value.get(str(step), UNKNOWN)
    if isinstance(value, list) and isinstance(step, int):
        return value[step] if -len(value) <= step < len(value) else UNKNOWN
    return UNKNOWN


def _operate(operator: str, left: Any, right: Any) -> Any:
    if left is UNKNOWN or right is UNKNOWN:
        return UNKNOWN
    operations: dict[str, Callable[[Any, Any], Any]] = {
        "||": lambda a, b: a or b, "&&": lambda a, b: a and b, "==": lambda a, b: a == b,
        "!=": lambda a, b: a != b, "<": lambda a, b: a < b, ">": lambda a, b: a > b,
        "<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b, "+": lambda a, b: a + b,
        "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b, "%": lambda a, b: a % b,
    }
    return operations[operator](left, right)


def _format(spec: str, *args: Any) -> str:
    values = iter(args)
    return re.sub(r"%%|%[-+ #0-9.]*[sdvtqf]", lambda m: "%" if m.group() == "%%" else _string(next(values)), spec)


def _coalesce(*args: Any) -> Any:
    return next((a for a in args if a not in (None, "")), None)


def _merge(*maps: Any) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for m in maps:
        merged.update(m)
    return merged


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "lower": lambda s: str(s).lower(),
    "upper": lambda s: str(s).upper(),
    "format": _format,
    "join": lambda sep, items: sep.join(_string(i) for i in items),
    "concat": lambda *lists: [i for item in lists for i in item],
    "tostring": _string,
    "tonumber": lambda v: float(v) if "." in str(v) else int(v),
    "tobool": lambda v: v if isinstance(v, bool) else str(v) == "true",
    "tolist": list,
    "toset": lambda v: list(dict.fromkeys(v)),
    "coalesce": _coalesce,
    "replace": lambda s, old, new: str(s).replace(old, new),
    "trimspace": lambda s: str(s).strip(),
    "merge": _merge,
    "lookup": lambda m, k, *d: m.get(k, d[0]) if d else m[k],
    "length": len,
    "substr": lambda s, o, n: str(s)[o:o + n] if n >= 0 else str(s)[o:],
}
