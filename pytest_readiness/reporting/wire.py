"""A check's result as it travels on its pytest report, from the process that ran it to the one that reports.

Under pytest-xdist the checks run in workers and the reports are serialized to the controller; a
plain run takes the same path in one process. The payload is built from JSON-safe types only
(pytest's report serialization and execnet carry nothing else), and holds what the controller needs
to decide waivers: the result before any waiver, the workload it ran on (its annotations) and the other
names of its object (an Azure resource's ARM id, which a waiver may name).
"""

from __future__ import annotations

from dataclasses import asdict
from functools import lru_cache
from typing import Any

from pytest_readiness.catalog import Check
from pytest_readiness.decisions.waivers import name_object, object_names
from pytest_readiness.results import CheckResult, EvidenceItem, Location, Status
from pytest_readiness.sources.kube.model import KubeObject

ATTRIBUTE = "readiness_result"  # the TestReport attribute that carries the payload


def _location(location: Location | None) -> list[Any] | None:
    return None if location is None else [location.path, location.line]


def _item(item: EvidenceItem) -> list[Any]:
    return [_location(item.location), item.detail]


def _workload(obj: KubeObject) -> dict[str, Any]:
    metadata = {"name": obj.name, "annotations": {str(k): str(v) for k, v in obj.annotations.items()}}
    if obj.namespace:
        metadata["namespace"] = obj.namespace
    body = {"kind": obj.kind, "apiVersion": obj.api_version, "metadata": metadata}
    return {"body": body, "location": _location(obj.location), "origin": obj.origin}


@lru_cache(maxsize=1024)
def _check(check: Check) -> dict[str, Any]:
    """A check's metadata as JSON-safe types, made once per check (every item of a check carries it)."""
    return asdict(check)


def dump(result: CheckResult, workload: KubeObject | None) -> dict[str, Any]:
    """The payload of a result not yet waived (status, message, evidence) and its workload."""
    return {
        "check": {**_check(result.check), "seed": list(result.check.seed)},
        "nodeid": result.nodeid,
        "target": result.target,
        "status": result.status.value,
        "message": result.message,
        "evidence": [_item(e) for e in result.evidence],
        "findings": [_item(f) for f in result.findings],
        "workload": _workload(workload) if workload is not None else None,
        "object_names": list(object_names(result.nodeid)),
    }


def _load_location(data: list[Any] | None) -> Location | None:
    return None if data is None else Location(str(data[0]), data[1])


def _load_item(data: list[Any]) -> EvidenceItem:
    return EvidenceItem(_load_location(data[0]), str(data[1]))


def load(data: dict[str, Any]) -> tuple[CheckResult, KubeObject | None]:
    meta = dict(data["check"])
    meta["seed"] = tuple(meta["seed"])
    result = CheckResult(
        check=Check(**meta),
        nodeid=data["nodeid"],
        target=data["target"],
        status=Status(data["status"]),
        message=data["message"],
        evidence=[_load_item(e) for e in data["evidence"]],
        findings=[_load_item(f) for f in data["findings"]],
    )
    name_object(result.nodeid, *map(str, data.get("object_names", [])))  # here, where waivers are decided
    workload = None
    if data["workload"] is not None:
        where = _load_location(data["workload"]["location"])
        assert where is not None
        workload = KubeObject(data["workload"]["body"], where, data["workload"]["origin"])
    return result, workload
