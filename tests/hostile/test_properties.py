"""Property-based tests of the readers: whatever the input, a reader returns or raises its own error naming
the file, never a bare Python exception, and what reaches the checks has the shapes they read.

Derandomized with a small budget, so CI runs the same few hundred examples every time.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_readiness.api import SourceError
from pytest_readiness.sources import yaml_reader
from pytest_readiness.sources.kube import manifests, shapes
from pytest_readiness.sources.kube.model import selector_matches
from pytest_readiness.sources.manual import readiness_file
from pytest_readiness.sources.repo import agent_config, dockerfile
from tests.hostile.conftest import DEPLOYMENT, GOOD, HostileRun

FAST = settings(derandomize=True, max_examples=40, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
DISPLAY = "deployment/kubernetes/deployment.yaml"
BASE = yaml.safe_load((GOOD / DEPLOYMENT).read_text(encoding="utf-8"))

# The fields the checks read, as paths into the example Deployment.
FIELDS: list[tuple[str | int, ...]] = [
    ("spec",), ("spec", "replicas"), ("spec", "selector"), ("spec", "template"), ("spec", "template", "metadata"),
    ("spec", "template", "metadata", "labels"), ("spec", "template", "spec"),
    ("spec", "template", "spec", "containers"), ("spec", "template", "spec", "containers", 0),
    *(("spec", "template", "spec", "containers", 0, name) for name in (
        "name", "image", "ports", "env", "envFrom", "resources", "securityContext", "livenessProbe",
        "readinessProbe", "startupProbe", "lifecycle", "volumeMounts")),
    ("spec", "template", "spec", "containers", 0, "resources", "limits"),
    ("spec", "template", "spec", "containers", 0, "resources", "requests", "cpu"),
    ("spec", "template", "spec", "containers", 0, "ports", 0), ("spec", "template", "spec", "containers", 0, "env", 0),
    ("spec", "template", "spec", "containers", 0, "securityContext", "capabilities"),
    ("spec", "template", "spec", "volumes"), ("spec", "template", "spec", "affinity"),
    ("spec", "template", "spec", "securityContext"), ("spec", "template", "spec", "topologySpreadConstraints"),
    ("metadata",), ("metadata", "name"), ("metadata", "labels"), ("metadata", "annotations"),
]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-(10**30), 10**30),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30))
wrong_values = st.one_of(
    scalars,
    st.lists(scalars, max_size=4),
    st.dictionaries(st.text(max_size=8), scalars, max_size=4),
    st.integers(50, 600).map(lambda depth: json.loads("[" * depth + "]" * depth)),  # deep nesting
    st.integers(10_000, 200_000).map(lambda size: "x" * size),  # huge value
)


def _set(body: dict[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    node: Any = changed
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return changed


def _exercise(loaded_objects: list[Any]) -> None:
    """What checks do with what they are given: none of it may raise."""
    from pytest_readiness.sources.kube.model import workloads

    for obj in loaded_objects:
        assert shapes.first_problem(obj.body) is None
        _ = (obj.name, obj.namespace, obj.labels, obj.annotations, obj.spec, obj.ref, str(obj))
    for workload in workloads(loaded_objects):
        _ = (workload.replicas, workload.pod_labels, workload.pod_spec, str(workload))
        selector_matches(workload.obj.spec.get("selector"), workload.pod_labels)
        for container in [*workload.init_containers, *workload.containers]:
            _ = (container.name, container.ref, container.location, container.effective("runAsNonRoot"))
            for name in ("ports", "env", "envFrom", "volumeMounts"):
                assert all(isinstance(entry, dict) for entry in container.list_field(name))


def _dump(body: dict[str, Any]) -> str:
    try:
        return yaml.safe_dump(body, sort_keys=False)
    except RecursionError:
        return "[" * 600 + "]" * 600


@FAST
@given(st.sampled_from(FIELDS), wrong_values)
def test_a_manifest_with_one_wrong_field_loads_or_is_a_located_problem(path: tuple[str | int, ...],
                                                                       value: Any) -> None:
    text = _dump(_set(BASE, path, value)) + "---\n" + _dump(BASE).replace("msft-agent", "other", 1)

    objects, problems = manifests.parse_text(text, DISPLAY)

    assert all(p.location.path == DISPLAY and p.location.line for p in problems), problems
    assert all(len(p.message) < 1000 for p in problems)
    assert len(objects) + len(problems) == 2 or problems  # each object is read or reported
    assert "Deployment/other" in [o.ref for o in objects]  # the good one is always read
    _exercise(objects)


yaml_text = st.text(alphabet=st.sampled_from(list("ab:-[]{}&*!|>'\"#\n ,?%@`0.9\\\t~")), max_size=300)


@FAST
@given(yaml_text)
def test_any_yaml_text_gives_objects_or_located_problems(text: str) -> None:
    objects, problems = manifests.parse_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n" + text, DISPLAY)
    assert all(p.location.path == DISPLAY for p in problems)
    _exercise(objects)


@FAST
@given(yaml_text)
def test_ci_yaml_gives_data_or_a_yaml_error(text: str) -> None:
    try:
        yaml_reader.load_all("on: push\njobs:\n  build:\n" + text)
    except yaml.YAMLError as error:
        _, problem = yaml_reader.problem_of(error)
        assert problem and len(problem) < 1000


CONFIG_TEXT = (GOOD / "config/agent.toml").read_text(encoding="utf-8")
toml_noise = st.one_of(st.text(max_size=80), st.sampled_from([
    "[a.b.c]", "x = " + "[" * 900 + "]" * 900, "y = " + "9" * 5000, "= =", "[[agent]]", 'z = """', "k = 1979-05-27T",
    "[" + ".".join("t" * 3 for _ in range(200)) + "]"]))


@FAST
@given(st.integers(0, CONFIG_TEXT.count("\n")), toml_noise)
def test_agent_toml_is_data_or_a_source_error_naming_the_file(line: int, noise: str) -> None:
    lines = CONFIG_TEXT.splitlines()
    text = "\n".join([*lines[:line], noise, *lines[line:]])
    try:
        data = agent_config.parse_toml(text, "config/agent.toml")
    except SourceError as error:
        assert error.where.startswith("config/agent.toml") and len(error.problem) < 1000
    else:
        assert agent_config.nesting_depth(data) <= agent_config.MAX_TOML_DEPTH


instruction = st.one_of(
    st.sampled_from(["FROM python:3.12", "USER 10001", "RUN echo", "\\", "ARG X=1", "FROM a AS b", "COPY . .",
                     "HEALTHCHECK NONE", "ENV A=b", "EXPOSE 8080", "ONBUILD RUN x", "CMD [\"a\"", "# comment", ""]),
    st.text(max_size=40))


@FAST
@given(st.lists(instruction, max_size=30))
def test_a_dockerfile_is_stages_or_a_source_error_naming_it(lines: list[str]) -> None:
    try:
        parsed = dockerfile.parse("\n".join(lines), "deployment/Dockerfile")
    except SourceError as error:
        assert error.where.startswith("deployment/Dockerfile") and len(error.problem) < 1000
    else:
        assert parsed.stages and all(isinstance(i.cmd, str) for s in parsed.stages for i in s.instructions)
        parsed.effective_user()


READINESS_TEXT = (GOOD / "readiness.toml").read_text(encoding="utf-8")


@FAST
@given(st.integers(0, READINESS_TEXT.count("\n")), toml_noise)
def test_readiness_toml_never_raises_and_every_problem_names_it(line: int, noise: str) -> None:
    import tempfile

    lines = READINESS_TEXT.splitlines()
    with tempfile.TemporaryDirectory() as directory:
        Path(directory, "readiness.toml").write_text("\n".join([*lines[:line], noise, *lines[line:]]),
                                                     encoding="utf-8")
        loaded = readiness_file.load(Path(directory), "readiness.toml")
    assert all(p.location.path == "readiness.toml" and len(p.message) < 1000 for p in loaded.problems)


@pytest.mark.slow
@settings(derandomize=True, max_examples=4, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.sampled_from(FIELDS[3:]), wrong_values)
def test_a_run_on_a_wrong_field_completes_and_is_never_ready_after_an_error(
        hostile_project: Path, hostile_run: Callable[..., HostileRun], path: tuple[str | int, ...], value: Any) -> None:
    (hostile_project / DEPLOYMENT).write_text(_dump(_set(BASE, path, value)), encoding="utf-8")

    run = hostile_run(in_process=True)

    assert run.result.ret in (0, 1), run.output[-3000:]
    assert "INTERNALERROR" not in run.output
    assert run.report is not None  # valid JSON
    errored = [r for r in run.report["results"] if r["status"] == "error"]
    assert not (errored and run.ready)
    assert all(len(r["message"]) < 2000 for r in run.report["results"])
