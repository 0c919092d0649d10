"""The date every expiry is judged against: today in UTC, or READINESS_TODAY for reproducible runs."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime

TODAY_ENV = "READINESS_TODAY"


def today() -> date:
    """Today's UTC calendar date; `READINESS_TODAY=2026-11-25` fixes it (a testing and audit aid)."""
    fixed = os.environ.get(TODAY_ENV, "").strip()
    if not fixed:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(fixed)
    except ValueError:
        raise ValueError(f"{TODAY_ENV}={fixed!r} is not an ISO date (YYYY-MM-DD)") from None


def as_utc_date(value: object) -> date | None:
    """A TOML date, datetime (converted to UTC; a local datetime is taken as UTC) or ISO string."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    return None
