"""Outermost app layer: correlation headers, request metrics, and the last-resort error response."""

from __future__ import annotations

import json
import logging
import time
import traceback
from collections.abc import Collection

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .correlation import request_id_from, server_traceparent
from .metrics import ServiceMetrics

logger = logging.getLogger("agent_service")


class RequestContextMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        metrics: ServiceMetrics,
        known_paths: Collection[str],
        debug_errors: bool,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.known_paths = frozenset(known_paths)
        self.debug_errors = debug_errors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = Headers(scope=scope)
        request_id = request_id_from(headers.get("x-request-id"))
        traceparent = server_traceparent(headers.get("traceparent"))
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        status = 500
        response_started = False

        async def send_with_context(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                response_headers = MutableHeaders(scope=message)
                response_headers["x-request-id"] = request_id
                response_headers["traceparent"] = traceparent
            await send(message)

        try:
            await self.app(scope, receive, send_with_context)
        except Exception:
            logger.exception("unhandled error request_id=%s", request_id)
            state.setdefault("error_type", "internal")
            if response_started:
                raise
            await self._send_internal_error(send_with_context, request_id)
        finally:
            self._record(scope, state, status, time.perf_counter() - started)

    async def _send_internal_error(self, send: Send, request_id: str) -> None:
        if self.debug_errors:
            body = traceback.format_exc().encode()
            content_type = b"text/plain; charset=utf-8"
        else:
            body = json.dumps({"error": "internal server error", "request_id": request_id}).encode()
            content_type = b"application/json"
        await send(
            {
                "type": "http.response.start",
                "status": 500,
                "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _record(self, scope: Scope, state: dict[str, object], status: int, seconds: float) -> None:
        path = scope["path"]
        endpoint = path if path in self.known_paths else "unmatched"
        self.metrics.observe_request(endpoint, scope["method"], status, seconds)
        if status >= 400:
            error_type = str(state.get("error_type") or ("server" if status >= 500 else "client"))
            self.metrics.errors.labels(endpoint=endpoint, type=error_type).inc()
        logger.info(
            "%s %s status=%d duration_ms=%.1f request_id=%s",
            scope["method"],
            endpoint,
            status,
            seconds * 1000,
            state["request_id"],
        )
