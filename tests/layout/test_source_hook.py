"""An organisation's own source plugs in through `pytest_readiness_sources`, without editing the plugin."""

from __future__ import annotations

import pytest

SOURCE_CONFTEST = '''
import pytest

from pytest_readiness import Evidence, check, unverified
from pytest_readiness.sources.registry import Source

CATALOG = {"msft-agent": {"owner": "team-agents", "tier": 1}, "worker": {}}


def pytest_readiness_sources(config):
    return [Source("svccat", "svccat", "the service catalog", "--readiness-svccat-url",
                   markers={"svccat_tier(n)": "a service catalog tier"})]


@pytest.fixture(scope="session")
def service_catalog():
    return CATALOG


@pytest.mark.parametrize("service", sorted(CATALOG))
@check("ORG-SVCCAT-OWNER", title="Every service has an owner in the catalog", category="operations",
       priority="low", verify="svccat", remediation="Register the owning team.")
def test_owner_registered(service_catalog, service, evidence: Evidence):
    entry = service_catalog[service]
    evidence.add(f"{service}: {entry}")
    assert entry.get("owner"), f"{service} has no owner in the service catalog"
'''


def test_a_conftest_source_gets_its_marker_and_its_checks_run(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(SOURCE_CONFTEST)
    result = pytester.runpytest_subprocess("--readiness", "-p", "no:cacheprovider", "-m", "svccat", "--strict-markers",
                                           "-rA")
    result.stdout.fnmatch_lines(["*ORG-SVCCAT-OWNER*worker has no owner in the service catalog*"])
    result.assert_outcomes(passed=1, failed=1)
    markers = pytester.runpytest_subprocess("--readiness", "--markers", "-p", "no:cacheprovider")
    markers.stdout.fnmatch_lines([
        "@pytest.mark.svccat: readiness source: the service catalog (`--readiness-svccat-url`)",
        "@pytest.mark.svccat_tier(n): a service catalog tier",
    ])


def test_a_check_naming_a_source_nobody_gives_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(SOURCE_CONFTEST.replace("def pytest_readiness_sources", "def not_a_hook"))
    result = pytester.runpytest_subprocess("--readiness", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*no registry entry or pytest_readiness_sources hook gives: ORG-SVCCAT-OWNER (verify='svccat')"])
