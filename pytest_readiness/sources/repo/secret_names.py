"""Whether a key names a secret, and whether the value it holds is a literal rather than a reference.

Names are compared in UPPER_SNAKE form: `redisPassword` and `redis-password` become REDIS_PASSWORD.
"""

from __future__ import annotations

import re
from typing import Any

from pytest_readiness.secrets import is_placeholder

_SECRET_NAME_END = re.compile(
    r"(?:^|_)(?:SECRET|PASSWORD|PASSWD|PWD|PASSPHRASE|KEY|APIKEY|TOKEN|CONNECTION_?STRING|CONN_?STR"
    r"|CREDENTIALS?|SAS)$"
)
_TOKEN_SEGMENT = re.compile(r"(?:^|_)TOKEN(?:_|$)")
_NOT_SECRET_NAME = re.compile(
    r"(?:^|_)(?:PUBLIC|PARTITION|SORT)_KEY$"
    r"|_(?:FILE|PATH|DIR|URL|URI|ENDPOINT|HOST|NAME|ID|TTL|HEADER|AUDIENCE|TYPE|LIMIT|SIZE|ENV|REF)$"
    r"|(?:^|_)(?:NAME|NAMES|ID|REF|LABEL)_|^EXISTING_"  # VAULT_SECRET_NAME_API_KEY names a secret
)
_SP_SECRET_NAME = re.compile(
    r"(?:^|_)(?:CLIENT_?SECRET|CLIENT_?PASSWORD|CLIENT_CERTIFICATE_PASSWORD|SP_(?:SECRET|PASSWORD)"
    r"|SERVICE_?PRINCIPAL_(?:SECRET|PASSWORD|KEY))(?:_|$)"
)


def upper_snake(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)).upper()


def is_secret_name(name: str) -> bool:
    """PASSWORD, *_SECRET, *_KEY, *_TOKEN*, *CONNECTION_STRING and the like, but not TOKEN_FILE, or MAX_TOKENS."""
    snake = upper_snake(name)
    return not _NOT_SECRET_NAME.search(snake) and bool(
        _SECRET_NAME_END.search(snake) or _TOKEN_SEGMENT.search(snake)
    )


def is_sp_secret_name(name: str) -> bool:
    return bool(_SP_SECRET_NAME.search(upper_snake(name)))


def is_literal_secret(value: Any) -> bool:
    """A value written into the file, as opposed to empty, a placeholder, or a reference like $(VAR)."""
    return value is not None and str(value).strip() != "" and not is_placeholder(str(value))


def env_files(paths: list[str]) -> list[str]:
    """Committed `.env`-style files that are not templates: `.env`, `.env.production`, `app.env`."""
    found = []
    for path in paths:
        name = path.rpartition("/")[2].lower()
        if (name == ".env" or name.startswith(".env.") or name.endswith(".env")) and not name.endswith(
                (".example", ".sample", ".template", ".tmpl", ".dist")):
            found.append(path)
    return found
