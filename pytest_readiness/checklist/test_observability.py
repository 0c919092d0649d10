"""Observability: the seed's Logging, Tracing, Metrics and Alerting sections, read from the agent config,
the manifests and the repository's monitoring files (alert rules, dashboards).

Checks: OBS-LOG-LEVEL, OBS-STRUCTURED-LOGS, OBS-TRACING, OBS-SAMPLE-RATE, OBS-METRICS, OBS-METRICS-PORT,
OBS-DASHBOARDS, OBS-ALERT-ERROR-RATE, OBS-ALERT-LATENCY-P95, OBS-ALERT-POD-RESTARTS, OBS-ALERT-MEMORY,
OBS-ALERT-RUNBOOKS.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import pytest
import yaml

from pytest_readiness import Evidence, SourceError, Unverified, check, not_applicable, unverified
from pytest_readiness.results import Location
from pytest_readiness.sources import yaml_reader
from pytest_readiness.sources.common import integer, optional_fixture
from pytest_readiness.sources.kube.container_env import env_named, env_set
from pytest_readiness.sources.kube.fixtures import load_manifests
from pytest_readiness.sources.kube.model import KubeObject, ObjectSet, Workload, selector_matches
from pytest_readiness.sources.repo.agent_config import AgentConfig
from pytest_readiness.sources.repo.config_keys import OBSERVABILITY
from pytest_readiness.sources.repo.files import Repo

QUIET_LEVELS = frozenset({"INFO", "WARNING", "WARN", "ERROR", "CRITICAL", "FATAL"})
VERBOSE_LEVELS = frozenset({"DEBUG", "TRACE", "NOTSET", "ALL", "VERBOSE"})
INFO_LEVEL_NUMBER = 20  # Python's logging.INFO
LOG_LEVEL_VARS = ("LOG_LEVEL", "AGENT_LOG_LEVEL", "AGENT__LOG_LEVEL")
LOG_FORMAT_VARS = ("LOG_FORMAT", "AGENT_LOG_FORMAT", "AGENT__LOG_FORMAT")
TRACE_EXPORTERS = ("azure", "otlp")
SAMPLER_VAR = "OTEL_TRACES_SAMPLER"
SAMPLER_ARG_VAR = "OTEL_TRACES_SAMPLER_ARG"
TRACING_ENV_VARS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                    "APPLICATIONINSIGHTS_CONNECTION_STRING", "AZURE_MONITOR_CONNECTION_STRING")
TRACING_OFF_VARS = ("OTEL_TRACES_EXPORTER", "OTEL_SDK_DISABLED")
SEED_SAMPLE_ADVICE = "sample a fraction instead, e.g. sample_rate = 0.1 (10% sampling for high traffic)"


def _readable_manifests(request: pytest.FixtureRequest) -> ObjectSet | None:
    """The manifests that parsed, for checks that look for something: a find in them is a find."""
    try:
        return load_manifests(request.config)
    except Unverified:
        return None


def _require_complete(objects: ObjectSet | None, missing: str) -> None:
    """What was not found may sit in a manifest that could not be read: no verdict then."""
    if objects is not None and objects.problems:
        first = objects.problems[0]
        raise SourceError(str(first.location), f"{first.message} (so {missing} may be in it)")


# --- logging ------------------------------------------------------------------------------------

def _level_problem(value: Any) -> str | None:
    if integer(value) is not None:
        return None if value >= INFO_LEVEL_NUMBER else f"numeric level {value} is more verbose than INFO"
    text = str(value).strip()
    if text.isdigit():
        return _level_problem(int(text))
    if text.upper() in QUIET_LEVELS:
        return None
    if text.upper() in VERBOSE_LEVELS:
        return f"{text} logs too much in production (prompts, payloads, cost) and may leak data"
    return f"{text!r} is not a log level (expected INFO, WARNING or ERROR)"


def _sources(request: pytest.FixtureRequest) -> tuple[AgentConfig | None, ObjectSet | None]:
    """The agent config and the manifests, each None when the repo has none."""
    return optional_fixture(request, "agent_config")[0], optional_fixture(request, "manifests")[0]


def _settings(config: AgentConfig | None, key: str, objects: ObjectSet | None,
              names: tuple[str, ...]) -> list[tuple[Any, str, Location]]:
    """(value, what, where) of a setting in the agent config, then in what the containers get."""
    found = [(config.get(key), key, config.where(key))] if config is not None and config.has(key) else []
    return found + [(e.value, f"{e.container} env {e.name}", e.where) for e in env_named(objects, names)]


def _nowhere(config: AgentConfig | None, key: str, names: tuple[str, ...]) -> str:
    shown = config.describe(key) if config is not None else "no agent config in the repo"
    return f"{shown}, and no container sets {'/'.join(names)}"


@check("OBS-LOG-LEVEL")
def test_log_level(request: pytest.FixtureRequest, evidence: Evidence) -> None:
    config, objects = _sources(request)
    settings = _settings(config, "agent.log_level", objects, LOG_LEVEL_VARS)
    if not settings:
        unverified(f"{_nowhere(config, 'agent.log_level', LOG_LEVEL_VARS)}: set [agent] log_level = \"INFO\" (or "
                   "LOG_LEVEL in the Deployment) so the production level does not depend on a default")
    for value, what, where in settings:
        evidence.add(f"{what} = {value!r}", where)
        if problem := _level_problem(value):
            evidence.finding(f"{what}: {problem}", where)
    evidence.fail_if_findings("the production log level is more verbose than INFO")


@check("OBS-STRUCTURED-LOGS")
def test_structured_logs(request: pytest.FixtureRequest, evidence: Evidence) -> None:
    config, objects = _sources(request)
    settings = _settings(config, "agent.log_format", objects, LOG_FORMAT_VARS)
    if not settings and config is None:
        unverified(f"{_nowhere(config, 'agent.log_format', LOG_FORMAT_VARS)}: the code's default format is not "
                   "known; set LOG_FORMAT=json in the Deployment or [agent] log_format = \"json\"")
    if not settings:
        pytest.fail(f"{_nowhere(config, 'agent.log_format', LOG_FORMAT_VARS)}: nothing selects JSON log output",
                    pytrace=False)
    for value, what, where in settings:
        evidence.add(f"{what} = {value!r}", where)
        if str(value).strip().lower() != "json":
            evidence.finding(f"{what} = {value!r}: logs are not JSON, so fields cannot be indexed", where)
    evidence.fail_if_findings("logs are not structured (JSON)")


# --- tracing and metrics ------------------------------------------------------------------------

def _enabled_with_exporter(agent_config: AgentConfig, evidence: Evidence, signal: str, subject: str,
                           exporters: tuple[str, ...]) -> None:
    """`<signal>_enabled = true` and `<signal>_exporter` one of `exporters` under [agent.observability]."""
    enabled, exporter = f"{OBSERVABILITY}.{signal}_enabled", f"{OBSERVABILITY}.{signal}_exporter"
    evidence.add(agent_config.describe(enabled))
    evidence.add(agent_config.describe(exporter))
    if agent_config.get(enabled) is not True:
        evidence.finding(f"{subject} not enabled ({signal}_enabled = {agent_config.get(enabled)!r})",
                         agent_config.where(enabled))
    chosen = agent_config.get(exporter)
    if not isinstance(chosen, str) or chosen.lower() not in exporters:
        allowed = f'"{exporters[0]}"' if len(exporters) == 1 else f"one of {', '.join(exporters)}"
        evidence.finding(f"{signal}_exporter must be {allowed}, got {chosen!r}", agent_config.where(exporter))


def _configures(config: AgentConfig | None, signal: str) -> bool:
    return config is not None and any(config.has(f"{OBSERVABILITY}.{signal}_{k}") for k in ("enabled", "exporter"))


def _tracing_env(objects: ObjectSet | None, evidence: Evidence) -> bool:
    """Whether a container gets a trace exporter's endpoint; findings for an exporter switched off."""
    for env in env_named(objects, TRACING_OFF_VARS):
        if env.value.strip().lower() in ("none", "true"):
            evidence.finding(f"{env.container} env {env.name}={env.value}: traces are not exported", env.where)
    found = env_set(objects, TRACING_ENV_VARS)
    for env in found:
        evidence.add(f"{env.container} env {env.name} is set (the manifests decide)", env.where)
    return bool(found)


@check("OBS-TRACING")
def test_tracing_enabled(request: pytest.FixtureRequest, evidence: Evidence) -> None:
    config, config_absent = optional_fixture(request, "agent_config")
    if config is not None and _configures(config, "tracing"):
        _enabled_with_exporter(config, evidence, "tracing", "tracing is", TRACE_EXPORTERS)
        return evidence.fail_if_findings("distributed tracing is not enabled with an exporter")
    objects = optional_fixture(request, "manifests")[0]
    exported = _tracing_env(objects, evidence)
    evidence.fail_if_findings("distributed tracing is switched off")
    if exported:
        return None
    if objects is None:
        unverified(f"{config_absent or 'no tracing settings in the agent config'}, and no manifests show the "
                   "exporter's environment: set --readiness-manifests or [agent.observability] tracing_enabled")
    pytest.fail(f"{_nowhere(config, f'{OBSERVABILITY}.tracing_enabled', TRACING_ENV_VARS)}: no trace exporter is "
                "configured", pytrace=False)


def _env_sample_rate(objects: ObjectSet | None, evidence: Evidence) -> None:
    sampler = next(iter(env_named(objects, (SAMPLER_VAR,))), None)
    arg = next(iter(env_named(objects, (SAMPLER_ARG_VAR,))), None)
    if sampler is not None:
        evidence.add(f"{sampler.container} env {SAMPLER_VAR}={sampler.value}", sampler.where)
        name = sampler.value.strip().lower()
        if name == "always_off":
            not_applicable(f"{sampler.where}: {SAMPLER_VAR}=always_off keeps no trace; OBS-TRACING reports tracing")
        assert "ratio" in name, (f"{sampler.where}: {SAMPLER_VAR}={sampler.value} keeps every trace; use "
                                 f"parentbased_traceidratio with {SAMPLER_ARG_VAR}=0.1")
    assert arg is not None, f"{SAMPLER_ARG_VAR} is not set: the ratio sampler keeps every trace (ratio 1.0)"
    evidence.add(f"{arg.container} env {SAMPLER_ARG_VAR}={arg.value}", arg.where)
    try:
        ratio = float(arg.value)
    except ValueError:
        pytest.fail(f"{arg.where}: {SAMPLER_ARG_VAR}={arg.value!r} is not a number", pytrace=False)
    assert 0 < ratio < 1, f"{arg.where}: {SAMPLER_ARG_VAR}={arg.value}: sample a fraction; {SEED_SAMPLE_ADVICE}"


@check("OBS-SAMPLE-RATE")
def test_sample_rate(request: pytest.FixtureRequest, evidence: Evidence) -> None:
    config, objects = _sources(request)
    key = f"{OBSERVABILITY}.sample_rate"
    if config is not None and config.get(f"{OBSERVABILITY}.tracing_enabled") is False:
        not_applicable(f"tracing is disabled ({config.describe(f'{OBSERVABILITY}.tracing_enabled')}); "
                       "OBS-TRACING reports that")
    if config is None or not config.has(key):
        if env_named(objects, (SAMPLER_VAR, SAMPLER_ARG_VAR)):
            return _env_sample_rate(objects, evidence)
        if config is None and objects is None:
            unverified("neither an agent config nor manifests show the trace sampler: set --readiness-config or "
                       "--readiness-manifests")
        if config is None:
            if not env_set(objects, TRACING_ENV_VARS):
                not_applicable("no agent config and no container exports traces; OBS-TRACING reports that")
            pytest.fail(f"containers export traces but none sets {SAMPLER_VAR}/{SAMPLER_ARG_VAR}: every trace is "
                        f"kept; {SEED_SAMPLE_ADVICE}", pytrace=False)
    value: Any = config.get(key)
    evidence.add(config.describe(key))
    if value is None:
        pytest.fail(f"{config.describe(key)}: without a sample rate OpenTelemetry samples every trace; "
                    f"{SEED_SAMPLE_ADVICE}", pytrace=False)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        pytest.fail(f"{config.describe(key)}: the sample rate must be a number greater than 0 and at most 1",
                    pytrace=False)
    assert value < 1, f"{config.describe(key)}: every trace is kept, which is costly at production traffic; " + (
        SEED_SAMPLE_ADVICE)
    return None


@check("OBS-METRICS")
def test_metrics_enabled(request: pytest.FixtureRequest, evidence: Evidence) -> None:
    config = optional_fixture(request, "agent_config")[0]
    if config is not None and _configures(config, "metrics"):
        _enabled_with_exporter(config, evidence, "metrics", "metrics are", ("prometheus",))
        return evidence.fail_if_findings("metrics are not exported for Prometheus")
    objects = optional_fixture(request, "manifests")[0]
    if objects is None:
        unverified("no [agent.observability] metrics settings and no manifests to show scraping: set "
                   "--readiness-manifests or metrics_enabled/metrics_exporter")
    serving = [w for w in objects.workloads() if w.is_serving]
    scraped = [(w, how) for w in serving for how, _, _ in _scrape_targets(w, objects)]
    exporters = [e for e in env_named(objects, ("OTEL_METRICS_EXPORTER",)) if e.value.strip().lower() != "none"]
    for workload, how in scraped:
        evidence.add(f"{workload.ref}: {how} (the manifests decide)", workload.location)
    for env in exporters:
        evidence.add(f"{env.container} env OTEL_METRICS_EXPORTER={env.value} (the manifests decide)", env.where)
    assert scraped or exporters, (f"{_nowhere(config, f'{OBSERVABILITY}.metrics_enabled', ('OTEL_METRICS_EXPORTER',))}"
                                  ", and no serving workload is scraped (prometheus.io/scrape, PodMonitor, "
                                  "ServiceMonitor): no metrics reach Prometheus")
    return None


# --- is the metrics port declared and scraped? --------------------------------------------------

def _is_agent(workload: Workload, name: Any) -> bool:
    labels = workload.pod_labels
    return name is not None and name in (workload.obj.name, labels.get("app"), labels.get("app.kubernetes.io/name"))


def _declared_port(workload: Workload, port: Any) -> int | None:
    """The containerPort that `port` (a number or a port name) refers to, if a container declares it."""
    for container in workload.containers:
        for declared in container.spec.get("ports") or []:
            number = declared.get("containerPort")
            if str(port) in (str(number), str(declared.get("name"))):
                return number if isinstance(number, int) else None
    return None


def _selects(service: KubeObject, workload: Workload) -> bool:
    selector = service.spec.get("selector") or {}
    return bool(selector) and all(workload.pod_labels.get(k) == v for k, v in selector.items())


def _near(a: KubeObject, b: KubeObject) -> bool:
    return a.namespace is None or b.namespace is None or a.namespace == b.namespace


def _scrape_targets(workload: Workload, objects: ObjectSet) -> Iterator[tuple[str, Any, Location]]:
    """(how Prometheus finds the pods, the port it scrapes or None for every declared port, where)."""
    annotations = (workload.pod_template.get("metadata") or {}).get("annotations") or {}
    if str(annotations.get("prometheus.io/scrape", "")).lower() == "true":
        yield "pod annotation prometheus.io/scrape", annotations.get("prometheus.io/port"), workload.location
    services = [s for s in objects.of_kind("Service") if _near(s, workload.obj) and _selects(s, workload)]
    for service in services:
        if str(service.annotations.get("prometheus.io/scrape", "")).lower() == "true":
            port = service.annotations.get("prometheus.io/port")
            yield f"{service.ref} annotation prometheus.io/scrape", port, service.location
    for monitor in objects.of_kind("PodMonitor"):
        if _near(monitor, workload.obj) and selector_matches(monitor.spec.get("selector"), workload.pod_labels):
            for endpoint in monitor.spec.get("podMetricsEndpoints") or []:
                yield monitor.ref, endpoint.get("port", endpoint.get("targetPort")), monitor.location
    for monitor in objects.of_kind("ServiceMonitor"):
        for service in services:
            if not selector_matches(monitor.spec.get("selector"), service.labels):
                continue
            for endpoint in monitor.spec.get("endpoints") or []:
                yield f"{monitor.ref} via {service.ref}", _service_target(service, endpoint), monitor.location


def _service_target(service: KubeObject, endpoint: Mapping[str, Any]) -> Any:
    if "targetPort" in endpoint:
        return endpoint["targetPort"]
    for port in service.spec.get("ports") or []:
        if endpoint.get("port") in (port.get("name"), port.get("port")):
            return port.get("targetPort", port.get("port"))
    return f"{endpoint.get('port')} (no such Service port)"


@check("OBS-METRICS-PORT")
def test_metrics_port_scraped(workload: Workload, kube_objects: ObjectSet, request: pytest.FixtureRequest,
                              evidence: Evidence) -> None:
    if not workload.is_serving:
        not_applicable(f"{workload.ref} runs to completion and serves no metrics")
    config: AgentConfig | None = optional_fixture(request, "agent_config")[0]
    name = config.get("agent.name") if config else None
    serving = [w for w in kube_objects.workloads() if w.is_serving]
    if any(_is_agent(w, name) for w in serving) and not _is_agent(workload, name):
        not_applicable(f"{workload.ref} is not the agent (agent.name = {name!r})")
    key = f"{OBSERVABILITY}.metrics_port"
    expected = config.get(key) if config else None
    declared = [p.get("containerPort") for c in workload.containers for p in c.spec.get("ports") or []]
    evidence.add(f"{workload.ref} declares container ports {declared}", workload.location)
    if config is not None and expected is not None:
        evidence.add(config.describe(key))
        if _declared_port(workload, expected) is None:
            evidence.finding(f"{workload.ref}: no container declares containerPort {expected}, the agent's "
                             f"metrics_port ({config.where(key)})", workload.location)
    targets = list(_scrape_targets(workload, kube_objects))
    unlisted = [k for k in ("PodMonitor", "ServiceMonitor") if not kube_objects.covers(k)]
    if not targets and unlisted:
        unverified(f"{workload.ref} has no prometheus.io/scrape annotation, and {kube_objects.name} does not list "
                   f"{' or '.join(unlisted)} objects that could select it: check the monitors in the repo's manifests")
    if not targets:
        evidence.finding(f"nothing tells Prometheus to scrape {workload.ref}: no prometheus.io/scrape annotation, "
                         "no PodMonitor and no ServiceMonitor selects it", workload.location)
    for how, port, where in targets:
        evidence.add(f"{how} scrapes port {port if port is not None else '(every declared port)'}", where)
        resolved = _declared_port(workload, port) if port is not None else None
        if port is None and not declared:
            evidence.finding(f"{how} scrapes every declared port, but {workload.ref} declares none", where)
        elif port is not None and resolved is None:
            evidence.finding(f"{how} scrapes port {port}, which no container of {workload.ref} declares", where)
        elif resolved is not None and expected is not None and resolved != expected:
            evidence.finding(f"{how} scrapes port {resolved}, but the agent serves metrics on {expected}", where)
    evidence.fail_if_findings(f"{workload.ref}: the metrics port is not exposed for scraping")


# --- dashboards ---------------------------------------------------------------------------------

_DASHBOARD_TEXT = re.compile(r'"panels"|Notebook/1\.0|Microsoft\.Portal/dashboards|Microsoft\.Insights/workbooks',
                             re.IGNORECASE)
_IAC_DASHBOARD = re.compile(r"Microsoft\.Portal/dashboards|Microsoft\.Insights/workbooks|azurerm_portal_dashboard"
                            r'|azurerm_application_insights_workbook|resource\s+"grafana_dashboard"')


def _panel_count(node: Any) -> int:
    if not isinstance(node, Mapping):
        return 0
    panels = node.get("panels")
    own = [p for p in panels if isinstance(p, Mapping)] if isinstance(panels, list) else []
    rows = node.get("rows")
    nested = own + (rows if isinstance(rows, list) else [])
    return len([p for p in own if p.get("type") != "row"]) + sum(_panel_count(p) for p in nested)


def _dashboard_kind(data: Any) -> str | None:
    if not isinstance(data, Mapping):
        return None
    inner = data.get("dashboard") if isinstance(data.get("dashboard"), Mapping) else data
    if (count := _panel_count(inner)):
        return f"Grafana dashboard with {count} panels"
    if data.get("version") == "Notebook/1.0" and data.get("items"):
        return f"Azure Monitor workbook with {len(data['items'])} items"
    types = {str(r.get("type", "")).lower() for r in data.get("resources") or [] if isinstance(r, Mapping)}
    if types & {"microsoft.portal/dashboards", "microsoft.insights/workbooks"}:
        return "ARM template of an Azure dashboard or workbook"
    return None


def _json_dashboards(repo: Repo, path: str) -> Iterator[str]:
    text = repo.text(path)
    if not text or not _DASHBOARD_TEXT.search(text):
        return
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if "dashboard" in path.lower() or "workbook" in path.lower():
            raise SourceError(f"{path}:{exc.lineno}", f"invalid JSON: {exc.msg}") from None
        return
    kind = _dashboard_kind(data)
    if kind:
        yield kind


def _manifest_dashboards(objects: ObjectSet | None) -> Iterator[tuple[str, Location]]:
    for obj in objects.objects if objects else []:
        if obj.kind == "GrafanaDashboard":
            yield f"{obj.ref} (Grafana operator)", obj.location
        elif obj.kind == "ConfigMap" and "grafana_dashboard" in obj.labels:
            for key, value in (obj.body.get("data") or {}).items():
                try:
                    kind = _dashboard_kind(json.loads(str(value)))
                except json.JSONDecodeError:
                    kind = None
                if kind:
                    yield f"{obj.ref} key {key}: {kind}", obj.location


@check("OBS-DASHBOARDS")
def test_dashboards_in_repo(repo: Repo, request: pytest.FixtureRequest, evidence: Evidence) -> None:
    for path in repo.matching("*.json"):
        for kind in _json_dashboards(repo, path):
            evidence.add(kind, path)
    for path in repo.matching("*.bicep", "*.tf"):
        match = _IAC_DASHBOARD.search(repo.text(path) or "")
        if match:
            evidence.add(f"infrastructure as code defines {match.group(0)}", path)
    objects = _readable_manifests(request)
    for detail, where in _manifest_dashboards(objects):
        evidence.add(detail, where)
    if not evidence.items:
        _require_complete(objects, "a dashboard ConfigMap")
    assert evidence.items, (
        "no dashboard definition in the repository: looked for Grafana dashboard JSON (with panels), Azure "
        "Monitor workbooks, Azure dashboard templates (ARM/Bicep/Terraform) and grafana_dashboard ConfigMaps"
    )


# --- alert rules --------------------------------------------------------------------------------

@dataclass(frozen=True)
class AlertRule:
    name: str
    expr: str
    annotations: Mapping[str, Any]
    where: Location

    def __str__(self) -> str:
        return f"{self.where}: alert {self.name}"


def _line_of_alert(repo: Repo, path: str, name: str, after: int) -> int | None:
    pattern = re.compile(rf"""^\s*-?\s*alert:\s*["']?{re.escape(name)}["']?\s*(#.*)?$""")
    for number, line in enumerate((repo.text(path) or "").splitlines(), start=1):
        if number >= after and pattern.match(line):
            return number
    return None


def _rules_of(groups: Any, repo: Repo, where: Location) -> Iterator[AlertRule]:
    for group in groups if isinstance(groups, list) else []:
        rules = group.get("rules") if isinstance(group, Mapping) else None
        for rule in rules if isinstance(rules, list) else []:
            if isinstance(rule, Mapping) and rule.get("alert"):
                name = str(rule["alert"])
                line = _line_of_alert(repo, where.path, name, where.line or 1) or where.line
                yield AlertRule(name, str(rule.get("expr", "")), rule.get("annotations") or {},
                                Location(where.path, line))


def _rule_documents(repo: Repo, path: str) -> Iterator[tuple[Any, int]]:
    text = repo.text(path) or ""
    if "alert" not in text:
        return
    try:
        for document in yaml_reader.documents(text):
            if isinstance(document, yaml_reader.Refused):
                raise document
            node, data = document
            yield data, node.start_mark.line + 1
    except yaml.YAMLError as exc:
        if "PrometheusRule" in text or re.search(r"^groups:", text, re.MULTILINE):
            line, problem = yaml_reader.problem_of(exc)
            raise SourceError(f"{path}:{line}" if line else path, f"invalid YAML: {problem}") from None


def alert_rules(repo: Repo, objects: ObjectSet | None) -> list[AlertRule]:
    """Alert rules of PrometheusRule manifests and Prometheus rules files anywhere in the repo."""
    rules: list[AlertRule] = []
    seen = {o.location.path for o in objects.objects} | {p.location.path for p in objects.problems} if objects \
        else set()
    seen.update(repo.ci_files())
    for obj in objects.of_kind("PrometheusRule") if objects else []:
        rules.extend(_rules_of(obj.spec.get("groups"), repo, obj.location))
    for path in repo.matching("*.yaml", "*.yml"):
        if path in seen:
            continue
        for data, line in _rule_documents(repo, path):
            if not isinstance(data, Mapping):
                continue
            groups = (data.get("spec") or {}).get("groups") if data.get("kind") == "PrometheusRule" else None
            rules.extend(_rules_of(groups or data.get("groups"), repo, Location(path, line)))
    return rules


UNREADABLE = "cannot be read from the expression"
_NUMBER = r"(\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|\.\d+)"
_THRESHOLD = re.compile(rf"(?<![<=!])>=?\s*(?:bool\s+)?{_NUMBER}")
_PERCENT = re.compile(r"\*\s*100\b")
_WINDOW = re.compile(r"\[(\d+)([smhdw])\]")
_WINDOW_HOURS = {"s": 1 / 3600, "m": 1 / 60, "h": 1.0, "d": 24.0, "w": 168.0}


def _threshold(expr: str) -> float | None:
    match = _THRESHOLD.search(expr)
    return float(match.group(1)) if match else None


def _ratio_threshold(expr: str) -> float | None:
    """A share threshold as a fraction: `> 0.01`, `* 100 > 1` and bare `> 1` (a ratio never exceeds 1)."""
    value = _threshold(expr)
    if value is None:
        return None
    return value / 100 if _PERCENT.search(expr) or value > 1 else value


def _is_ratio(expr: str) -> bool:
    return "/" in expr or re.search(r"ratio|percent|utili[sz]ation", expr, re.IGNORECASE) is not None


def _error_problem(rule: AlertRule) -> str | None:
    if not _is_ratio(rule.expr):
        return "alerts on a count of errors, not on the share of failed requests"
    value = _ratio_threshold(rule.expr)
    if value is None:
        return f"its threshold {UNREADABLE}"
    return None if value <= 0.01 else f"fires only above {value:.2%} errors (the checklist says 1%)"


def _quantile(rule: AlertRule) -> float | None:
    match = re.search(rf"histogram_quantile\(\s*{_NUMBER}", rule.expr)
    if match:
        return float(match.group(1))
    match = re.search(r"(?<![A-Za-z0-9])p(\d{2})(?!\d)", f"{rule.expr} {rule.name}", re.IGNORECASE)
    return int(match.group(1)) / 100 if match else None


def _latency_problem(rule: AlertRule) -> str | None:
    quantile, value = _quantile(rule), _threshold(rule.expr)
    if quantile is None or value is None:
        return f"its percentile or threshold {UNREADABLE}"
    if re.search(r"_ms\b|millis", rule.expr, re.IGNORECASE):
        value /= 1000
    if quantile < 0.95:
        return f"alerts on p{quantile * 100:g}, which hides the slow tail the p95 alert is for"
    return None if value <= 5 else f"fires only above {value:g}s (the checklist says p95 > 5s)"


def _restarts_per_hour(rule: AlertRule) -> float | None:
    value, window = _threshold(rule.expr), _WINDOW.search(rule.expr)
    if value is None or window is None:
        return None
    if re.search(r"\b(increase|changes)\(", rule.expr):
        return value / (int(window.group(1)) * _WINDOW_HOURS[window.group(2)])
    if re.search(r"\b(i?rate)\(", rule.expr) and re.search(r"\*\s*3600\b", rule.expr):
        return value
    return None


def _restart_problem(rule: AlertRule) -> str | None:
    per_hour = _restarts_per_hour(rule)
    if per_hour is None:
        return f"its restart count and window {UNREADABLE}"
    return None if per_hour <= 3 else f"fires only above {per_hour:g} restarts per hour (the checklist says 3)"


_MEMORY_SHARE = re.compile(r"/\s*(?:\(|\w+\s*\()*[^/]*?(?:limit|request)|utili[sz]ation|percent", re.IGNORECASE)


def _memory_problem(rule: AlertRule) -> str | None:
    if not _MEMORY_SHARE.search(rule.expr):
        return ("alerts on an absolute amount of memory (or divides by a constant), not on the share of the "
                "container's memory limit or request")
    value = _ratio_threshold(rule.expr)
    if value is None:
        return f"its threshold {UNREADABLE}"
    return None if value <= 0.8 else f"fires only above {value:.0%} of memory (the checklist says 80%)"


ALERT_KINDS = {
    "OBS-ALERT-ERROR-RATE": ("error rate > 1%", re.compile(r"error|fail|5xx|[=~]\"5", re.I), _error_problem),
    "OBS-ALERT-LATENCY-P95": ("latency p95 > 5s", re.compile(r"latency|duration|response_time|quantile|\bp9\d",
                                                             re.I), _latency_problem),
    "OBS-ALERT-POD-RESTARTS": ("pod restarts > 3/hour", re.compile(r"restart", re.I), _restart_problem),
    "OBS-ALERT-MEMORY": ("memory usage > 80%", re.compile(r"memory", re.I), _memory_problem),
}


def _check_alert(check_id: str, repo: Repo, request: pytest.FixtureRequest, evidence: Evidence) -> None:
    label, pattern, problem_of = ALERT_KINDS[check_id]
    objects = _readable_manifests(request)
    rules = alert_rules(repo, objects)
    candidates = [r for r in rules if pattern.search(r.name) or pattern.search(r.expr)]
    if not candidates:
        _require_complete(objects, f"an alert on {label}")
        pytest.fail(f"no alert rule on {label} among the {len(rules)} alert rules in the repo"
                    + (f" ({', '.join(r.name for r in rules)})" if rules else
                       ": commit a PrometheusRule manifest or Prometheus rules file"), pytrace=False)
    for rule in candidates:
        problem = problem_of(rule)
        if problem is None:
            evidence.add(f"alert {rule.name}: {' '.join(rule.expr.split())}", rule.where)
            return
        evidence.finding(f"alert {rule.name}: {problem}", rule.where)
    _require_complete(objects, f"an alert on {label}")
    if all(UNREADABLE in f.detail for f in evidence.findings):
        unverified(f"found alert rules on {label} but could not read their thresholds: "
                   + "; ".join(str(f) for f in evidence.findings) + ". Verify them by hand and waive this check")
    evidence.fail_if_findings(f"no alert rule fires on {label}")


@check("OBS-ALERT-ERROR-RATE")
def test_alert_error_rate(repo: Repo, request: pytest.FixtureRequest, evidence: Evidence) -> None:
    _check_alert("OBS-ALERT-ERROR-RATE", repo, request, evidence)


@check("OBS-ALERT-LATENCY-P95")
def test_alert_latency_p95(repo: Repo, request: pytest.FixtureRequest, evidence: Evidence) -> None:
    _check_alert("OBS-ALERT-LATENCY-P95", repo, request, evidence)


@check("OBS-ALERT-POD-RESTARTS")
def test_alert_pod_restarts(repo: Repo, request: pytest.FixtureRequest, evidence: Evidence) -> None:
    _check_alert("OBS-ALERT-POD-RESTARTS", repo, request, evidence)


@check("OBS-ALERT-MEMORY")
def test_alert_memory(repo: Repo, request: pytest.FixtureRequest, evidence: Evidence) -> None:
    _check_alert("OBS-ALERT-MEMORY", repo, request, evidence)


_REPO_LINK = re.compile(r"/(?:-/)?(?:blob|tree)/[^/]+/(?P<path>[^?#]+)")


def _runbook_problem(url: str, repo: Repo) -> str | None:
    """A link into this repository (relative, or a blob/tree URL) must name a file that exists.

    A link whose directories do not exist here points at another repository or a wiki: accepted.
    """
    if re.match(r"^[a-z][a-z0-9+.-]*://", url, re.IGNORECASE):
        match = _REPO_LINK.search(url)
        if match is None:
            return None
        target = match.group("path")
    else:
        target = url.split("#")[0].removeprefix("./")
    parts = target.strip("/").split("/")
    suffixes = ["/".join(parts[i:]) for i in range(max(1, len(parts) - 1))]  # monorepo prefixes dropped
    directories = {str(PurePosixPath(f).parent) for f in repo.files}
    if any(s in repo.files or s in directories for s in suffixes):
        return None
    if any("/".join(parts[i:-1]) in directories for i in range(len(parts) - 1)):
        return f"runbook_url {url} points at {target}, which is not in the repository"
    return None


@check("OBS-ALERT-RUNBOOKS")
def test_alerts_link_runbooks(repo: Repo, request: pytest.FixtureRequest, evidence: Evidence) -> None:
    objects = _readable_manifests(request)
    rules = alert_rules(repo, objects)
    _require_complete(objects, "more alert rules")
    if not rules:
        unverified("no alert rules in the repo to check for runbook links (the OBS-ALERT-* checks report that)")
    for rule in rules:
        url = str(rule.annotations.get("runbook_url") or "").strip()
        if not url:
            evidence.finding(f"alert {rule.name} has no runbook_url annotation", rule.where)
            continue
        problem = _runbook_problem(url, repo)
        if problem:
            evidence.finding(f"alert {rule.name}: {problem}", rule.where)
        else:
            evidence.add(f"alert {rule.name} -> {url}", rule.where)
    evidence.fail_if_findings("alerts without a runbook to follow")

