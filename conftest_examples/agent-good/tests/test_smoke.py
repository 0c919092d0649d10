from pathlib import Path

from agent_service.config import load_settings

ROOT = Path(__file__).resolve().parent.parent


def test_production_config_loads() -> None:
    settings = load_settings(ROOT / "config" / "agent.toml", env={})
    assert settings.name == "msft-agent"
    assert settings.openai_endpoint.startswith("https://")


def test_environment_overrides_the_file() -> None:
    settings = load_settings(ROOT / "config" / "agent.toml", env={"AGENT_LOG_LEVEL": "WARNING"})
    assert settings.log_level == "WARNING"
