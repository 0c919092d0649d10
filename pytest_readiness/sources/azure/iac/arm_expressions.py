"""ARM template expressions (`[concat(parameters('x'), '-cache')]`): the deterministic part evaluated,
anything that depends on the deployment (uniqueString, reference, utcNow, ...) UNKNOWN."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pytest_readiness.sources.azure.model import UNKNOWN

SUBSCRIPTION = "{subscriptionId}"
RESOURCE_GROUP = "{resourceGroupName}"
MAX_EXPRESSION = 20_000
IDENTITY_MARKER = "/providers/microsoft.managedidentity/userassignedidentities/"


def principal_placeholder(identity_name: str, attribute: str = "principalId") -> str:
    """A user-assigned identity's principal (or client) id before Azure assigns it: the identity and what
    references it carry the same text, so role assignments can be matched to it."""
    return f"{{{attribute} of {identity_name}}}"

MAX_NESTING = 40

_TOKEN = re.compile(r"\s*(?:('(?:[^']|'')*')|(-?\d+(?:\.\d+)?)|([A-Za-z_$][\w$]*)|(.))")


class _Unresolved(Exception):
    pass


def is_expression(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("[") and not value.startswith("[[") and value.endswith("]")


def resource_id(resource_type: str, names: list[str], *, subscription: str = SUBSCRIPTION,
                group: str | None = RESOURCE_GROUP) -> str:
    """`Microsoft.Network/virtualNetworks/subnets`, [vnet, sub] -> the full ARM id."""
    namespace, *types = resource_type.split("/")
    path = "/".join(f"{t}/{n}" for t, n in zip(types, names, strict=False))
    scope = f"/subscriptions/{subscription}" + (f"/resourceGroups/{group}" if group is not None else "")
    return f"{scope}/providers/{namespace}/{path}"


@dataclass
class Context:
    parameters: Mapping[str, Any]
    variables: Mapping[str, Any]
    group: str = RESOURCE_GROUP
    # deployment name -> its outputs, computed on demand (Bicep modules' `outputs.x.value`)
    deployment_outputs: Callable[[str], Mapping[str, Any] | None] = lambda name: None
    _evaluated: dict[str, Any] = field(default_factory=dict)
    _evaluating: set[str] = field(default_factory=set)

    def variable(self, name: str) -> Any:
        if name in self._evaluated:
            return self._evaluated[name]
        if name not in self.variables or name in self._evaluating:
            return UNKNOWN
        self._evaluating.add(name)
        try:
            value = evaluate_value(self.variables[name], self)
        finally:
            self._evaluating.discard(name)
        self._evaluated[name] = value
        return value


def evaluate_value(value: Any, context: Context, depth: int = 0) -> Any:
    """Every expression inside a JSON value evaluated; an object with a `copy` loop is UNKNOWN."""
    if depth > MAX_NESTING:
        return UNKNOWN
    if isinstance(value, str):
        return evaluate_string(value, context)
    if isinstance(value, dict):
        if "copy" in value and isinstance(value["copy"], list):
            return UNKNOWN
        return {k: evaluate_value(v, context, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [evaluate_value(v, context, depth + 1) for v in value]
    return value


def evaluate_string(text: str, context: Context) -> Any:
    if text.startswith("[["):
        return text[1:]
    if not is_expression(text):
        return text
    if len(text) > MAX_EXPRESSION:
        return UNKNOWN
    try:
        parser = _Parser(text[1:-1], context)
        result = parser.expression()
        parser.expect_end()
        return result
    except (_Unresolved, IndexError, ValueError, TypeError, KeyError, RecursionError, StopIteration):
        return UNKNOWN


class _Parser:
    def __init__(self, text: str, context: Context) -> None:
        matches = [m for m in _TOKEN.finditer(text) if m.group().strip()]
        self.tokens = [m.group().strip() for m in matches]
        self.kinds = ["string" if m.group(1) else "number" if m.group(2) else "name" if m.group(3) else "punct"
                      for m in matches]
        self.position = 0
        self.context = context
        self.depth = 0

    def peek(self) -> str:
        return self.tokens[self.position] if self.position < len(self.tokens) else ""

    def take(self, expected: str | None = None) -> str:
        token = self.tokens[self.position]
        if expected is not None and token != expected:
            raise ValueError(f"expected {expected}")
        self.position += 1
        return token

    def expect_end(self) -> None:
        if self.position != len(self.tokens):
            raise ValueError("trailing tokens")

    def expression(self) -> Any:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise _Unresolved
        kind, token = self.kinds[self.position], self.take()
        if kind == "string":
            value: Any = token[1:-1].replace("''", "'")
        elif kind == "number":
            value = float(token) if "." in token else int(token)
        elif kind == "name":
            self.take("(")
            args: list[Any] = []
            while self.peek() != ")":
                args.append(self.expression())
                if self.peek() == ",":
                    self.take(",")
            self.take(")")
            value = self.call(token, args)
        else:
            raise ValueError(token)
        while self.peek() in (".", "["):
            if self.take() == ".":
                value = _member(value, self.take())
            else:
                index = self.expression()
                self.take("]")
                value = _member(value, index)
        self.depth -= 1
        return value

    def call(self, name: str, args: list[Any]) -> Any:
        function = _FUNCTIONS.get(name.lower())
        if name.lower() == "parameters":
            return self.context.parameters.get(args[0], UNKNOWN)
        if name.lower() == "variables":
            return self.context.variable(args[0])
        if name.lower() == "resourcegroup":
            group = self.context.group
            return {"id": f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{group}", "name": group, "location": UNKNOWN}
        if name.lower() == "reference":
            return self.reference(args)
        if name.lower() in ("if", "coalesce", "trygett", "tryget"):
            return _lazy_function(name.lower(), args)
        if function is None or any(a is UNKNOWN for a in args):
            raise _Unresolved
        if name.lower() == "resourceid":
            return _resource_id(args, self.context.group)
        return function(*args)

    def reference(self, args: list[Any]) -> Any:
        target = args[0] if args else UNKNOWN
        marker = "/providers/Microsoft.Resources/deployments/"
        if isinstance(target, str) and marker.lower() in target.lower():
            outputs = self.context.deployment_outputs(target.rsplit("/", 1)[-1])
            if outputs is not None:
                return {"outputs": outputs}
        if isinstance(target, str) and IDENTITY_MARKER in target.lower() and len(args) < 3:
            name = target.rsplit("/", 1)[-1]
            return {"principalId": principal_placeholder(name), "clientId": principal_placeholder(name, "clientId")}
        raise _Unresolved


def _member(value: Any, key: Any) -> Any:
    if value is UNKNOWN or key is UNKNOWN:
        raise _Unresolved
    if isinstance(value, Mapping):
        if key in value:
            return value[key]
        lowered = str(key).lower()
        found = [v for k, v in value.items() if str(k).lower() == lowered]
        if not found:
            raise _Unresolved
        return found[0]
    if isinstance(value, list) and isinstance(key, int):
        return value[key]
    raise _Unresolved


def _lazy_function(name: str, args: list[Any]) -> Any:
    if name == "if":
        condition, yes, no = args
        if condition is UNKNOWN:
            raise _Unresolved
        return yes if condition else no
    if name == "coalesce":
        for arg in args:
            if arg is UNKNOWN:
                raise _Unresolved
            if arg is not None:
                return arg
        return None
    value = args[0]  # tryGet(object, key...)
    for key in args[1:]:
        if value is UNKNOWN or key is UNKNOWN:
            raise _Unresolved
        if not isinstance(value, Mapping) or key not in value:
            return None
        value = value[key]
    return value


def _resource_id(args: list[Any], group: str) -> str:
    strings = [str(a) for a in args]
    type_index = next(i for i, a in enumerate(strings) if "/" in a and "." in a.split("/")[0])
    scope = strings[:type_index]
    subscription = scope[0] if len(scope) == 2 else SUBSCRIPTION
    group = scope[-1] if scope else group
    return resource_id(strings[type_index], strings[type_index + 1:], subscription=subscription, group=group)


def _scoped_id(args: tuple[Any, ...], group: str | None) -> str:
    strings = [str(a) for a in args]
    type_index = next(i for i, a in enumerate(strings) if "/" in a and "." in a.split("/")[0])
    subscription = strings[0] if type_index == 1 else SUBSCRIPTION
    return resource_id(strings[type_index], strings[type_index + 1:], subscription=subscription, group=group)


def _format(template: str, *args: Any) -> str:
    def replace(match: re.Match[str]) -> str:
        if match.group(0) in ("{{", "}}"):
            return match.group(0)[0]
        return _to_string(args[int(match.group(1))])

    return re.sub(r"\{\{|\}\}|\{(\d+)(?::[^}]*)?\}", replace, template)


def _to_string(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (dict, list)):
        raise _Unresolved
    return str(value)


def _concat(*args: Any) -> Any:
    if args and all(isinstance(a, list) for a in args):
        return [item for a in args for item in a]
    return "".join(_to_string(a) for a in args)


def _union(*args: Any) -> Any:
    if all(isinstance(a, dict) for a in args):
        merged: dict[str, Any] = {}
        for a in args:
            merged.update(a)
        return merged
    return list(dict.fromkeys(item for a in args for item in a))


def _bool(value: Any) -> bool:
    return value.lower() == "true" if isinstance(value, str) else bool(value)


def _empty(value: Any) -> bool:
    return value is None or len(value) == 0


def _equals(a: Any, b: Any) -> bool:
    return bool(a == b)


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "concat": _concat,
    "format": _format,
    "tolower": lambda s: str(s).lower(),
    "toupper": lambda s: str(s).upper(),
    "string": _to_string,
    "int": int,
    "bool": _bool,
    "trim": lambda s: str(s).strip(),
    "replace": lambda s, old, new: str(s).replace(old, new),
    "empty": _empty,
    "length": len,
    "equals": _equals,
    "not": lambda v: not _bool(v),
    "and": lambda *v: all(_bool(x) for x in v),
    "or": lambda *v: any(_bool(x) for x in v),
    "greater": lambda a, b: a > b,
    "less": lambda a, b: a < b,
    "contains": lambda c, v: v in c,
    "union": _union,
    "createobject": lambda *kv: dict(zip(kv[::2], kv[1::2], strict=True)),
    "createarray": lambda *v: list(v),
    "array": lambda v: v if isinstance(v, list) else [v],
    "first": lambda v: v[0],
    "last": lambda v: v[-1],
    "split": lambda s, d: str(s).split(d),
    "join": lambda items, d: d.join(_to_string(i) for i in items),
    "true": lambda: True,
    "false": lambda: False,
    "null": lambda: None,
    "json": lambda s: __import__("json").loads(s),
    "resourceid": lambda *a: None,  # handled in _Parser.call (needs the context's group)
    "subscriptionresourceid": lambda *a: _scoped_id(a, group=None),
    "tenantresourceid": lambda t, *n: "/providers/" + str(t).split("/")[0] + "/" + "/".join(
        f"{k}/{v}" for k, v in zip(str(t).split("/")[1:], n, strict=False)),
    "extensionresourceid": lambda scope, t, *n: f"{scope}/providers/" + str(t).split("/")[0] + "/" + "/".join(
        f"{k}/{v}" for k, v in zip(str(t).split("/")[1:], n, strict=False)),
    "subscription": lambda: {"id": f"/subscriptions/{SUBSCRIPTION}", "subscriptionId": SUBSCRIPTION,
                             "tenantId": UNKNOWN},
}
