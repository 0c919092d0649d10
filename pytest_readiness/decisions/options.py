"""The exit policy's options: what fails the run."""

from __future__ import annotations

from dataclasses import dataclass

from pytest_readiness.session import option


@dataclass(frozen=True)
class DecisionOptions:
    fail_on: str = option("low", "lowest priority whose failures fail the run: critical|high|medium|low")
    strict: bool = option(False, "unverified critical checks fail the run too", "bool")
    baseline: str = option("", "previous JSON report: mark failures new or known")
    fail_on_new: bool = option(False, "with --readiness-baseline: only failures new against the baseline fail the run",
                             "bool")
