"""Manual checklist items: verified by a human's attestation, never by silence."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_readiness.api import check_marks
from pytest_readiness.catalog import load_catalog


def manual_params(category: str) -> list[Any]:
    """One pytest param per manual check of a category, carrying that check's markers."""
    return [
        pytest.param(c.id, marks=check_marks(c), id=c.id)
        for c in load_catalog().values()
        if c.category == category and c.verify == "manual"
    ]
