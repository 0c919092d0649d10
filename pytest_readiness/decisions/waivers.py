"""Waivers: readiness.toml [[waiver]] entries and readiness.io/waive-<check> annotations.

A failed or errored result covered by a current waiver becomes WAIVED. Precedence: a current
readiness.toml waiver, then an expired one (the check stays failed, naming it), then an annotation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from fnmatch import fnmatchcase

from pytest_readiness.catalog import Check
from pytest_readiness.results import AppliedWaiver, CheckResult, Problem, Status
from pytest_readiness.secrets import mask_in_text
from pytest_readiness.sources.kube.model import KubeObject
from pytest_readiness.sources.manual.readiness_file import Waiver

ANNOTATION_PREFIX = "readiness.io/waive-"
STATES = ("applied", "expired", "stale", "not_evaluated", "ignored", "invalid")
# nodeid -> other names of the object a result is about (an Azure resource's ARM id), set by the source's
# fixture in the process that runs the test; a waiver whose object is such a name covers the result
_OBJECT_NAMES: dict[str, tuple[str, ...]] = {}
_PLACEHOLDER = re.compile(r"(\{[^{}/]+\})")  # {subscriptionId}: a declared id's part not known before deployment


def name_object(nodeid: str, *names: str) -> None:
    """Let a waiver name the result of test `nodeid` by these ids too (none: forget the earlier ones)."""
    if names:
        _OBJECT_NAMES[nodeid] = names
    else:
        _OBJECT_NAMES.pop(nodeid, None)


def object_names(nodeid: str) -> tuple[str, ...]:
    """The other names of test `nodeid`'s object (they travel with its result to the xdist controller)."""
    return _OBJECT_NAMES.get(nodeid, ())


def _id_matches(pattern: str, resource_id: str) -> bool:
    """ARM ids compare case-insensitively; a declared id's {placeholder} stands for any one segment."""
    wanted, name = pattern.lower().rstrip("/"), resource_id.lower().rstrip("/")
    if _PLACEHOLDER.search(name):
        regex = "".join("[^/]+" if _PLACEHOLDER.fullmatch(part) else re.escape(part)
                        for part in _PLACEHOLDER.split(name))
        return re.fullmatch(regex, wanted) is not None
    return fnmatchcase(name, wanted) or fnmatchcase(name, wanted + "/*")


def covers(waiver: Waiver, result: CheckResult) -> bool:
    """The waiver names the result's check and its target, or (an ARM resource id) the resource it is about."""
    if waiver.matches(result.check.id, result.target):
        return True
    if waiver.check_id != result.check.id or not waiver.object.startswith("/"):
        return False
    return any(_id_matches(waiver.object, name) for name in _OBJECT_NAMES.get(result.nodeid, ()))


@dataclass
class WaiverRecord:
    """A waiver as the reports list it, with what became of it in this run."""

    kind: str  # "file" or "annotation"
    source: str
    check_id: str
    object: str
    justification: str
    approver: str
    expires: date | None
    state: str = "not_evaluated"  # one of STATES
    matched: list[str] = field(default_factory=list)  # result keys it waived (or, expired, failed to)


def object_key(obj: KubeObject) -> tuple[str, str]:
    return obj.ref, str(obj.location)


def annotation_reason(obj: KubeObject, check_id: str) -> str:
    return str(obj.annotations.get(ANNOTATION_PREFIX + check_id.lower(), "") or "").strip()


@dataclass
class WaiverBook:
    waivers: list[Waiver]
    today: date
    use_annotations: bool
    applied: dict[int, list[str]] = field(default_factory=dict)  # waiver index -> keys
    expired_hits: dict[int, list[str]] = field(default_factory=dict)
    annotation_hits: dict[tuple[tuple[str, str], str], list[str]] = field(default_factory=dict)

    def apply(self, result: CheckResult, workload: KubeObject | None) -> None:
        """Waive `result` in place if a waiver covers it; name an expired one in its message."""
        if not result.status.counts_as_failure:
            return
        matching = [(i, w) for i, w in enumerate(self.waivers) if covers(w, result)]
        current = [(i, w) for i, w in matching if w.is_current(self.today)]
        for i, _ in current:
            self.applied.setdefault(i, []).append(result.key)
        if current:
            waiver = current[0][1]
            result.status = Status.WAIVED
            result.waiver = AppliedWaiver(str(waiver.location), waiver.justification, waiver.approver, waiver.expires)
            return
        if matching:
            for i, _ in matching:
                self.expired_hits.setdefault(i, []).append(result.key)
            names = "; ".join(f"{w} expired after {w.expires}" for _, w in matching)
            result.message = f"{result.message}\n{names}: renew it with a new expiry or fix the failure".lstrip()
            return
        reason = annotation_reason(workload, result.check.id) if workload is not None else ""
        if self.use_annotations and workload is not None and reason:
            self.annotation_hits.setdefault((object_key(workload), result.check.id), []).append(result.key)
            result.status = Status.WAIVED
            source = f"annotation {ANNOTATION_PREFIX}{result.check.id.lower()} on {workload}"
            result.waiver = AppliedWaiver(source, mask_in_text(reason))


def _unresolved_state(covered: list[CheckResult]) -> str:
    """For a waiver that waived nothing: stale when every result it covers was decided and not failing."""
    if not covered or any(r.status is Status.UNVERIFIED for r in covered):
        return "not_evaluated"
    return "stale"


def file_records(book: WaiverBook, results: list[CheckResult], lookup: Callable[[str], Check | None],
                 problems: list[Problem]) -> list[WaiverRecord]:
    records = []
    for i, waiver in enumerate(book.waivers):
        record = WaiverRecord("file", str(waiver.location), waiver.check_id, waiver.object, waiver.justification,
                              waiver.approver, waiver.expires)
        ran = [r for r in results if r.check.id == waiver.check_id]
        if lookup(waiver.check_id) is None:
            record.state = "invalid"
            problems.append(Problem(waiver.location, f"waiver for unknown check id {waiver.check_id!r}"))
        elif not waiver.is_current(book.today):
            record.state, record.matched = "expired", book.expired_hits.get(i, [])
        elif i in book.applied:
            record.state, record.matched = "applied", book.applied[i]
        elif ran:
            covered = [r for r in ran if covers(waiver, r)]
            record.state = _unresolved_state(covered) if covered else "stale"
        records.append(record)
    return records


def annotation_records(book: WaiverBook, workloads: dict[tuple[str, str], KubeObject],
                       results_of: dict[tuple[str, str], list[CheckResult]],
                       lookup: Callable[[str], Check | None], problems: list[Problem]) -> list[WaiverRecord]:
    """Every readiness.io/waive-* annotation on a workload this run checked."""
    records = []
    for key, obj in workloads.items():
        for name, reason in obj.annotations.items():
            if not str(name).startswith(ANNOTATION_PREFIX):
                continue
            wanted = str(name).removeprefix(ANNOTATION_PREFIX).upper()
            source = f"annotation {name} on {obj}"
            record = WaiverRecord("annotation", source, wanted, obj.ref, mask_in_text(str(reason or "")), "", None)
            hits = book.annotation_hits.get((key, wanted))
            if not book.use_annotations:
                record.state = "ignored"
            elif lookup(wanted) is None:
                record.state = "invalid"
                problems.append(Problem(obj.location, f"{source}: unknown check id {wanted!r}"))
            elif not str(reason or "").strip():
                record.state = "invalid"
                problems.append(Problem(obj.location, f"{source}: a waiver annotation needs a reason as its value"))
            elif hits:
                record.state, record.matched = "applied", hits
            else:
                record.state = _unresolved_state([r for r in results_of.get(key, []) if r.check.id == wanted])
            records.append(record)
    return records
