"""Reading the `POST /api/question` body: size-capped, JSON, with a question and an optional session id."""

from __future__ import annotations

import json
import uuid

from starlette.requests import Request

from .correlation import REQUEST_ID

MAX_JSON_BYTES_PER_CHAR = 6  # worst case of one JSON-escaped character (\uXXXX)
JSON_BODY_OVERHEAD = 64 * 1024


class BadBody(ValueError):
    """The request body is not a question we can read; carries the HTTP status to answer with."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


async def read_body(request: Request, limit: int | None) -> bytes:
    too_large = BadBody("request body too large", 413)
    declared = request.headers.get("content-length", "")
    if limit is not None and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if limit is not None and size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


async def read_question(request: Request, limit: int | None) -> dict[str, str]:
    raw = await read_body(request, limit)
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise BadBody("request body must be JSON", 400) from error
    if not isinstance(body, dict):
        raise BadBody("request body must be a JSON object", 422)
    question = body.get("question")
    if not isinstance(question, str) or not question.strip():
        raise BadBody('"question" must be a non-empty string', 422)
    session_id = body.get("session_id")
    if session_id is None:
        session_id = str(uuid.uuid4())
    elif not isinstance(session_id, str) or not REQUEST_ID.match(session_id):
        raise BadBody('"session_id" must be 1-128 characters of [A-Za-z0-9._:-]', 422)
    return {"question": question, "session_id": session_id}
