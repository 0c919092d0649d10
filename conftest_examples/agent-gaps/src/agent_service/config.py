"""Service settings: the TOML file named by AGENT_CONFIG_PATH, with a few env overrides."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_CONFIG_PATH = Path("config/agent.toml")


@dataclass(frozen=True)
class Settings:
    name: str
    log_level: str
    port: int
    openai_endpoint: str
    openai_deployment: str
    keyvault_url: str | None
    raw: dict[str, Any]


def load_settings(path: Path | None = None, env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ) if env is None else env
    path = path or Path(env.get("AGENT_CONFIG_PATH", DEFAULT_CONFIG_PATH))
    with path.open("rb") as handle:
        raw = tomllib.load(handle)
    agent = raw["agent"]
    llm = agent.get("llm", {})
    return Settings(
        name=agent["name"],
        log_level=env.get("AGENT_LOG_LEVEL", agent.get("log_level", "INFO")),
        port=int(agent.get("observability", {}).get("metrics_port", 8080)),
        openai_endpoint=env.get("AZURE_OPENAI_ENDPOINT", llm["endpoint"]),
        openai_deployment=env.get("AZURE_OPENAI_DEPLOYMENT", llm["deployment"]),
        keyvault_url=env.get("AZURE_KEYVAULT_URL", agent.get("secrets", {}).get("keyvault_url")),
        raw=raw,
    )
