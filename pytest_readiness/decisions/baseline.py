"""--readiness-baseline: compare this run's failures with a previous JSON report."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pytest_readiness.results import Change, CheckResult, Status

SCHEMA_MAJOR = "1"
_NOW_FIXED = (Status.PASSED, Status.NOT_APPLICABLE)


@dataclass(frozen=True)
class Baseline:
    path: str
    failing: frozenset[str]  # result keys that failed or errored in the baseline run

    def change_of(self, result: CheckResult) -> Change | None:
        if result.status.counts_as_failure:
            return Change.KNOWN if result.key in self.failing else Change.NEW
        if result.status in _NOW_FIXED and result.key in self.failing:
            return Change.FIXED
        return None


def load(path: Path) -> Baseline:
    """Raises ValueError naming the problem when `path` is not a readiness JSON report."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}:{exc.lineno}: not JSON: {exc.msg}") from None
    version = str(data.get("schema_version", "")) if isinstance(data, dict) else ""
    if version.split(".")[0] != SCHEMA_MAJOR or not isinstance(data.get("results"), list):
        raise ValueError(f"{path} is not a pytest-readiness JSON report (schema_version {SCHEMA_MAJOR}.x)")
    failing = frozenset(
        str(r["key"]) for r in data["results"]
        if isinstance(r, dict) and "key" in r and r.get("status") in (Status.FAILED, Status.ERROR)
    )
    return Baseline(str(path), failing)
