"""The template's committed fallback: its loader reads `[tool.agent]` in pyproject.toml when
config/agent.toml is absent, so that table is real configuration (only `.example` files are templates)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pytest_readiness.api import SourceError
from pytest_readiness.sources.repo.agent_config import AgentConfig, _index_lines

PYPROJECT = "pyproject.toml"


def load_tool_agent(project: Path) -> AgentConfig | None:
    """`[tool.agent]` of the project's pyproject.toml as the agent config (keys `agent.*`), or None."""
    path = project / PYPROJECT
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SourceError(PYPROJECT, f"invalid TOML: {exc}") from None
    table = (data.get("tool") or {}).get("agent")
    if not isinstance(table, dict) or not table:
        return None
    lines = {key.removeprefix("tool."): line for key, line in _index_lines(text).items()
             if key.startswith("tool.agent")}
    return AgentConfig(path=path, display=f"{PYPROJECT} [tool.agent]", data={"agent": table}, lines=lines)
