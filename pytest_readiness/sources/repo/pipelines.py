"""The repository's CI definitions (GitHub Actions, Azure Pipelines, GitLab CI) as pipelines of steps, with
the events that run them; local templates, includes and composite actions are followed. Parsed once per
session (`session_pipelines`)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import pytest
import yaml

from pytest_readiness.api import SourceError
from pytest_readiness.results import Location
from pytest_readiness.session import cache_of
from pytest_readiness.sources import yaml_reader
from pytest_readiness.sources.repo.files import Repo

STEP_KEYS = ("run", "script", "bash", "pwsh", "powershell", "uses", "task", "template", "before_script",
             "after_script", "image")
INPUT_KEYS = ("with", "inputs")
GITLAB_IMAGE_KEYS = frozenset({"name", "entrypoint", "docker", "pull_policy", "kubernetes"})

@dataclass(frozen=True)
class Step:
    text: str
    where: Location
    soft: str = ""  # why the step's failure does not fail the pipeline (continue-on-error, allow_failure)


@dataclass
class Pipeline:
    path: str
    steps: list[Step] = field(default_factory=list)
    events: set[str] = field(default_factory=set)  # "pr" and/or "main": what runs it
    includes: list[str] = field(default_factory=list)  # local templates, includes, called workflows
    remote: list[str] = field(default_factory=list)  # templates or workflows kept in another repository


def _scalars(node: yaml.Node) -> Iterator[str]:
    if isinstance(node, yaml.ScalarNode):
        yield str(node.value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _scalars(item)
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from (f"{key.value}: {text}" for text in _scalars(value))


SOFT_KEYS = ("continue-on-error", "allow_failure", "continueOnError")


def _soft(keys: dict[str, yaml.Node]) -> str:
    for key in SOFT_KEYS:
        node = keys.get(key)
        if isinstance(node, yaml.ScalarNode) and node.value.lower() == "true":
            return f"{key}: true (line {node.start_mark.line + 1})"
        if isinstance(node, yaml.MappingNode):  # GitLab allow_failure: {exit_codes: [...]}
            return f"{key} (line {node.start_mark.line + 1})"
    return ""


def _is_step_value(key: str, node: yaml.Node) -> bool:
    """A step key's value, not a job named like one (a GitHub Actions job `image:` holding `runs-on`, `steps`)."""
    if not isinstance(node, yaml.MappingNode):
        return True
    return key == "image" and {str(k.value) for k, _ in node.value} <= GITLAB_IMAGE_KEYS


def _steps(node: yaml.Node, path: str, soft: str = "") -> Iterator[Step]:
    """Every mapping that runs something (a step, a GitLab job, a template reference), with its line;
    `soft` when it, or the job holding it, may fail without failing the pipeline."""
    if isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _steps(item, path, soft)
    if not isinstance(node, yaml.MappingNode):
        return
    keys = {str(k.value): v for k, v in node.value if isinstance(k, yaml.ScalarNode)}
    soft = soft or _soft(keys)
    runs = [k for k in STEP_KEYS if k in keys and _is_step_value(k, keys[k])]
    if runs:
        texts = [t for k in runs for t in _scalars(keys[k])]
        texts += [t for k in INPUT_KEYS if k in keys for t in _scalars(keys[k])]
        yield Step("\n".join(texts), Location(path, node.start_mark.line + 1), soft)
    for _, value in node.value:
        yield from _steps(value, path, soft)


def _load(text: str, path: str) -> tuple[list[yaml.Node], Any]:
    """The documents' nodes (for line numbers) and, for a single document, its data built from the same nodes."""
    try:
        nodes = [n for n in yaml_reader.compose_all(text) if n is not None]
        return nodes, (_construct(nodes[0]) if len(nodes) == 1 else None)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SourceError(f"{path}:{mark.line + 1}" if mark else path, f"invalid YAML: {problem}") from None


def _construct(node: yaml.Node) -> Any:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_document(node)
    finally:
        loader.dispose()


_GITLAB_BRANCH = re.compile(r"\$\{?CI_COMMIT_BRANCH\b\}?"
                            r"""(?:\s*(?P<op>==|!=)\s*(?P<value>\$\{?\w+\}?|"[^"]*"|'[^']*'))?""")
_GITLAB_PUSH = re.compile(r"CI_PIPELINE_SOURCE\}?\s*==\s*[\"']push[\"']")
_GITLAB_MAIN = re.compile(r"^(?:\$\{?CI_DEFAULT_BRANCH\}?|[\"'](?:main|master)[\"'])$")
_MAIN = re.compile(r"^(?:main|master|\*\*?|refs/heads/(?:main|master))$")


def _branches_allow_main(spec: Any) -> bool:
    if isinstance(spec, Mapping):
        spec = spec.get("branches", spec.get("include"))
        if isinstance(spec, Mapping):
            spec = spec.get("include")
    return spec is None or any(_MAIN.match(str(b)) for b in (spec if isinstance(spec, list) else [spec]))


def _github_events(data: Mapping[Any, Any]) -> set[str]:
    on = data.get("on", data.get(True))  # YAML 1.1 reads a bare `on:` key as True
    triggers = on if isinstance(on, Mapping) else dict.fromkeys(on if isinstance(on, list) else [on])
    events = set()
    if any(t in triggers for t in ("pull_request", "pull_request_target", "merge_group")):
        events.add("pr")
    if "push" in triggers and _branches_allow_main(triggers["push"]):
        events.add("main")
    return events


def _azure_events(data: Mapping[Any, Any]) -> set[str]:
    events = set()
    if data.get("pr") not in ("none", False):
        events.add("pr")
    if data.get("trigger") not in ("none", False) and _branches_allow_main(data.get("trigger")):
        events.add("main")
    return events


def _gitlab_events(data: Mapping[Any, Any]) -> set[str]:
    """Without `workflow: rules`, GitLab runs a branch pipeline on every push, merge request branches and main
    included; with them, only what a rule that is not `when: never` lets through."""
    workflow = data.get("workflow")
    rules = workflow.get("rules") if isinstance(workflow, Mapping) else None
    if not isinstance(rules, list):
        return {"pr", "main"}
    events: set[str] = set()
    for rule in (r for r in rules if isinstance(r, Mapping) and r.get("when") != "never"):
        condition = str(rule.get("if") or "")
        if "merge_request_event" in condition:
            events.add("pr")
        branch = _GITLAB_BRANCH.search(condition)
        if not condition or _GITLAB_PUSH.search(condition) or (branch and not branch.group("op")):
            events |= {"pr", "main"}  # every branch pipeline
        elif branch and branch.group("op") == "!=":
            events.add("pr")  # the branch pipelines of every branch but one
        elif branch and _GITLAB_MAIN.match(branch.group("value")):
            events.add("main")
    return events


def _kind(path: str) -> str:
    return "github" if path.startswith(".github/") else "gitlab" if ".gitlab-ci" in path else "azure"


def _events(kind: str, data: Any) -> set[str]:
    if not isinstance(data, Mapping):
        return set()
    if kind == "gitlab":
        return _gitlab_events(data)
    return _github_events(data) if kind == "github" else _azure_events(data)


def _references(data: Any, kind: str) -> Iterator[tuple[str, bool]]:
    """(target, is_local) of the templates, includes and reusable workflows a CI definition uses."""
    if isinstance(data, list):
        for item in data:
            yield from _references(item, kind)
    if not isinstance(data, Mapping):
        return
    for key, value in data.items():
        if key == "uses" and isinstance(value, str):
            if value.startswith("./"):
                yield value[2:], True
            elif ".github/workflows/" in value:
                yield value, False
        elif key == "template" and isinstance(value, str) and kind == "azure":
            target, _, alias = value.partition("@")
            yield (target, True) if alias in ("", "self") else (value, False)
        elif key == "include" and kind == "gitlab":
            for entry in value if isinstance(value, list) else [value]:
                if isinstance(entry, str):
                    yield entry.lstrip("/"), "://" not in entry
                elif isinstance(entry, Mapping) and "local" in entry:
                    yield str(entry["local"]).lstrip("/"), True
                elif isinstance(entry, Mapping) and not entry.keys() <= {"template", "rules", "inputs"}:
                    yield ", ".join(f"{k}: {v}" for k, v in entry.items() if isinstance(v, str)), False
        yield from _references(value, kind)


def _resolve_local(target: str, including: str, repo: Repo) -> str | None:
    candidates = [target.lstrip("/"), str(PurePosixPath(including).parent / target), f"{target}/action.yml",
                  f"{target}/action.yaml"]
    return next((c for c in candidates if c in repo.files), None)


def pipelines(repo: Repo) -> list[Pipeline]:
    """Every CI definition with its steps, following local templates, includes and composite actions."""
    roots = repo.ci_files()
    queue, found = [(path, _kind(path)) for path in roots], {}
    while queue:
        path, kind = queue.pop(0)
        if path in found:
            continue
        nodes, data = _load(repo.text(path) or "", path)
        pipeline = Pipeline(path, events=_events(kind, data) if path in roots else set())
        for node in nodes:
            pipeline.steps.extend(_steps(node, path))
        for target, is_local in _references(data, kind):
            local = _resolve_local(target, path, repo) if is_local else None
            if local:
                pipeline.includes.append(local)
                queue.append((local, kind))
            else:
                pipeline.remote.append(target)
        found[path] = pipeline
    for _ in found:  # templates and called workflows run when the pipelines that use them run
        for pipeline in found.values():
            for child in pipeline.includes:
                found[child].events |= pipeline.events
    return list(found.values())




def session_pipelines(config: pytest.Config, repo: Repo) -> list[Pipeline]:
    """`pipelines(repo)`, parsed once per session."""
    return cache_of(config).get("ci_pipelines", lambda: pipelines(repo))
