"""The Quick Assessment table at the end of a run, like the seed checklist's."""

from __future__ import annotations

from pytest_readiness.catalog import CATEGORIES, CATEGORY_PRIORITY, PRIORITIES
from pytest_readiness.results import CheckResult, ResultStore, Status

COLUMNS = (Status.PASSED, Status.FAILED, Status.ERROR, Status.WAIVED, Status.UNVERIFIED, Status.NOT_APPLICABLE)
HEADINGS = ("passed", "failed", "error", "waived", "unverified", "n/a")


def category_status(results: list[CheckResult]) -> str:
    statuses = {r.status for r in results}
    if not results:
        return "not run"
    if Status.FAILED in statuses or Status.ERROR in statuses:
        return "FAIL"
    if Status.UNVERIFIED in statuses:
        return "INCOMPLETE"
    return "PASS"


def quick_assessment(store: ResultStore) -> list[str]:
    grouped = store.by_category()
    header = f"{'Category':<14} {'Status':<11} " + " ".join(f"{h:>10}" for h in HEADINGS) + "  Priority"
    lines = [header, "-" * len(header)]
    for category in CATEGORIES:
        results = grouped.get(category, [])
        counts = " ".join(f"{sum(r.status is s for r in results):>10}" for s in COLUMNS)
        priority = CATEGORY_PRIORITY[category] if category != "compliance" else "variable"
        lines.append(f"{category.title():<14} {category_status(results):<11} {counts}  {priority}")
    total = " ".join(f"{sum(r.status is s for r in store.results):>10}" for s in COLUMNS)
    lines.append(f"{'Total':<14} {category_status(store.results):<11} {total}")
    return lines


def one_line(result: CheckResult) -> str:
    if result.findings:
        more = f" (+{len(result.findings) - 1} more)" if len(result.findings) > 1 else ""
        return f"{result.findings[0]}{more}"
    return result.message.splitlines()[0] if result.message else ""


def worst_failures(store: ResultStore, limit: int = 10) -> list[str]:
    failures = [r for r in store.results if r.status.counts_as_failure]
    failures.sort(key=lambda r: (PRIORITIES.index(r.check.priority), r.check.category, r.key))
    lines = [f"{r.check.priority:<8} {r.key}: {r.check.title}: {one_line(r)}" for r in failures[:limit]]
    if len(failures) > limit:
        lines.append(f"... and {len(failures) - limit} more")
    return lines
