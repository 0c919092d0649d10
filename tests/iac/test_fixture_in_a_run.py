"""The declared resources reach a user's own check through the `azure_declared` fixture, in a real
`pytest --readiness` run, with --readiness-iac and its ini key."""

from __future__ import annotations

import shutil

import pytest

from .conftest import DATA

CONFTEST = '''
from pytest_readiness import check


@check("ORG-REDIS-TLS", title="Redis requires TLS 1.2", category="security", priority="high",
       remediation="Set minimumTlsVersion to 1.2.")
def test_redis_tls(azure_declared, evidence):
    caches = azure_declared.of_type("Microsoft.Cache/redis")
    assert caches, "no Redis declared"
    for cache in caches:
        where = cache.location_of("properties.minimumTlsVersion")
        evidence.add(f"{cache.ref} minimumTlsVersion={cache.get('properties.minimumTlsVersion')}", str(where))
        assert cache.get("properties.minimumTlsVersion") == "1.2", f"{cache.ref}: TLS below 1.2 at {where}"
'''


@pytest.mark.parametrize(("how", "status", "where"), [
    ("flag", "failed", "platform/arm/azuredeploy.json:42"),  # the template's redisMinimumTls default 1.0
    ("ini", "failed", "platform/arm/azuredeploy.json:42"),
    ("default", "unverified", "--readiness-iac"),  # nothing in the default directories
])
def test_a_users_check_reads_declared_resources(run_readiness, pytester: pytest.Pytester, how: str,
                                                status: str, where: str) -> None:
    shutil.copytree(DATA / "arm-handwritten" / "deploy", pytester.path / "platform" / "arm")
    files = {"conftest.py": CONFTEST}
    args: list[str] = ["-k", "test_redis_tls"]
    if how == "flag":
        args.append("--readiness-iac=platform/arm")
    elif how == "ini":
        files["pytest.ini"] = "[pytest]\nreadiness_iac =\n    platform/arm\n"
    run = run_readiness(files, *args)
    assert run.status("ORG-REDIS-TLS") == status, run.output[-3000:]
    assert where in run.messages["ORG-REDIS-TLS"]
