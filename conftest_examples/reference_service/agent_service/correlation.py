"""Request ids (`X-Request-ID`) and W3C trace context (`traceparent`)."""

from __future__ import annotations

import re
import secrets
import uuid

REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


def request_id_from(header: str | None) -> str:
    """Keep a caller's id if it is safe to log and echo, otherwise make a new one."""
    if header and REQUEST_ID.match(header):
        return header
    return str(uuid.uuid4())


def server_traceparent(header: str | None) -> str:
    """A traceparent for this server's span: the caller's trace id if valid, else a new trace."""
    match = TRACEPARENT.match(header.strip().lower()) if header else None
    span_id = secrets.token_hex(8)
    if match and set(match.group(1)) != {"0"} and set(match.group(2)) != {"0"}:
        return f"00-{match.group(1)}-{span_id}-{match.group(3)}"
    return f"00-{secrets.token_hex(16)}-{span_id}-01"


def trace_id_of(traceparent: str) -> str:
    return traceparent.split("-")[1]
