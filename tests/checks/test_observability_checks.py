"""The static observability checks, run with `pytest --readiness` on deployment repos written to disk.

GOOD passes every check; each test overrides one or two files of it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from pytest_readiness.catalog import load_catalog
from tests.checks.material import manifest, with_files

ONLY_OBSERVABILITY = ("-m", "observability and static", "-p", "no:hypothesispytest")
STATIC_IDS = [c.id for c in load_catalog().values() if c.category == "observability" and c.verify == "static"]
AGENT = "Deployment/msft-agent"

GOOD_CONFIG = """
    [agent]
    name = "msft-agent"
    log_level = "INFO"
    log_format = "json"

    [agent.observability]
    tracing_enabled = true
    tracing_exporter = "azure"
    sample_rate = 0.1
    metrics_enabled = true
    metrics_exporter = "prometheus"
    metrics_port = 8080
"""

RUNBOOK_BASE = "https://github.com/contoso/msft-agent/blob/main/docs/runbooks"
ERROR_RATE = "sum(rate(ai_assistant_errors_total[5m])) / sum(rate(ai_assistant_requests_total[5m])) > 0.01"
LATENCY = "histogram_quantile(0.95, sum by (le) (rate(ai_assistant_request_duration_seconds_bucket[5m]))) > 5"
RESTARTS = 'increase(kube_pod_container_status_restarts_total{container="agent"}[1h]) > 3'
MEMORY = ('container_memory_working_set_bytes{container="agent"} / '
          'kube_pod_container_resource_limits{container="agent", resource="memory"} > 0.8')
GOOD_ALERTS = {"AgentHighErrorRate": ERROR_RATE, "AgentHighLatency": LATENCY, "AgentPodRestarting": RESTARTS,
               "AgentHighMemory": MEMORY}


def prometheus_rule(alerts: dict[str, str], runbooks: bool = True) -> str:
    rules: list[dict[str, Any]] = [{"record": "msft_agent:request_rate:5m",
                                    "expr": "sum(rate(ai_assistant_requests_total[5m]))"}]
    for name, expr in alerts.items():
        rule: dict[str, Any] = {"alert": name, "expr": expr, "for": "5m", "labels": {"severity": "critical"}}
        if runbooks:
            rule["annotations"] = {"runbook_url": f"{RUNBOOK_BASE}/{name.lower()}.md"}
        rules.append(rule)
    return yaml.safe_dump({"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
                           "metadata": {"name": "msft-agent", "namespace": "msft-agent"},
                           "spec": {"groups": [{"name": "msft-agent", "rules": rules}]}}, sort_keys=False)


def deployment(name: str = "msft-agent", port: int = 8080, annotations: dict[str, str] | None = None,
               env: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The shared agent Deployment, renamed, scraped through pod annotations on `port` unless `annotations`."""
    obj = manifest("agent-deployment.yaml", {"metadata": {"name": name}, "spec": {
        "selector": {"matchLabels": {"app": name}}, "template": {"metadata": {"labels": {"app": name}}}}})
    obj["spec"]["template"]["metadata"]["annotations"] = (
        {"prometheus.io/scrape": "true", "prometheus.io/port": str(port)} if annotations is None else annotations)
    container = obj["spec"]["template"]["spec"]["containers"][0]
    container["ports"] = [{"name": "http", "containerPort": port}]
    if env:
        container["env"] = env
    return obj


def configmap(**data: str) -> dict[str, Any]:
    return {**manifest("agent-configmap.yaml"), "data": {"AGENT_ENVIRONMENT": "production", **data}}


def manifests(*objects: dict[str, Any]) -> str:
    return yaml.safe_dump_all(objects, sort_keys=False)


DASHBOARD = json.dumps({"title": "msft-agent overview", "panels": [
    {"type": "row", "title": "Traffic", "panels": []},
    {"type": "timeseries", "title": "p95 latency", "targets": [{"expr": "histogram_quantile(0.95, ...)"}]},
]}, indent=2)

GOOD: dict[str, str] = {
    "config/agent.toml": GOOD_CONFIG,
    "deployment/kubernetes/deployment.yaml": manifests(configmap(LOG_LEVEL="INFO"), deployment()),
    "deployment/kubernetes/prometheusrule.yaml": prometheus_rule(GOOD_ALERTS),
    "dashboards/agent-overview.json": DASHBOARD,
    **{f"docs/runbooks/{name.lower()}.md": f"# {name}\n\nImpact, triage, mitigation.\n" for name in GOOD_ALERTS},
}


def bad(overrides: dict[str, str | None]) -> dict[str, str]:
    return with_files(GOOD, overrides)


@pytest.fixture
def run(run_readiness):
    return lambda files, *args: run_readiness(files, *ONLY_OBSERVABILITY, *args)


def test_good_repo_passes_every_static_check(run) -> None:
    result = run(GOOD)
    assert {check: result.status(check) for check in STATIC_IDS if check != "OBS-METRICS-PORT"} == dict.fromkeys(
        [c for c in STATIC_IDS if c != "OBS-METRICS-PORT"], "passed")
    assert result.status(f"OBS-METRICS-PORT[{AGENT}]") == "passed"


BAD_CONFIG = """
    [agent]
    name = "msft-agent"
    log_level = "DEBUG"
    log_format = "text"

    [agent.observability]
    tracing_enabled = true
    tracing_exporter = "console"
    sample_rate = 1.0
    metrics_enabled = false
    metrics_exporter = "statsd"
    metrics_port = 9090
"""
BAD_ALERTS = {
    "AgentHighErrorRate": ERROR_RATE.replace("> 0.01", "> 0.05"),
    "AgentHighLatency": LATENCY.replace("0.95", "0.5"),
    "AgentPodRestarting": RESTARTS.replace("> 3", "> 10"),
    "AgentHighMemory": MEMORY.replace("> 0.8", "> 0.95"),
}


def test_each_gap_fails_and_names_the_file_and_line(run) -> None:
    result = run(bad({"config/agent.toml": BAD_CONFIG, "dashboards/agent-overview.json": None,
                      "deployment/kubernetes/prometheusrule.yaml": prometheus_rule(BAD_ALERTS, runbooks=False)}))
    expected = {
        "OBS-LOG-LEVEL": "config/agent.toml:3: agent.log_level: DEBUG logs too much",
        "OBS-STRUCTURED-LOGS": "config/agent.toml:4: agent.log_format = 'text'",
        "OBS-TRACING": "config/agent.toml:8: tracing_exporter must be one of azure, otlp, got 'console'",
        "OBS-SAMPLE-RATE": "config/agent.toml:9: agent.observability.sample_rate = 1.0: every trace is kept",
        "OBS-METRICS": "config/agent.toml:11: metrics_exporter must be \"prometheus\", got 'statsd'",
        f"OBS-METRICS-PORT[{AGENT}]": "no container declares containerPort 9090",
        "OBS-DASHBOARDS": "no dashboard definition in the repository",
        "OBS-ALERT-ERROR-RATE": "prometheusrule.yaml:12: alert AgentHighErrorRate: fires only above 5.00% errors",
        "OBS-ALERT-LATENCY-P95": "prometheusrule.yaml:18: alert AgentHighLatency: alerts on p50",
        "OBS-ALERT-POD-RESTARTS": "alert AgentPodRestarting: fires only above 10 restarts per hour",
        "OBS-ALERT-MEMORY": "alert AgentHighMemory: fires only above 95% of memory",
        "OBS-ALERT-RUNBOOKS": "prometheusrule.yaml:12: alert AgentHighErrorRate has no runbook_url annotation",
    }
    for check, message in expected.items():
        assert result.status(check) == "failed", check
        assert message in result.messages[check], (check, result.messages[check])
    assert "sample_rate = 0.1" in result.messages["OBS-SAMPLE-RATE"]  # the seed's advice
    assert "remediation" in result.messages["OBS-TRACING"]


def test_absent_config_and_manifests_are_unverified(run) -> None:
    result = run({"README.md": "# an empty deployment repo\n"})
    for check in ("OBS-LOG-LEVEL", "OBS-STRUCTURED-LOGS", "OBS-TRACING", "OBS-SAMPLE-RATE", "OBS-METRICS",
                  "OBS-METRICS-PORT[no-manifests]", "OBS-ALERT-RUNBOOKS"):
        assert result.status(check) == "unverified", check
    assert "no agent config at config/agent.toml" in result.messages["OBS-TRACING"]
    for check in ("OBS-DASHBOARDS", "OBS-ALERT-ERROR-RATE", "OBS-ALERT-MEMORY"):  # absence is the gap here
        assert result.status(check) == "failed", check
    assert "commit a PrometheusRule manifest" in result.messages["OBS-ALERT-ERROR-RATE"]


def test_absent_keys(run) -> None:
    config = GOOD_CONFIG.replace('log_level = "INFO"\n', "").replace("sample_rate = 0.1\n", "") \
        .replace('log_format = "json"\n', "").replace("tracing_enabled = true\n", "")
    result = run(bad({"config/agent.toml": config,
                      "deployment/kubernetes/deployment.yaml": manifests(configmap(), deployment())}))
    assert result.status("OBS-LOG-LEVEL") == "unverified"
    assert 'set [agent] log_level = "INFO"' in result.messages["OBS-LOG-LEVEL"]
    assert result.status("OBS-STRUCTURED-LOGS") == "failed"
    assert "agent.log_format is not set" in result.messages["OBS-STRUCTURED-LOGS"]
    assert result.status("OBS-TRACING") == "failed"
    assert result.status("OBS-SAMPLE-RATE") == "failed"
    assert "OpenTelemetry samples every trace" in result.messages["OBS-SAMPLE-RATE"]


def test_container_environment_overrides_the_config(run) -> None:
    objects = manifests(configmap(LOG_LEVEL="DEBUG", LOG_FORMAT="json"),
                        deployment(env=[{"name": "OTEL_TRACES_SAMPLER_ARG", "value": "0.05"}]))
    config = GOOD_CONFIG.replace('log_format = "json"\n', "").replace("sample_rate = 0.1\n", "")
    result = run(bad({"config/agent.toml": config, "deployment/kubernetes/deployment.yaml": objects}))
    assert result.status("OBS-LOG-LEVEL") == "failed"
    assert ("deployment/kubernetes/deployment.yaml:1: Deployment/msft-agent/agent env LOG_LEVEL: DEBUG"
            in result.messages["OBS-LOG-LEVEL"])
    assert result.status("OBS-STRUCTURED-LOGS") == "passed"
    assert result.status("OBS-SAMPLE-RATE") == "passed"


@pytest.mark.parametrize(("rate", "status"), [("0", "failed"), ("1.5", "failed"), ('"often"', "failed"),
                                              ("0.25", "passed"), ("1", "failed")])
def test_sample_rate_bounds(run, rate: str, status: str) -> None:
    result = run(bad({"config/agent.toml": GOOD_CONFIG.replace("sample_rate = 0.1", f"sample_rate = {rate}")}))
    assert result.status("OBS-SAMPLE-RATE") == status


def test_sample_rate_not_applicable_without_tracing(run) -> None:
    config = GOOD_CONFIG.replace("tracing_enabled = true", "tracing_enabled = false")
    assert run(bad({"config/agent.toml": config})).status("OBS-SAMPLE-RATE") == "not_applicable"


SERVICE = manifest("agent-service.yaml", {"metadata": {"labels": {"app": "msft-agent"}},
                                          "spec": {"ports": [{"name": "http", "port": 80, "targetPort": "http"}]}})


def monitor(kind: str, port: str = "http") -> dict[str, Any]:
    endpoints = "endpoints" if kind == "ServiceMonitor" else "podMetricsEndpoints"
    return {"apiVersion": "monitoring.coreos.com/v1", "kind": kind, "metadata": {"name": "msft-agent"},
            "spec": {"selector": {"matchLabels": {"app": "msft-agent"}}, endpoints: [{"port": port}]}}


@pytest.mark.parametrize(("objects", "status"), [
    pytest.param([deployment(annotations={}), SERVICE, monitor("ServiceMonitor")], "passed", id="servicemonitor"),
    pytest.param([deployment(annotations={}), monitor("PodMonitor")], "passed", id="podmonitor"),
    pytest.param([deployment(annotations={}), SERVICE], "failed", id="not-scraped"),
    pytest.param([deployment(annotations={}), SERVICE, monitor("ServiceMonitor", "metrics")], "failed",
                 id="servicemonitor-wrong-port"),
    pytest.param([deployment(annotations={"prometheus.io/scrape": "true", "prometheus.io/port": "9100"})],
                 "failed", id="annotation-undeclared-port"),
])
def test_metrics_port_scrape_mechanisms(run, objects: list[dict[str, Any]], status: str) -> None:
    result = run(bad({"deployment/kubernetes/deployment.yaml": manifests(*objects)}))
    assert result.status(f"OBS-METRICS-PORT[{AGENT}]") == status, result.messages[f"OBS-METRICS-PORT[{AGENT}]"]
    if status == "failed":
        assert "deployment/kubernetes/deployment.yaml:" in result.messages[f"OBS-METRICS-PORT[{AGENT}]"]


def test_metrics_port_applies_to_the_agent_only(run) -> None:
    redis = deployment(name="redis", port=6379, annotations={})
    result = run(bad({"deployment/kubernetes/deployment.yaml": manifests(deployment(), redis)}))
    assert result.status(f"OBS-METRICS-PORT[{AGENT}]") == "passed"
    assert result.status("OBS-METRICS-PORT[Deployment/redis]") == "not_applicable"


@pytest.mark.parametrize(("check", "expr", "status"), [
    ("OBS-ALERT-ERROR-RATE", "sum(rate(http_requests_total{code=~\"5..\"}[5m])) / sum(rate(http_requests_total[5m]))"
                             " * 100 > 1", "passed"),
    ("OBS-ALERT-ERROR-RATE", "sum(rate(ai_assistant_errors_total[5m])) > 1", "failed"),
    ("OBS-ALERT-LATENCY-P95", "msft_agent:request_duration_seconds:p95_5m > 4", "passed"),
    ("OBS-ALERT-LATENCY-P95", "histogram_quantile(0.99, sum by (le) (rate(latency_ms_bucket[5m]))) > 8000",
     "failed"),
    ("OBS-ALERT-POD-RESTARTS", "increase(kube_pod_container_status_restarts_total[30m]) > 1", "passed"),
    ("OBS-ALERT-POD-RESTARTS", "kube_pod_container_status_restarts_total > 3", "unverified"),
    ("OBS-ALERT-MEMORY", "container_memory_working_set_bytes > 3e9", "failed"),
    ("OBS-ALERT-MEMORY", "memory_utilization_percent > 75", "passed"),
])
def test_alert_thresholds(run, check: str, expr: str, status: str) -> None:
    name = {"OBS-ALERT-ERROR-RATE": "AgentHighErrorRate", "OBS-ALERT-LATENCY-P95": "AgentHighLatency",
            "OBS-ALERT-POD-RESTARTS": "AgentPodRestarting", "OBS-ALERT-MEMORY": "AgentHighMemory"}[check]
    rules = {**GOOD_ALERTS, name: expr}
    result = run(bad({"deployment/kubernetes/prometheusrule.yaml": prometheus_rule(rules)}))
    assert result.status(check) == status, result.messages[check]


def test_rules_file_outside_the_manifests_counts(run) -> None:
    rules_file = yaml.safe_load(prometheus_rule(GOOD_ALERTS))["spec"]
    files = bad({"deployment/kubernetes/prometheusrule.yaml": None})
    files["monitoring/alerts.rules.yml"] = yaml.safe_dump(rules_file, sort_keys=False)
    result = run(files)
    assert result.status("OBS-ALERT-MEMORY") == "passed"
    assert "monitoring/alerts.rules.yml:" in result.junit


def test_runbook_link_to_a_missing_file_fails(run) -> None:
    result = run(bad({"docs/runbooks/agenthighmemory.md": None}))
    assert result.status("OBS-ALERT-RUNBOOKS") == "failed"
    assert "docs/runbooks/agenthighmemory.md, which is not in the repository" in result.messages["OBS-ALERT-RUNBOOKS"]


@pytest.mark.parametrize(("path", "content"), [
    ("monitoring/workbook.json", json.dumps({"version": "Notebook/1.0", "items": [{"type": 1}]})),
    ("infra/dashboard.bicep", "resource dash 'Microsoft.Portal/dashboards@2020-09-01-preview' = {}"),
    ("deployment/kubernetes/dashboards.yaml", manifests(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "dash", "labels": {"grafana_dashboard": "1"}},
         "data": {"agent.json": DASHBOARD}})),
])
def test_other_dashboard_formats(run, path: str, content: str) -> None:
    files = bad({"dashboards/agent-overview.json": None, path: content})
    assert run(files).status("OBS-DASHBOARDS") == "passed"


def test_json_without_panels_is_not_a_dashboard(run) -> None:
    files = {**GOOD, "dashboards/agent-overview.json": json.dumps({"title": "empty", "panels": []})}
    assert run(files).status("OBS-DASHBOARDS") == "failed"


def test_malformed_config_is_an_error_and_other_checks_still_run(run) -> None:
    result = run(bad({"config/agent.toml": '[agent]\nlog_level = "INFO\n'}))
    for check in ("OBS-LOG-LEVEL", "OBS-TRACING", "OBS-METRICS", f"OBS-METRICS-PORT[{AGENT}]"):
        assert result.status(check) == "error", check
        assert "config/agent.toml:2" in result.messages[check]
    for check in ("OBS-DASHBOARDS", "OBS-ALERT-MEMORY", "OBS-ALERT-RUNBOOKS"):
        assert result.status(check) == "passed", check


def test_malformed_manifest_is_an_error_where_it_could_hide_the_answer(run) -> None:
    result = run(bad({"deployment/kubernetes/extra.yaml": "kind: PrometheusRule\nspec: [unclosed\n"}))
    assert result.status("OBS-METRICS-PORT[deployment/kubernetes/extra.yaml]") == "error"
    assert "deployment/kubernetes/extra.yaml:3" in result.messages["OBS-METRICS-PORT[deployment/kubernetes/extra.yaml]"]
    assert result.status("OBS-LOG-LEVEL") == "error"  # the unreadable file may set LOG_LEVEL
    assert result.status("OBS-ALERT-RUNBOOKS") == "error"  # it may hold alerts without runbooks
    assert result.status("OBS-ALERT-MEMORY") == "passed"  # the readable PrometheusRule has the alert
    assert result.status(f"OBS-METRICS-PORT[{AGENT}]") == "passed"
    assert result.status("OBS-TRACING") == "passed"


def test_malformed_dashboard_json_is_an_error(run) -> None:
    result = run(bad({"dashboards/agent-overview.json": '{"title": "x", "panels": [\n'}))
    assert result.status("OBS-DASHBOARDS") == "error"
    assert "dashboards/agent-overview.json:2" in result.messages["OBS-DASHBOARDS"]
