"""The report files a run writes besides pytest's own."""

from __future__ import annotations

from dataclasses import dataclass

from pytest_readiness.session import option


@dataclass(frozen=True)
class ReportOptions:
    json: str = option("", "write the JSON report here")
    sarif: str = option("", "write static findings as SARIF 2.1.0 here")
