"""pytest-readiness: a production readiness checklist as pytest tests.

What a check author imports: `check`, `Evidence`, the outcomes, and the facts' types.

pytest imports this package in every run where it is installed, so the names load on first use
(PEP 562): a run without --readiness never reads the catalog or the result model.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_readiness.api import Evidence, NotApplicable, SourceError, Unverified, check, not_applicable, unverified
    from pytest_readiness.results import Location
    from pytest_readiness.sources.kube.model import Container, KubeObject, ObjectSet, Workload

_HOMES = {
    "pytest_readiness.api": (
        "Evidence", "NotApplicable", "SourceError", "Unverified", "check", "not_applicable", "unverified",
    ),
    "pytest_readiness.results": ("Location",),
    "pytest_readiness.sources.kube.model": ("Container", "KubeObject", "ObjectSet", "Workload"),
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "Container", "Evidence", "KubeObject", "Location", "NotApplicable", "ObjectSet", "SourceError", "Unverified",
    "Workload", "check", "not_applicable", "unverified",
]


def __getattr__(name: str) -> Any:
    home = _HOME_OF.get(name)
    if home is None:
        raise AttributeError(f"module 'pytest_readiness' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
