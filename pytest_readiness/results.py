"""One result model: every report (terminal, JUnit, HTML, JSON, SARIF) renders these."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from pytest_readiness.catalog import Check


@dataclass(frozen=True)
class Location:
    """Where a fact came from: a file and line, a live object, an Azure resource id or an image layer."""

    path: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True)
class Problem:
    """An input that could not be read, and where: the checks that need it report it as an error."""

    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    UNVERIFIED = "unverified"  # the input is absent: the reason says what to provide
    NOT_APPLICABLE = "not_applicable"
    ERROR = "error"  # the input is present but unreadable
    WAIVED = "waived"  # a failure covered by a current waiver

    @property
    def counts_as_failure(self) -> bool:
        return self in (Status.FAILED, Status.ERROR)


class Change(StrEnum):
    """A result compared with the baseline run (--readiness-baseline)."""

    NEW = "new"  # failing now, not failing in the baseline
    KNOWN = "known"  # failing now and in the baseline
    FIXED = "fixed"  # failing in the baseline, passing (or not applicable) now


@dataclass(frozen=True)
class EvidenceItem:
    location: Location | None
    detail: str

    def __str__(self) -> str:
        return f"{self.location}: {self.detail}" if self.location else self.detail


@dataclass(frozen=True)
class AppliedWaiver:
    """What turned a failure into WAIVED: a readiness.toml waiver or a Kubernetes annotation."""

    source: str  # "readiness.toml:14" or "annotation readiness.io/waive-rel-replicas on Deployment/x (file:line)"
    justification: str
    approver: str = ""  # annotations have none
    expires: date | None = None  # annotations do not expire

    def __str__(self) -> str:
        who = f", approved by {self.approver}" if self.approver else ""
        until = f", expires {self.expires}" if self.expires else ""
        return f"waived: {self.justification} ({self.source}{who}{until})"


@dataclass
class CheckResult:
    check: Check
    nodeid: str
    target: str  # the parametrized object (e.g. "Deployment/msft-agent/agent"), "" for whole-repo checks
    status: Status
    message: str = ""
    evidence: list[EvidenceItem] = field(default_factory=list)
    findings: list[EvidenceItem] = field(default_factory=list)  # located problems, for SARIF annotations
    waiver: AppliedWaiver | None = None
    change: Change | None = None

    @property
    def key(self) -> str:
        return f"{self.check.id}[{self.target}]" if self.target else self.check.id


@dataclass
class ResultStore:
    results: list[CheckResult] = field(default_factory=list)

    def add(self, result: CheckResult) -> None:
        self.results.append(result)

    def by_category(self) -> dict[str, list[CheckResult]]:
        grouped: dict[str, list[CheckResult]] = {}
        for result in self.results:
            grouped.setdefault(result.check.category, []).append(result)
        return grouped
