"""The exit policy's options: what fails the run, and which checks are in its scope."""

from __future__ import annotations

from dataclasses import dataclass

from pytest_readiness.session import option


@dataclass(frozen=True)
class DecisionOptions:
    fail_on: str = option("low", "lowest priority whose failures fail the run: critical|high|medium|low")
    allow_unverified: bool = option(
        False, "accept unverified critical checks: READY instead of NOT VERIFIED (exit 101)", "bool")
    strict: bool = option(False, "unverified critical checks make the run NOT READY (exit 1) rather than NOT "
                          "VERIFIED (exit 101); overrides --readiness-allow-unverified", "bool")
    baseline: str = option("", "previous JSON report: mark failures new or known")
    fail_on_new: bool = option(False, "with --readiness-baseline: only failures new against the baseline fail the run",
                             "bool")
    check: tuple[str, ...] = option((), "run only these check ids: ID[,ID...], wildcards allowed (SEC-LIVE-*); "
                                    "the others are not run", "linelist")
    skip_check: tuple[str, ...] = option((), "do not run these check ids: ID[,ID...], wildcards allowed; "
                                         "they are not run (out of scope), not unverified", "linelist")
