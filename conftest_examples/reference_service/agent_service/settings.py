"""Service settings: the `[agent]` tables of an agent.toml, plus secrets from the environment.

Secrets never come from the toml: the HS256 JWT signing key is read from `AGENT_JWT_SECRET` and the
allowed API keys from `AGENT_API_KEYS` (comma-separated).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

JWT_SECRET_ENV = "AGENT_JWT_SECRET"
API_KEYS_ENV = "AGENT_API_KEYS"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MIN_JWT_SECRET_BYTES = 32  # RFC 7518 section 3.2: an HS256 key must be at least 256 bits


class SettingsError(ValueError):
    """The configuration cannot run safely or is malformed."""


@dataclass(frozen=True)
class AuthSettings:
    enabled: bool = True
    mode: str = "jwt"
    issuer: str = ""
    audience: str = ""
    api_key_header: str = "X-API-Key"
    jwt_secret: str = field(default="", repr=False)
    api_keys: tuple[str, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class RateLimitSettings:
    enabled: bool = True
    requests_per_minute: int = 60
    tokens_per_minute: int = 100_000
    per_user: bool = True


@dataclass(frozen=True)
class ValidationSettings:
    block_prompt_injection: bool = True
    max_question_length: int = 32_000  # 0 means unlimited
    max_tool_param_length: int = 10_000
    redact_pii: bool = True


@dataclass(frozen=True)
class CacheSettings:
    enabled: bool = True
    ttl_seconds: int = 3600


@dataclass(frozen=True)
class Settings:
    name: str = "msft-agent"
    log_level: str = "INFO"
    debug_errors: bool = False
    metrics_enabled: bool = True
    metrics_exporter: str = "prometheus"
    down_components: tuple[str, ...] = ()
    auth: AuthSettings = AuthSettings()
    rate_limit: RateLimitSettings = RateLimitSettings()
    validation: ValidationSettings = ValidationSettings()
    cache: CacheSettings = CacheSettings()


def load_settings(
    path: str | os.PathLike[str] | None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Read an agent.toml (or defaults when `path` is None), deep-merge `overrides`, validate.

    `overrides` has the toml's shape, e.g. `{"agent": {"security": {"auth": {"enabled": False}}}}`.
    """
    document: dict[str, Any] = {}
    if path is not None:
        with Path(path).open("rb") as handle:
            document = tomllib.load(handle)
    if overrides:
        document = _deep_merge(document, overrides)
    settings = _from_document(document, os.environ if environ is None else environ)
    _validate(settings)
    return settings


def _deep_merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _table(document: Mapping[str, Any], *keys: str) -> Mapping[str, Any]:
    current: Any = document
    for key in keys:
        current = current.get(key, {}) if isinstance(current, Mapping) else {}
    if not isinstance(current, Mapping):
        raise SettingsError(f"[{'.'.join(keys)}] must be a table")
    return current


def _typed(table: Mapping[str, Any], key: str, default: Any) -> Any:
    value = table.get(key, default)
    expected = type(default)
    if (expected is int and isinstance(value, bool)) or not isinstance(value, expected):
        raise SettingsError(f"{key} must be of type {expected.__name__}, got {value!r}")
    return value


def _from_document(document: Mapping[str, Any], environ: Mapping[str, str]) -> Settings:
    agent = _table(document, "agent")
    auth = _table(document, "agent", "security", "auth")
    rate = _table(document, "agent", "security", "rate_limit")
    validation = _table(document, "agent", "security", "validation")
    cache = _table(document, "agent", "memory", "cache")
    observability = _table(document, "agent", "observability")
    health = _table(document, "agent", "health")
    api_keys = tuple(key.strip() for key in environ.get(API_KEYS_ENV, "").split(",") if key.strip())
    defaults = Settings()
    return Settings(
        name=_typed(agent, "name", defaults.name),
        log_level=_typed(agent, "log_level", defaults.log_level).upper(),
        debug_errors=_typed(agent, "debug_errors", defaults.debug_errors),
        metrics_enabled=_typed(observability, "metrics_enabled", defaults.metrics_enabled),
        metrics_exporter=_typed(observability, "metrics_exporter", defaults.metrics_exporter),
        down_components=tuple(str(name) for name in _typed(health, "down", [])),
        auth=AuthSettings(
            enabled=_typed(auth, "enabled", defaults.auth.enabled),
            mode=_typed(auth, "mode", defaults.auth.mode),
            issuer=_typed(auth, "issuer", defaults.auth.issuer),
            audience=_typed(auth, "audience", defaults.auth.audience),
            api_key_header=_typed(auth, "api_key_header", defaults.auth.api_key_header),
            jwt_secret=environ.get(JWT_SECRET_ENV, ""),
            api_keys=api_keys,
        ),
        rate_limit=RateLimitSettings(
            enabled=_typed(rate, "enabled", defaults.rate_limit.enabled),
            requests_per_minute=_typed(rate, "requests_per_minute", defaults.rate_limit.requests_per_minute),
            tokens_per_minute=_typed(rate, "tokens_per_minute", defaults.rate_limit.tokens_per_minute),
            per_user=_typed(rate, "per_user", defaults.rate_limit.per_user),
        ),
        validation=ValidationSettings(
            block_prompt_injection=_typed(
                validation, "block_prompt_injection", defaults.validation.block_prompt_injection
            ),
            max_question_length=_typed(
                validation, "max_question_length", defaults.validation.max_question_length
            ),
            max_tool_param_length=_typed(
                validation, "max_tool_param_length", defaults.validation.max_tool_param_length
            ),
            redact_pii=_typed(validation, "redact_pii", defaults.validation.redact_pii),
        ),
        cache=CacheSettings(
            enabled=_typed(cache, "enabled", defaults.cache.enabled),
            ttl_seconds=_typed(cache, "ttl_seconds", defaults.cache.ttl_seconds),
        ),
    )


def _validate(settings: Settings) -> None:
    auth = settings.auth
    if auth.mode not in ("jwt", "api_key"):
        raise SettingsError(f'agent.security.auth.mode must be "jwt" or "api_key", got {auth.mode!r}')
    if auth.enabled and auth.mode == "jwt":
        if len(auth.jwt_secret.encode()) < MIN_JWT_SECRET_BYTES:
            raise SettingsError(f"{JWT_SECRET_ENV} must hold >= {MIN_JWT_SECRET_BYTES} bytes in jwt mode")
        if not auth.issuer or not auth.audience:
            raise SettingsError("agent.security.auth needs issuer and audience in jwt mode")
    if auth.enabled and auth.mode == "api_key" and not auth.api_keys:
        raise SettingsError(f"{API_KEYS_ENV} must list at least one key in api_key mode")
    if settings.log_level not in LOG_LEVELS:
        raise SettingsError(f"agent.log_level must be one of {', '.join(LOG_LEVELS)}")
    limits = settings.rate_limit
    if limits.enabled and (limits.requests_per_minute < 1 or limits.tokens_per_minute < 1):
        raise SettingsError("rate limits must be positive when agent.security.rate_limit is enabled")
    if settings.validation.max_question_length < 0:
        raise SettingsError("max_question_length must be >= 0 (0 means unlimited)")
    if settings.cache.ttl_seconds < 0:
        raise SettingsError("agent.memory.cache.ttl_seconds must be >= 0")
