"""Manual items of every category: decided by the attestations and sign-offs in readiness.toml.

Each param carries its check's markers, so `-m security` still selects security's manual items.
"""

from __future__ import annotations

import pytest

from pytest_readiness import Evidence, SourceError, not_applicable, unverified
from pytest_readiness.catalog import get_check
from pytest_readiness.results import Status
from pytest_readiness.session import session_today
from pytest_readiness.sources.manual.attestation import judge, manual_params, readiness_file_of
from pytest_readiness.sources.manual.readiness_file import ReadinessFile


@pytest.fixture(scope="session")
def readiness_file(pytestconfig: pytest.Config) -> ReadinessFile:
    return readiness_file_of(pytestconfig)


@pytest.mark.parametrize("check_id", manual_params())
def test_attested(check_id: str, readiness_file: ReadinessFile, pytestconfig: pytest.Config,
                  evidence: Evidence) -> None:
    judgement = judge(get_check(check_id), readiness_file, session_today(pytestconfig))
    for detail, where in judgement.evidence:
        evidence.add(detail, where)
    if judgement.status is Status.ERROR:
        raise SourceError(str(judgement.where or readiness_file.display), judgement.message)
    if judgement.status is Status.UNVERIFIED:
        unverified(judgement.message)
    if judgement.status is Status.NOT_APPLICABLE:
        not_applicable(judgement.message)
    if judgement.status is Status.FAILED:
        pytest.fail(judgement.message, pytrace=False)
