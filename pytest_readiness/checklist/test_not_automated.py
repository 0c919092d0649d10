"""Checklist lines whose source (the built image) this release cannot read yet.

They still run, so every report shows the whole checklist: each is unverified and says so,
never passed. Record the evidence by hand meanwhile, or waive with an owner and an expiry.
"""

from __future__ import annotations

import pytest

from pytest_readiness import unverified
from pytest_readiness.api import check_marks
from pytest_readiness.catalog import load_catalog

NOT_YET = {
    "image": "inspecting and scanning the built image is not in this release",
}


def _params() -> list[object]:
    return [
        pytest.param(c, marks=check_marks(c), id=c.id)
        for c in load_catalog().values()
        if c.verify in NOT_YET
    ]


@pytest.mark.parametrize("entry", _params())
def test_needs_a_source_not_in_this_release(entry: object) -> None:
    from pytest_readiness.catalog import Check

    assert isinstance(entry, Check)
    unverified(f"{NOT_YET[entry.verify]}: verify '{entry.title}' by hand ({entry.summary})")
