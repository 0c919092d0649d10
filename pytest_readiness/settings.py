"""Every option of the plugin, defined once: command line flag, ini key, type, default and help.

`--readiness-<name>` on the command line wins over the ini key `readiness_<name>` in pytest.ini /
pyproject.toml, which wins over the default.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest


def _opt(default: Any, help: str, kind: str = "string") -> Any:
    return field(default=default, metadata={"help": help, "kind": kind})


# IaC options (issue 13): needs _opt above
from pytest_readiness.sources.azure.iac.options import IacOptions  # noqa: E402


@dataclass(frozen=True)
class Settings(IacOptions):
    project: Path = _opt(None, "deployment repository to check (default: rootdir)", "path")
    config: str = _opt("config/agent.toml", "the agent's production TOML config, relative to the project")
    manifests: str = _opt(
        "deployment/kubernetes", "Kubernetes manifests: a directory, a file, a kustomization or '-' for stdin"
    )
    helm_values: tuple[str, ...] = _opt(
        (), "values files for `helm template` (-f), relative to the project", "linelist"
    )
    helm_release: str = _opt("release-name", "release name for `helm template` (helm's own default)")
    dockerfile: str = _opt("deployment/Dockerfile", "the Dockerfile that builds the service image")
    docs: str = _opt("docs", "documentation directory")
    env_overrides: bool = _opt(False, "apply the agent's environment-variable overrides (LOG_LEVEL, ...)", "bool")
    paths: tuple[str, ...] = _opt((), "extra paths with organisation-specific checks to run", "linelist")
    url: str = _opt("", "base URL of the running agent service: enables the live checks")
    auth_env: str = _opt("", "name of the env var holding the credential for live probes (never the value)")
    auth_scheme: str = _opt("bearer", "how to send the credential: 'bearer' or a header name like X-API-Key")
    second_auth_env: str = _opt("", "env var with a second user's credential (per-user rate limit probe)")
    request_budget: int = _opt(300, "at most this many HTTP requests for the whole live run", "int")
    timeout: float = _opt(5.0, "connect/read timeout in seconds for each live probe", "float")
    insecure: bool = _opt(False, "do not verify the service's TLS certificate", "bool")
    ca_bundle: str = _opt("", "CA bundle (PEM) to verify the service's certificate")
    health_paths: tuple[str, ...] = _opt(
        ("/health", "/health/live", "/health/ready"), "health paths: overall, liveness, readiness", "linelist"
    )
    metrics_url: str = _opt("", "metrics URL when not <url>/metrics (e.g. a separate metrics port)")
    redis_url: str = _opt("", "Redis URL to check (password via redis_password_env)")
    redis_password_env: str = _opt("", "env var holding the Redis password")
    question_path: str = _opt("/api/question", "path of the agent's question endpoint (POST, JSON body)")
    answer_field: str = _opt("answer", "JSON field of a question's answer")
    requests_per_minute: int = _opt(
        0, "rate limit to probe when the agent config sets no requests_per_minute (0: from config)", "int"
    )
    rate_limit_margin: int = _opt(5, "extra requests the rate-limit probe may send beyond the limit", "int")
    max_question_length: int = _opt(
        0, "input length limit to probe when the agent config sets none (0: from config)", "int"
    )
    latency_samples: int = _opt(10, "requests timed for the latency baseline", "int")
    latency_p95_seconds: float = _opt(5.0, "p95 latency above this fails (the seed's alert: 5 s)", "float")
    health_max_seconds: float = _opt(1.0, "a health endpoint slower than this fails (kubelet's default)", "float")
    health_components: tuple[str, ...] = _opt((), "components /health must report (e.g. llm, redis)", "linelist")
    metric_latency: str = _opt("ai_assistant_request_duration*", "glob naming the request latency histogram")
    metric_errors: str = _opt("ai_assistant_errors*", "glob naming the error counter")
    metric_tokens: str = _opt("ai_assistant_tokens*", "glob naming the token usage counter")
    metric_cache_hits: str = _opt("ai_assistant_cache_hits*", "glob naming the cache hit counter")
    metric_cache_misses: str = _opt("ai_assistant_cache_misses*", "glob naming the cache miss counter")
    cache_hit_target: float = _opt(0.8, "lowest acceptable cache hit rate (the seed's 80 %)", "float")
    kubeconfig: str = _opt("", "kubeconfig file for the cluster checks", "path")
    kube_context: str = _opt("", "kubeconfig context: enables the cluster checks")
    namespace: str = _opt("", "namespace of the agent in the cluster")
    in_cluster: bool = _opt(False, "use the in-cluster service account (run as a Job in the cluster)", "bool")
    log_tail_lines: int = _opt(200, "log lines read from the end of each container's log (at most 1 MiB)", "int")
    log_error_threshold: int = _opt(
        0, "errors (error lines, stack traces) a container's log tail may hold without failing the log check", "int"
    )
    log_pods: int = _opt(3, "pods per workload whose logs are read (not-ready and most-restarted first)", "int")
    attestations: str = _opt("readiness.toml", "attestations, waivers and sign-off file")
    ignore_annotations: bool = _opt(False, "ignore readiness.io/waive-<check> annotations (strict pipelines)", "bool")
    fail_on: str = _opt("low", "lowest priority whose failures fail the run: critical|high|medium|low")
    strict: bool = _opt(False, "unverified critical checks fail the run too", "bool")
    json: str = _opt("", "write the JSON report here")
    sarif: str = _opt("", "write static findings as SARIF 2.1.0 here")
    baseline: str = _opt("", "previous JSON report: mark failures new or known")
    fail_on_new: bool = _opt(False, "with --readiness-baseline: only failures new against the baseline fail the run",
                             "bool")

    def resolve(self, relative: str) -> Path:
        path = Path(relative)
        return path if path.is_absolute() else self.project / path


def fields() -> tuple[dataclasses.Field[Any], ...]:
    return dataclasses.fields(Settings)


def flag(name: str) -> str:
    return "--readiness-" + name.replace("_", "-")


def ini_key(name: str) -> str:
    return "readiness_" + name


INI_TYPES = {"linelist": "linelist"}


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("readiness", "production readiness checklist")
    group.addoption("--readiness", action="store_true", help="run the production readiness checklist")
    group.addoption("--readiness-list", action="store_true", help="print the checklist catalog and exit")
    for f in fields():
        kind, help_text = f.metadata["kind"], f.metadata["help"]
        if kind == "bool":
            group.addoption(flag(f.name), action="store_const", const=True, default=None, help=help_text)
        elif kind == "linelist":
            group.addoption(flag(f.name), action="append", default=None, help=help_text)
        else:
            group.addoption(flag(f.name), default=None, help=help_text)
        parser.addini(ini_key(f.name), help_text, type=INI_TYPES.get(kind, "string"))  # type: ignore[arg-type]


def _convert(kind: str, value: Any) -> Any:
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    if kind == "bool" and isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    if kind == "linelist":
        return tuple(value)
    return value


def refuse_misread_rootdir(config: pytest.Config) -> None:
    """pytest picks its rootdir before plugin options exist, so in `--readiness-ca-bundle /tmp/ca.pem` it
    takes `/tmp/ca.pem` for a test path and may move the rootdir (and lose the project's ini file).
    Recompute it from the fully parsed arguments; if it differs, stop rather than check the wrong tree.
    """
    from _pytest.config.findpaths import determine_setup

    try:
        rootpath = determine_setup(
            inifile=config.option.inifilename,
            override_ini=config.option.override_ini,
            args=[str(a) for a in config.args],
            rootdir_cmd_arg=config.option.rootdir or None,
            invocation_dir=config.invocation_params.dir,
        )[0]
    except TypeError:  # another pytest's signature: nothing to compare with
        return
    project = config.getoption("readiness_project")
    if project and (config.invocation_params.dir / project).resolve() == config.rootpath:
        return  # `--readiness-project PATH` moved the rootdir to the project itself: consistent
    if rootpath != config.rootpath:
        raise pytest.UsageError(
            f"pytest chose rootdir {config.rootpath} because a --readiness-* value given as a separate word "
            f"looked like a test path (the project's rootdir is {rootpath}); write the option with '=', "
            "e.g. --readiness-ca-bundle=/path/ca.pem"
        )


def from_config(config: pytest.Config) -> Settings:
    values: dict[str, Any] = {}
    project_base = config.invocation_params.dir
    for f in fields():
        kind = f.metadata["kind"]
        value = config.getoption(flag(f.name).lstrip("-").replace("-", "_"))
        if value is None:
            value = config.getini(ini_key(f.name))
            if value in ("", [], None):
                continue
            if f.name == "project":
                project_base = config.rootpath
        try:
            values[f.name] = _convert(kind, value)
        except ValueError:
            raise pytest.UsageError(f"{flag(f.name)}: expected {kind}, got {value!r}") from None
    project = Path(values.pop("project", None) or config.rootpath)
    values["project"] = (project_base / project).resolve()
    if not values["project"].is_dir():
        raise pytest.UsageError(f"--readiness-project: {values['project']} is not a directory")
    if values.get("fail_on", "low") not in ("critical", "high", "medium", "low"):
        raise pytest.UsageError("--readiness-fail-on: expected one of critical, high, medium, low")
    for name, least in (("log_tail_lines", 1), ("log_pods", 1), ("log_error_threshold", 0)):
        if values.get(name, least) < least:
            raise pytest.UsageError(f"{flag(name)}: expected an integer of at least {least}, got {values[name]}")
    return Settings(**values)
