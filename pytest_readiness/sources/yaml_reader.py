"""YAML as every source reads it: libyaml's parser (PyYAML's pure-Python one when libyaml is absent),
safe types only, and bounded work per document.

A document nested deeper than `max_depth`, one whose aliases expand to more than `max_alias_nodes`
nodes (the "billion laughs"), one of more than `max_nodes` nodes, or an integer of more than
`max_int_digits` digits is refused with a `Refused` error (a `yaml.YAMLError` with its mark), so
callers that handle YAML errors handle these too. Nodes and marks are PyYAML's own.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

BaseLoader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
LIBYAML = BaseLoader is not yaml.SafeLoader


@dataclass(frozen=True)
class YamlLimits:
    max_depth: int = 100
    max_nodes: int = 2_000_000
    max_alias_nodes: int = 10_000
    max_int_digits: int = 100


DEFAULT_LIMITS = YamlLimits()


class Refused(yaml.YAMLError):
    """A document over one of the limits; `problem` and `problem_mark` as PyYAML's own errors have."""

    def __init__(self, problem: str, mark: yaml.Mark | None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = mark
        self.context_mark = None

    def __str__(self) -> str:
        return self.problem


class Loader(BaseLoader):  # type: ignore[misc,valid-type]
    """The safe loader with an integer size limit (Python refuses str(int) past 4,300 digits anyway)."""

    max_int_digits = DEFAULT_LIMITS.max_int_digits

    def construct_bounded_int(self, node: yaml.ScalarNode) -> Any:
        digits = sum(c.isalnum() for c in str(node.value))
        if digits > self.max_int_digits:
            raise ConstructorError(None, None, f"an integer of {digits} digits (at most {self.max_int_digits} "
                                   "are read)", node.start_mark)
        return SafeConstructor.construct_yaml_int(self, node)


Loader.add_constructor("tag:yaml.org,2002:int", Loader.construct_bounded_int)


def measure(node: yaml.Node, limits: YamlLimits = DEFAULT_LIMITS) -> None:
    """Walk a composed document once (aliases expanded, iteratively); Refused past a limit."""
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, int, bool]] = [(node, 1, False)]
    nodes = alias_nodes = 0
    while stack:
        current, depth, via_alias = stack.pop()
        nodes += 1
        shared = id(current) in seen
        if isinstance(current, yaml.CollectionNode):
            seen.add(id(current))
        via_alias = via_alias or shared
        alias_nodes += via_alias
        if depth > limits.max_depth:
            raise Refused(f"nested more than {limits.max_depth} levels deep", current.start_mark)
        if alias_nodes > limits.max_alias_nodes:
            raise Refused(f"aliases expand to more than {limits.max_alias_nodes} nodes (an alias bomb?)",
                          current.start_mark)
        if nodes > limits.max_nodes:
            raise Refused(f"more than {limits.max_nodes} nodes in one document", node.start_mark)
        if isinstance(current, yaml.SequenceNode):
            stack.extend((child, depth + 1, via_alias) for child in current.value)
        elif isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                stack.append((key, depth + 1, via_alias))
                stack.append((value, depth + 1, via_alias))


def _loader(text: str, limits: YamlLimits) -> Any:
    loader = Loader(text)
    loader.max_int_digits = limits.max_int_digits
    return loader


def documents(text: str, limits: YamlLimits = DEFAULT_LIMITS) -> Iterator[tuple[yaml.Node, Any] | Refused]:
    """Each document's node and data, or `Refused` for a document over a limit (the next ones still come).
    A syntax error ends the stream: it is raised as the `yaml.YAMLError` PyYAML gives."""
    try:
        loader = _loader(text, limits)
    except UnicodeEncodeError as exc:  # a lone surrogate (text decoded with surrogateescape)
        line = text.count("\n", 0, exc.start)
        raise Refused("a character that is not valid UTF-8", yaml.Mark("<text>", exc.start, line, 0, None, 0)
                      ) from None
    try:
        while True:
            try:
                if not loader.check_node():
                    return
                node = loader.get_node()
            except RecursionError:  # only the pure-Python composer recurses
                raise Refused(f"nested more than {limits.max_depth} levels deep", None) from None
            if node is None:
                continue
            try:
                measure(node, limits)
                data = loader.construct_document(node)
            except Refused as refused:
                yield refused
                continue
            except ConstructorError as exc:
                if exc.problem and "digits" in exc.problem:
                    yield Refused(exc.problem, exc.problem_mark)
                    continue
                raise
            yield node, data
    finally:
        loader.dispose()


def compose_all(text: str, limits: YamlLimits = DEFAULT_LIMITS) -> Iterator[yaml.Node]:
    """`yaml.compose_all` with the limits: the first refused document raises `Refused`."""
    for document in documents(text, limits):
        if isinstance(document, Refused):
            raise document
        yield document[0]


def load_all(text: str, limits: YamlLimits = DEFAULT_LIMITS) -> list[Any]:
    """`yaml.safe_load_all` with the limits."""
    found = []
    for document in documents(text, limits):
        if isinstance(document, Refused):
            raise document
        found.append(document[1])
    return found


def safe_load(text: str, limits: YamlLimits = DEFAULT_LIMITS) -> Any:
    """`yaml.safe_load` with the limits (None for an empty stream; the first document of several)."""
    for document in documents(text, limits):
        if isinstance(document, Refused):
            raise document
        return document[1]
    return None


def problem_of(exc: yaml.YAMLError) -> tuple[int | None, str]:
    """The 1-based line and the (shortened) problem of a YAML error."""
    from pytest_readiness.sources.reading import quote

    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    problem = getattr(exc, "problem", None) or (str(exc).splitlines() or [type(exc).__name__])[0]
    return line, quote(str(problem))
