"""pytest-readiness: a production readiness checklist as pytest tests."""

from pytest_readiness.api import Evidence, check
from pytest_readiness.outcomes import NotApplicable, SourceError, Unverified, not_applicable, unverified

__all__ = ["Evidence", "NotApplicable", "SourceError", "Unverified", "check", "not_applicable", "unverified"]
