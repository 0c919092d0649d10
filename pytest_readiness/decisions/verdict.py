"""The run's verdict: exit policy, per-category scores, and the one `RunReport` every report renders.

Three verdicts. NOT READY (exit 1): a failed or errored check at or above --readiness-fail-on (with
--readiness-fail-on-new only when it is new against the baseline), any problem in readiness.toml, and
with --readiness-strict an unverified critical check. NOT VERIFIED (exit 101, as InSpec's skipped
controls): nothing fails, but a critical check in scope is unverified; --readiness-allow-unverified
accepts that. READY (exit 0) otherwise. Checks a selection left out (-m, -k, --readiness-check,
--readiness-skip-check) are "not run": out of scope, named in the verdict, never counted as READY
for the checklist. The score is reported, never a gate.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from datetime import date, timedelta

from pytest_readiness.api import lookup
from pytest_readiness.catalog import CATEGORIES, CATEGORY_PRIORITY, PRIORITIES, load_catalog
from pytest_readiness.decisions.baseline import Baseline
from pytest_readiness.decisions.waivers import WaiverBook, WaiverRecord, annotation_records, file_records
from pytest_readiness.results import Change, CheckResult, Problem, Status
from pytest_readiness.sources.kube.model import KubeObject
from pytest_readiness.sources.manual.attestation import expires_on, signoff_state, valid_days
from pytest_readiness.sources.manual.readiness_file import ReadinessFile, signoff_label, signoff_roles

PRIORITY_WEIGHT = {"critical": 4, "high": 3, "medium": 2, "low": 1}
# A check run on several objects takes the worst of its results, in this order.
WORST_FIRST = (Status.ERROR, Status.FAILED, Status.UNVERIFIED, Status.WAIVED, Status.PASSED, Status.NOT_APPLICABLE)


READY, NOT_READY, NOT_VERIFIED = "ready", "not ready", "not verified"
EXIT_CODES = {READY: 0, NOT_READY: 1, NOT_VERIFIED: 101}
CAUSES_SHOWN = 3


@dataclass(frozen=True)
class Policy:
    fail_on: str = "low"
    strict: bool = False
    fail_on_new: bool = False
    ignore_annotations: bool = False
    allow_unverified: bool = False

    def gates(self, result: CheckResult) -> bool:
        """A failure the policy counts, or (strict) an unverified critical check."""
        if result.status.counts_as_failure:
            at_or_above = PRIORITIES.index(result.check.priority) <= PRIORITIES.index(self.fail_on)
            return at_or_above and (not self.fail_on_new or result.change is Change.NEW)
        return self.strict and unverified_critical(result)

    def stops_unverified(self, result: CheckResult) -> bool:
        """An unverified critical check that keeps the run from READY (NOT VERIFIED) unless accepted."""
        return not self.strict and not self.allow_unverified and unverified_critical(result)


def unverified_critical(result: CheckResult) -> bool:
    return result.status is Status.UNVERIFIED and result.check.priority == "critical"


@dataclass(frozen=True)
class Cause:
    """Unverified results that share one missing input: one fix verifies them all."""

    count: int
    text: str

    def __str__(self) -> str:
        return f"{self.count} {'check' if self.count == 1 else 'checks'}: {self.text}"


@dataclass(frozen=True)
class Verdict:
    passed: bool
    reasons: list[str]
    gating: list[str]  # result keys that fail the run (or keep it from READY)
    not_gating: list[str]  # failures reported but below the policy
    state: str = READY  # ready, not ready, not verified
    selected: int = 0  # checks (ids) this run ran
    not_run: list[str] = field(default_factory=list)  # catalog checks the selection left out
    causes: list[Cause] = field(default_factory=list)  # the biggest causes of unverified results

    @property
    def exit_status(self) -> int:
        return EXIT_CODES[self.state]

    @property
    def headline(self) -> str:
        word = self.state.upper()
        return f"{word} for {self.selected} selected checks; {len(self.not_run)} not run" if self.not_run else word


@dataclass(frozen=True)
class CategorySummary:
    name: str
    status: str  # PASS, FAIL, INCOMPLETE, not run
    priority: str
    counts: dict[str, int]
    score: float | None


@dataclass(frozen=True)
class SignOffRow:
    role: str
    label: str
    check_id: str
    reviewer: str
    date: datetime.date | None
    recorded: str  # approved, rejected, pending, or "" when absent
    state: str  # approved, expired, rejected, pending, missing, invalid
    valid_through: datetime.date | None
    check_status: str  # the sign-off check's status in this run, or "not run"
    source: str


@dataclass(frozen=True)
class BaselineDiff:
    path: str
    new: list[str]
    known: list[str]
    fixed: list[str]


@dataclass
class RunReport:
    today: date
    policy: Policy
    results: list[CheckResult]
    categories: list[CategorySummary]
    totals: dict[str, int]
    signoffs: list[SignOffRow]
    waivers: list[WaiverRecord]
    problems: list[Problem]
    baseline: BaselineDiff | None
    verdict: Verdict
    readiness_file: str
    exit_status: int = 0


def counts(results: list[CheckResult]) -> dict[str, int]:
    return {s.value: sum(r.status is s for r in results) for s in Status}


def category_status(results: list[CheckResult]) -> str:
    statuses = {r.status for r in results}
    if not results:
        return "not run"
    if Status.FAILED in statuses or Status.ERROR in statuses:
        return "FAIL"
    if Status.UNVERIFIED in statuses:
        return "INCOMPLETE"
    return "PASS"


def check_statuses(results: list[CheckResult]) -> dict[str, Status]:
    """Each check's status over all its objects: the worst one."""
    worst: dict[str, Status] = {}
    for result in results:
        known = worst.get(result.check.id)
        if known is None or WORST_FIRST.index(result.status) < WORST_FIRST.index(known):
            worst[result.check.id] = result.status
    return worst


def score(results: list[CheckResult]) -> float | None:
    """100 × weight of passed checks / weight of applicable checks (None when nothing applies)."""
    priority = {r.check.id: r.check.priority for r in results}
    statuses = check_statuses(results)
    applicable = {c: s for c, s in statuses.items() if s is not Status.NOT_APPLICABLE}
    total = sum(PRIORITY_WEIGHT[priority[c]] for c in applicable)
    if not total:
        return None
    passed = sum(PRIORITY_WEIGHT[priority[c]] for c, s in applicable.items() if s is Status.PASSED)
    return round(100 * passed / total, 1)


def categories(results: list[CheckResult]) -> list[CategorySummary]:
    summaries = []
    for name in CATEGORIES:
        mine = [r for r in results if r.check.category == name]
        label = CATEGORY_PRIORITY[name] if name != "compliance" else "variable"
        summaries.append(CategorySummary(name, category_status(mine), label, counts(mine), score(mine)))
    return summaries


def unverified_causes(results: list[CheckResult]) -> list[Cause]:
    """Unverified results grouped by what is missing (the reason up to its first ': '), biggest first."""
    groups: dict[str, list[str]] = {}
    for result in results:
        if result.status is Status.UNVERIFIED:
            message = result.message.splitlines()[0] if result.message else "no reason given"
            groups.setdefault(message.split(": ")[0], []).append(message)
    causes = []
    for head, messages in groups.items():
        text = messages[0] if len(set(messages)) == 1 else f"{head} (e.g. {messages[0].removeprefix(head + ': ')})"
        causes.append(Cause(len(messages), text if len(text) <= 200 else text[:197] + "..."))
    causes.sort(key=lambda c: (-c.count, c.text))
    return causes


def not_run(results: list[CheckResult]) -> list[str]:
    """Catalog checks with no result: a marker, -k or --readiness-(skip-)check left them out."""
    ran = {r.check.id for r in results}
    return [check_id for check_id in load_catalog() if check_id not in ran]


def decide(results: list[CheckResult], policy: Policy, problems: list[Problem]) -> Verdict:
    gating = [r for r in results if policy.gates(r)]
    failures = [r for r in gating if r.status.counts_as_failure]
    unverified = [r for r in gating if r.status is Status.UNVERIFIED]
    unseen = [r for r in results if policy.stops_unverified(r)]
    reasons = []
    if failures:
        scope = f"at or above {policy.fail_on}" + (" and new against the baseline" if policy.fail_on_new else "")
        reasons.append(f"{len(failures)} failed or errored checks {scope}")
    if unverified:
        reasons.append(f"strict: {len(unverified)} critical checks unverified")
    if problems:
        reasons.append(f"{len(problems)} problems in readiness inputs (readiness.toml, waiver annotations)")
    blocked = bool(reasons)
    if unseen:
        reasons.append(f"{len(unseen)} critical checks unverified (accept with --readiness-allow-unverified)")
    state = NOT_READY if blocked else NOT_VERIFIED if unseen else READY
    not_gating = [r.key for r in results if r.status.counts_as_failure and not policy.gates(r)]
    return Verdict(state == READY, reasons, [r.key for r in gating + unseen], not_gating, state,
                   len({r.check.id for r in results}), not_run(results), unverified_causes(results))


def signoff_rows(file: ReadinessFile, results: list[CheckResult], today: date) -> list[SignOffRow]:
    statuses = check_statuses(results)
    rows = []
    for role, check in signoff_roles().items():
        signoff = file.signoffs.get(role)
        through = None
        if signoff is not None:
            through = expires_on(signoff.date, valid_days(check, signoff.valid_days)) - timedelta(days=1)
        problem = file.problem_for(f"signoff.{role}")
        source = str(problem.location if problem else signoff.location if signoff else file.display)
        rows.append(SignOffRow(
            role, signoff_label(check), check.id, signoff.reviewer if signoff else "",
            signoff.date if signoff else None, signoff.status if signoff else "", signoff_state(role, file, today),
            through, statuses[check.id].value if check.id in statuses else "not run", source,
        ))
    order = ("security", "architecture", "operations", "compliance", "final")
    rows.sort(key=lambda row: order.index(row.role) if row.role in order else len(order))
    return rows


def baseline_diff(path: str, results: list[CheckResult]) -> BaselineDiff:
    def keys(change: Change) -> list[str]:
        return [r.key for r in results if r.change is change]

    return BaselineDiff(path, keys(Change.NEW), keys(Change.KNOWN), keys(Change.FIXED))


def assemble(results: list[CheckResult], file: ReadinessFile, book: WaiverBook, policy: Policy, today: date,
             baseline: Baseline | None, workloads: dict[tuple[str, str], KubeObject],
             workload_by_node: dict[str, tuple[str, str]]) -> RunReport:
    """Everything the reports show, decided once from the run's results."""
    problems = list(file.problems)
    results_of: dict[tuple[str, str], list[CheckResult]] = {}
    for result in results:
        if result.nodeid in workload_by_node:
            results_of.setdefault(workload_by_node[result.nodeid], []).append(result)
    waivers = file_records(book, results, lookup, problems)
    waivers += annotation_records(book, workloads, results_of, lookup, problems)
    return RunReport(
        today=today,
        policy=policy,
        results=results,
        categories=categories(results),
        totals=counts(results),
        signoffs=signoff_rows(file, results, today),
        waivers=waivers,
        problems=problems,
        baseline=baseline_diff(baseline.path, results) if baseline else None,
        verdict=decide(results, policy, problems),
        readiness_file=file.display,
    )
