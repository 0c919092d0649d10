"""Manual checklist items: verified by a human's attestation or sign-off, never by silence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

from pytest_readiness import session
from pytest_readiness.api import check_marks
from pytest_readiness.catalog import CATEGORIES, Check, load_catalog
from pytest_readiness.results import Location, Status
from pytest_readiness.sources.manual import readiness_file
from pytest_readiness.sources.manual.readiness_file import ReadinessFile, SignOff, signoff_label, signoff_roles

DEFAULT_VALID_DAYS = 365  # for a manual check whose catalog entry names no valid_days


def manual_params(category: str | None = None) -> list[Any]:
    """One pytest param per manual check (of one category, or of all), carrying that check's markers."""
    categories = CATEGORIES if category is None else (category,)
    return [
        pytest.param(c.id, marks=check_marks(c), id=c.id)
        for wanted in categories
        for c in load_catalog().values()
        if c.category == wanted and c.verify == "manual"
    ]


def readiness_file_of(config: pytest.Config) -> ReadinessFile:
    """The project's readiness.toml (settings.attestations), read once per session."""
    s = session.settings_of(config)
    return session.cache_of(config).get("readiness_file", lambda: readiness_file.load(
        s.project, s.attestations, s.max_file_bytes))


@dataclass(frozen=True)
class Judgement:
    status: Status  # passed, failed, unverified, not_applicable or error
    message: str = ""
    evidence: tuple[tuple[str, Location | None], ...] = ()
    where: Location | None = None  # for an error: the entry that could not be read


def valid_days(check: Check, recorded: int | None) -> int:
    return recorded or check.valid_days or DEFAULT_VALID_DAYS


def expires_on(recorded: date, days: int) -> date:
    """The first day an attestation made on `recorded` no longer counts (valid `days` days, inclusive)."""
    return recorded + timedelta(days=days)


def judge(check: Check, file: ReadinessFile, today: date) -> Judgement:
    if "-SIGNOFF-" in check.id:
        return _judge_signoff(check, file, today)
    entry = f"attest.{check.id}"
    problem = file.problem_for(entry)
    if problem:
        return Judgement(Status.ERROR, problem.message, where=problem.location)
    attestation = file.attestations.get(check.id)
    if attestation is None:
        where = "" if file.present else f" (there is no {file.display} in the project yet)"
        return Judgement(Status.UNVERIFIED, f"needs attestation: add [attest.{check.id}] with by, date and "
                         f"evidence to {file.display}{where}")
    if attestation.date > today:
        return Judgement(Status.ERROR, f"attestation date {attestation.date} is in the future (today is {today}, UTC)",
                         where=attestation.location)
    days = valid_days(check, attestation.valid_days)
    end = expires_on(attestation.date, days)
    seen = (f"attested by {attestation.by} on {attestation.date}, valid {days} days (through "
            f"{end - timedelta(days=1)}): {attestation.evidence}", attestation.location)
    if today >= end:
        return Judgement(Status.FAILED, f"attestation by {attestation.by} on {attestation.date} expired on {end} "
                         f"({attestation.location}): re-attest {check.id}", (seen,))
    if not attestation.applicable:
        why = f": {attestation.note}" if attestation.note else ""
        return Judgement(Status.NOT_APPLICABLE, f"attested not applicable by {attestation.by} on {attestation.date} "
                         f"({attestation.location}){why}", (seen,))
    return Judgement(Status.PASSED, "", (seen,))


def signoff_state(role: str, file: ReadinessFile, today: date) -> str:
    """approved, expired, rejected, pending, missing or invalid."""
    if file.problem_for(f"signoff.{role}"):
        return "invalid"
    signoff = file.signoffs.get(role)
    if signoff is None:
        return "missing"
    if signoff.status != "approved":
        return signoff.status
    check = signoff_roles()[role]
    return "expired" if today >= expires_on(signoff.date, valid_days(check, signoff.valid_days)) else "approved"


def _seen(label: str, signoff: SignOff) -> tuple[str, Location | None]:
    link = f": {signoff.evidence}" if signoff.evidence else ""
    return f"{label}: {signoff.status} by {signoff.reviewer} on {signoff.date}{link}", signoff.location


def _judge_signoff(check: Check, file: ReadinessFile, today: date) -> Judgement:
    role = check.id.rsplit("-SIGNOFF-", 1)[1].lower()
    label = signoff_label(check)
    problem = file.problem_for(f"signoff.{role}")
    if problem:
        return Judgement(Status.ERROR, problem.message, where=problem.location)
    signoff = file.signoffs.get(role)
    if signoff is None:
        return Judgement(Status.UNVERIFIED, f"needs sign-off: add [signoff.{role}] with reviewer, date and status "
                         f"to {file.display} ({label})")
    if signoff.date > today:
        return Judgement(Status.ERROR, f"sign-off date {signoff.date} is in the future (today is {today}, UTC)",
                         where=signoff.location)
    seen = (_seen(label, signoff),)
    if signoff.status == "pending":
        return Judgement(Status.UNVERIFIED, f"{label} is pending (reviewer {signoff.reviewer}, "
                         f"{signoff.location})", seen)
    if signoff.status == "rejected":
        return Judgement(Status.FAILED, f"{label} rejected by {signoff.reviewer} on {signoff.date} "
                         f"({signoff.location})", seen)
    end = expires_on(signoff.date, valid_days(check, signoff.valid_days))
    if today >= end:
        return Judgement(Status.FAILED, f"sign-off by {signoff.reviewer} on {signoff.date} expired on {end} "
                         f"({signoff.location})", seen)
    if role == "final":
        open_reviews = [f"{signoff_label(c)} {state}" for r, c in signoff_roles().items()
                        if r != "final" and (state := signoff_state(r, file, today)) != "approved"]
        if open_reviews:
            return Judgement(Status.FAILED, f"final approval by {signoff.reviewer} on {signoff.date} "
                             f"({signoff.location}) but not every review is signed off: {', '.join(open_reviews)}",
                             seen)
    return Judgement(Status.PASSED, "", seen)
