"""The ASGI app: health, metrics and the question endpoint of the Agent Framework template."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .auth import Authenticator, AuthError
from .cache import TTLCache, normalise_question
from .health import HealthState
from .metrics import CONTENT_TYPE_LATEST, ServiceMetrics
from .middleware import RequestContextMiddleware
from .model import complete, count_tokens
from .payload import JSON_BODY_OVERHEAD, MAX_JSON_BYTES_PER_CHAR, BadBody, read_question
from .ratelimit import RateLimited, RateLimiter
from .settings import Settings
from .validation import InputRejected, check_question, redact_pii


def error_response(
    request: Request,
    status: int,
    message: str,
    error_type: str,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    request.state.error_type = error_type
    body = {"error": message, "request_id": request.state.request_id}
    return JSONResponse(body, status_code=status, headers=headers)


class AgentService:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.metrics = ServiceMetrics()
        self.authenticator = Authenticator(settings.auth, realm=settings.name)
        self.limiter = RateLimiter(settings.rate_limit)
        self.cache: TTLCache[dict[str, Any]] = TTLCache(settings.cache.ttl_seconds)
        components = ["llm", "cache"] if settings.cache.enabled else ["llm"]
        self.health = HealthState(components, down=settings.down_components)
        max_length = settings.validation.max_question_length
        self.body_limit = max_length * MAX_JSON_BYTES_PER_CHAR + JSON_BODY_OVERHEAD if max_length else None

    async def live(self, request: Request) -> Response:
        return JSONResponse({"status": "alive"})

    async def ready(self, request: Request) -> Response:
        if self.health.ready:
            return JSONResponse({"status": "ready"})
        return JSONResponse({"status": "not_ready"}, status_code=503)

    async def health_report(self, request: Request) -> Response:
        return JSONResponse(self.health.report(), status_code=200 if self.health.ready else 503)

    async def metrics_endpoint(self, request: Request) -> Response:
        return Response(self.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    async def question(self, request: Request) -> Response:
        try:
            user = self.authenticator.authenticate(request.headers)
        except AuthError as error:
            headers = {"WWW-Authenticate": error.challenge}
            return error_response(request, 401, error.message, "unauthorized", headers)
        caller = user or f"anonymous:{request.client.host if request.client else 'unknown'}"
        try:
            self.limiter.admit_request(caller)
            body = await read_question(request, self.body_limit)
            question = body["question"]
            check_question(question, self.settings.validation)
            cached = self._cached_answer(question)
            if cached is not None:
                return JSONResponse({**cached, "session_id": body["session_id"], "cached": True})
            answer = self._answer(caller, question)
        except RateLimited as error:
            headers = {"Retry-After": str(error.retry_after)}
            return error_response(request, 429, error.message, "rate_limited", headers)
        except InputRejected as error:
            error_type = "prompt_injection" if error.status_code == 400 else "invalid_input"
            return error_response(request, error.status_code, error.message, error_type)
        except BadBody as error:
            return error_response(request, error.status_code, str(error), "invalid_input")
        return JSONResponse({**answer, "session_id": body["session_id"], "cached": False})

    def _cached_answer(self, question: str) -> dict[str, Any] | None:
        if not self.settings.cache.enabled:
            return None
        cached = self.cache.get(normalise_question(question))
        (self.metrics.cache_misses if cached is None else self.metrics.cache_hits).inc()
        if cached is None:
            return None
        return {"answer": cached["answer"], "tokens": {"prompt": 0, "completion": 0}}

    def _answer(self, caller: str, question: str) -> dict[str, Any]:
        self.limiter.admit_tokens(caller, count_tokens(question))
        completion = complete(question)
        total = completion.prompt_tokens + completion.completion_tokens
        self.limiter.record_tokens(caller, total)
        self.metrics.tokens.labels(type="prompt").inc(completion.prompt_tokens)
        self.metrics.tokens.labels(type="completion").inc(completion.completion_tokens)
        text = redact_pii(completion.text) if self.settings.validation.redact_pii else completion.text
        answer = {
            "answer": text,
            "tokens": {"prompt": completion.prompt_tokens, "completion": completion.completion_tokens},
        }
        if self.settings.cache.enabled:
            self.cache.put(normalise_question(question), answer)
        return answer


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    error_type = {404: "not_found", 405: "method_not_allowed"}
    response = error_response(request, exc.status_code, exc.detail, error_type.get(exc.status_code, "client"))
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def create_app(settings: Settings) -> Starlette:
    service = AgentService(settings)
    routes = [
        Route("/health/live", service.live, methods=["GET"]),
        Route("/health/ready", service.ready, methods=["GET"]),
        Route("/health", service.health_report, methods=["GET"]),
        Route("/api/question", service.question, methods=["POST"]),
    ]
    if settings.metrics_enabled and settings.metrics_exporter == "prometheus":
        routes.append(Route("/metrics", service.metrics_endpoint, methods=["GET"]))
    context = Middleware(
        RequestContextMiddleware,
        metrics=service.metrics,
        known_paths=[route.path for route in routes],
        debug_errors=settings.debug_errors,
    )
    app = Starlette(routes=routes, middleware=[context], exception_handlers={HTTPException: _http_error})
    app.state.service = service
    return app
