"""HTTP surface: health probes, Prometheus metrics and the question endpoint."""

from __future__ import annotations

import time

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from agent_service.config import Settings

REQUESTS = Counter("ai_assistant_requests", "Questions received", ["endpoint"])
ERRORS = Counter("ai_assistant_errors", "Questions that failed", ["endpoint", "reason"])
DURATION = Histogram(
    "ai_assistant_request_duration_seconds",
    "Time to answer a question",
    buckets=(0.25, 0.5, 1, 2, 3, 5, 8, 13, 21, 34, 60),
)
TOKENS = Counter("ai_assistant_tokens", "Model tokens used", ["type"])
CACHE_HITS = Counter("ai_assistant_cache_hits", "Conversation cache hits")
CACHE_MISSES = Counter("ai_assistant_cache_misses", "Conversation cache misses")
for token_type in ("prompt", "completion"):
    TOKENS.labels(type=token_type)


def create_app(settings: Settings) -> Starlette:
    validation = settings.raw["agent"].get("security", {}).get("validation", {})
    max_length: int | None = validation.get("max_question_length")

    async def health(_: Request) -> JSONResponse:
        return JSONResponse({"status": "healthy", "service": settings.name})

    async def ready(_: Request) -> JSONResponse:
        # The full service also pings Redis and checks the Key Vault token here.
        return JSONResponse({"status": "ready"})

    async def metrics(_: Request) -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    async def question(request: Request) -> JSONResponse:
        REQUESTS.labels(endpoint="/api/question").inc()
        started = time.perf_counter()
        body = await request.json()
        text = body.get("question") if isinstance(body, dict) else None
        if not isinstance(text, str) or not text.strip():
            ERRORS.labels(endpoint="/api/question", reason="invalid").inc()
            return JSONResponse({"error": "question is required"}, status_code=400)
        if max_length is not None and len(text) > max_length:
            ERRORS.labels(endpoint="/api/question", reason="too_long").inc()
            return JSONResponse({"error": "question too long"}, status_code=413)
        answer = {"answer": f"[{settings.openai_deployment}] received {len(text)} characters"}
        DURATION.observe(time.perf_counter() - started)
        return JSONResponse(answer)

    return Starlette(
        routes=[
            Route("/health", health),
            Route("/health/live", health),
            Route("/health/ready", ready),
            Route("/metrics", metrics),
            Route("/api/question", question, methods=["POST"]),
        ]
    )
