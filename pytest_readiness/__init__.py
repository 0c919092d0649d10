"""pytest-readiness: a production readiness checklist as pytest tests.

What a check author imports: `check`, `Evidence`, the outcomes, and the facts' types.
"""

from pytest_readiness.api import Evidence, NotApplicable, SourceError, Unverified, check, not_applicable, unverified
from pytest_readiness.results import Location
from pytest_readiness.sources.kube.model import Container, KubeObject, ObjectSet, Workload

__all__ = [
    "Container", "Evidence", "KubeObject", "Location", "NotApplicable", "ObjectSet", "SourceError", "Unverified",
    "Workload", "check", "not_applicable", "unverified",
]
