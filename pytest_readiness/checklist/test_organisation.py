"""Checks an organisation writes in its conftest.py with `@pytest_readiness.check(...)`.

The runtime fills this module with them at collection (see `runtime.OrganisationModule`).
"""
