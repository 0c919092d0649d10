"""The template's committed fallback: its loader reads `[tool.agent]` in pyproject.toml when
config/agent.toml is absent, so that table is real configuration (only `.example` files are templates)."""

from __future__ import annotations

from pathlib import Path

from pytest_readiness.api import SourceError
from pytest_readiness.sources.reading import DEFAULT_MAX_BYTES, Unreadable, read_text
from pytest_readiness.sources.repo.agent_config import AgentConfig, _index_lines, parse_toml

PYPROJECT = "pyproject.toml"


def load_tool_agent(project: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> AgentConfig | None:
    """`[tool.agent]` of the project's pyproject.toml as the agent config (keys `agent.*`), or None."""
    path = project / PYPROJECT
    if not path.is_file():
        return None
    try:
        text = read_text(path, PYPROJECT, max_bytes)
    except Unreadable as exc:
        raise SourceError(exc.where, exc.problem) from None
    data = parse_toml(text, PYPROJECT)
    table = (data.get("tool") or {}).get("agent")
    if not isinstance(table, dict) or not table:
        return None
    lines = {key.removeprefix("tool."): line for key, line in _index_lines(text).items()
             if key.startswith("tool.agent")}
    return AgentConfig(path=path, display=f"{PYPROJECT} [tool.agent]", data={"agent": table}, lines=lines)
