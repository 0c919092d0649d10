"""The deployment material the check tests share: manifests in tests/cases/_shared/ (which the case folders
use too), read as text or as objects, and the small patches that give each test module its difference.

    deployment = manifest("agent-deployment.yaml", {"metadata": {"name": "worker"}})
    ingress = patched(shared("agent-ingresses-without-tls.yaml"), ("admin.contoso.com", "admin.contoso.net"))
    files = with_files(GOOD, {"config/agent.toml": None})   # GOOD without its agent config
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import cache
from typing import Any

import yaml

from tests.case_folders import SHARED


@cache
def shared(name: str) -> str:
    """A shared file's text, as a test repo lays it out."""
    return (SHARED / name).read_text(encoding="utf-8")


def manifest(name: str, patch: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The one object of a shared manifest, with a JSON merge patch (RFC 7386) applied: a mapping merges
    into the mapping it replaces, None removes the key, anything else (a list too) replaces the value."""
    obj = yaml.safe_load(shared(name))
    return merged(obj, patch or {})


def merged(base: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    result = copy.deepcopy(dict(base))
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = merged(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def patched(text: str, *replacements: tuple[str, str]) -> str:
    """`text` with each (old, new) replaced; each old must be in it, so a stale patch fails loudly."""
    for old, new in replacements:
        assert old in text, f"{old!r} is not in the shared text"
        text = text.replace(old, new)
    return text


def documents(*texts: str) -> str:
    """One multi-document YAML file of several manifests."""
    return "---\n".join(text if text.endswith("\n") else text + "\n" for text in texts)


def with_files(base: Mapping[str, str], overrides: Mapping[str, str | None]) -> dict[str, str]:
    """`base` with files replaced, or removed where the new content is None."""
    files = {**base, **{path: content for path, content in overrides.items() if content is not None}}
    return {path: content for path, content in files.items() if overrides.get(path, "") is not None}
