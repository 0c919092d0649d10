"""Settings decided from every place they can live: the agent TOML, pyproject.toml's [tool.agent] (the
template's committed fallback), and what the containers get (env, ConfigMaps, Secrets, annotations)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.accuracy.shapes import DOCKERFILE_NON_ROOT, deployment, doc, service
from tests.conftest import ReadinessRun

Runner = Callable[..., ReadinessRun]
K8S = "k8s"
OBS = "log_level or structured_logs or tracing_enabled or sample_rate or metrics_enabled"
GOOD_ENV = """
    - name: LOG_LEVEL
      value: INFO
    - name: LOG_FORMAT
      value: json
    - name: OTEL_EXPORTER_OTLP_ENDPOINT
      value: http://otel-collector.observability:4317
    - name: OTEL_TRACES_SAMPLER
      value: parentbased_traceidratio
    - name: OTEL_TRACES_SAMPLER_ARG
      value: "0.1"
"""
BAD_ENV = """
    - name: LOG_LEVEL
      value: DEBUG
    - name: OTEL_EXPORTER_OTLP_ENDPOINT
      value: http://otel-collector:4317
    - name: OTEL_TRACES_SAMPLER
      value: always_on
"""
SCRAPED = "prometheus.io/scrape: \"true\"\nprometheus.io/port: \"8080\"\n"


def tree(manifests: dict[str, str], **files: str) -> dict[str, str]:
    return {"Dockerfile": DOCKERFILE_NON_ROOT, "pytest.ini": f"[pytest]\nreadiness_manifests = {K8S}\n",
            **{f"{K8S}/{name}": text for name, text in manifests.items()}, **files}


def scraped(env: str) -> str:
    text = deployment(env=env)
    return text.replace("      labels:\n        app: shop\n", "      labels:\n        app: shop\n      annotations:\n"
                        "        prometheus.io/scrape: 'true'\n        prometheus.io/port: '8080'\n", 1)


def test_without_agent_config_the_container_env_decides_and_says_so(run_readiness: Runner) -> None:
    run = run_readiness(tree({"deploy.yaml": scraped(GOOD_ENV)}), "-k", OBS)
    for check in ("OBS-LOG-LEVEL", "OBS-STRUCTURED-LOGS", "OBS-TRACING", "OBS-SAMPLE-RATE", "OBS-METRICS"):
        assert run.status(check) == "passed", (check, run.messages.get(check))
    assert "env OTEL_EXPORTER_OTLP_ENDPOINT is set (the manifests decide)" in run.junit
    assert "pod annotation prometheus.io/scrape (the manifests decide)" in run.junit


def test_container_env_that_is_wrong_fails(run_readiness: Runner) -> None:
    run = run_readiness(tree({"deploy.yaml": deployment(env=BAD_ENV)}), "-k", OBS)
    assert run.status("OBS-LOG-LEVEL") == "failed"
    assert "DEBUG logs too much" in run.messages["OBS-LOG-LEVEL"]
    assert run.status("OBS-SAMPLE-RATE") == "failed"
    assert "always_on keeps every trace" in run.messages["OBS-SAMPLE-RATE"]
    assert run.status("OBS-METRICS") == "failed"  # nothing scrapes it and no agent config enables metrics
    assert run.status("OBS-STRUCTURED-LOGS") == "unverified"  # the code's default format is unknown


def test_a_configmap_and_a_secret_reference_count(run_readiness: Runner) -> None:
    config_map = doc("""
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: shop
        data:
          LOG_LEVEL: WARNING
          LOG_FORMAT: text
    """)
    shop = deployment(env="""
        - name: APPLICATIONINSIGHTS_CONNECTION_STRING
          valueFrom:
            secretKeyRef: {name: shop-insights, key: connection-string}
    """, extra="envFrom:\n  - configMapRef: {name: shop}\n")
    run = run_readiness(tree({"deploy.yaml": shop, "config.yaml": config_map}), "-k", OBS)
    assert run.status("OBS-LOG-LEVEL") == "passed"
    assert run.status("OBS-TRACING") == "passed"
    assert run.status("OBS-STRUCTURED-LOGS") == "failed"
    assert "LOG_FORMAT = 'text'" in run.messages["OBS-STRUCTURED-LOGS"]
    assert run.status("OBS-SAMPLE-RATE") == "failed"  # exports traces, keeps them all


def test_tracing_switched_off_or_absent_fails(run_readiness: Runner) -> None:
    off = deployment(env="- name: OTEL_SDK_DISABLED\n  value: \"true\"\n")
    run = run_readiness(tree({"deploy.yaml": off}), "-k", "tracing_enabled or sample_rate")
    assert run.status("OBS-TRACING") == "failed"
    assert "OTEL_SDK_DISABLED=true" in run.messages["OBS-TRACING"]
    assert run.status("OBS-SAMPLE-RATE") == "not_applicable"


PYPROJECT = doc("""
    [project]
    name = "shop-agent"
    version = "1.0.0"

    [tool.agent]
    name = "shop-agent"
    log_level = "DEBUG"

    [tool.agent.observability]
    tracing_enabled = true
    tracing_exporter = "otlp"
    sample_rate = 0.1
""")


@pytest.mark.parametrize("template", [{}, {"config/agent.toml.example": "[agent]\nlog_level = \"INFO\"\n"}])
def test_pyproject_tool_agent_is_real_configuration(run_readiness: Runner, template: dict[str, str]) -> None:
    run = run_readiness(tree({"deploy.yaml": deployment()}, **{"pyproject.toml": PYPROJECT, **template}),
                        "-k", "log_level or tracing_enabled or sample_rate")
    assert run.status("OBS-LOG-LEVEL") == "failed"
    assert "pyproject.toml [tool.agent]:7" in run.messages["OBS-LOG-LEVEL"]
    assert run.status("OBS-TRACING") == "passed"
    assert run.status("OBS-SAMPLE-RATE") == "passed"


# --- API authentication and service-principal secrets without the agent TOML ------------------------

INGRESS = doc("""
    apiVersion: networking.k8s.io/v1
    kind: Ingress
    metadata:
      name: shop
    spec:
      tls: [{hosts: [shop.contoso.com], secretName: shop-tls}]
      rules:
        - host: shop.contoso.com
          http:
            paths:
              - {path: /, pathType: Prefix, backend: {service: {name: shop, port: {number: 80}}}}
""")
AUTH_CASES = {
    "public-ingress-no-auth": ({"deploy.yaml": deployment(), "svc.yaml": service(), "ing.yaml": INGRESS}, "failed"),
    "public-loadbalancer-no-auth": ({"deploy.yaml": deployment(), "svc.yaml": service(kind="LoadBalancer")},
                                    "failed"),
    "ingress-auth-url": ({"deploy.yaml": deployment(), "svc.yaml": service(), "ing.yaml": INGRESS.replace(
        "  name: shop\n", "  name: shop\n  annotations:\n    nginx.ingress.kubernetes.io/auth-url: "
        "https://oauth2.contoso.com/oauth2/auth\n")}, "passed"),
    "oauth2-proxy-sidecar": ({"deploy.yaml": deployment(extra="") + "", "proxy.yaml": deployment(
        name="gate", image="quay.io/oauth2-proxy/oauth2-proxy:v7.6.0"), "ing.yaml": INGRESS}, "passed"),
    "internal-only": ({"deploy.yaml": deployment(), "svc.yaml": service()}, "unverified"),
}


@pytest.mark.parametrize("name", AUTH_CASES)
def test_api_auth_without_agent_config(run_readiness: Runner, name: str) -> None:
    manifests, status = AUTH_CASES[name]
    run = run_readiness(tree(manifests), "-k", "api_authentication_configured")
    assert run.status("SEC-API-AUTH-CONFIG") == status, run.messages.get("SEC-API-AUTH-CONFIG")


def test_no_client_secret_anywhere_passes_without_agent_config(run_readiness: Runner) -> None:
    run = run_readiness(tree({"deploy.yaml": deployment()}, **{".env.example": "AZURE_CLIENT_SECRET=\n"}),
                        "-k", "no_service_principal_secret")
    assert run.status("SEC-NO-SP-SECRET") == "passed"
    assert "no agent config in the repo; manifests and env files have none" in run.junit
    failing = run_readiness(tree({"deploy.yaml": deployment()}, **{".env.production": "AZURE_CLIENT_SECRET=hunter2\n"}),
                            "-k", "no_service_principal_secret")
    assert failing.status("SEC-NO-SP-SECRET") == "failed"
    assert ".env.production:1" in failing.messages["SEC-NO-SP-SECRET"]
