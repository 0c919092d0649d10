"""Input checks on a question and PII redaction of answers."""

from __future__ import annotations

import re

from .settings import ValidationSettings

PROMPT_INJECTION_PATTERNS = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"\b(ignore|disregard|forget|override)\s+(all\s+|any\s+|the\s+)?"
        r"(previous|prior|above|earlier|preceding)\s+(instructions|prompts?|rules|messages)",
        r"\bdisregard\s+(all\s+|everything\s+)?(the\s+)?above\b",
        r"\byou\s+are\s+now\s+(DAN|in\s+developer\s+mode|jailbroken|unrestricted)\b",
        r"\b(reveal|show|print|repeat|leak)\s+(me\s+)?(your|the)\s+(system|hidden|initial)\s+prompt",
        r"\bdo\s+anything\s+now\b",
    )
)
EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)|\d{2,4})[\s.-]?\d{3,4}[\s.-]?\d{3,4}(?!\w)"
)


class InputRejected(Exception):
    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code


def check_question(question: str, settings: ValidationSettings) -> None:
    limit = settings.max_question_length
    if limit and len(question) > limit:
        raise InputRejected(f"question exceeds {limit} characters", 413)
    if settings.block_prompt_injection and looks_like_prompt_injection(question):
        raise InputRejected("question rejected by prompt-injection filter", 400)


def looks_like_prompt_injection(text: str) -> bool:
    normalised = " ".join(text.split())
    return any(pattern.search(normalised) for pattern in PROMPT_INJECTION_PATTERNS)


def redact_pii(text: str) -> str:
    return PHONE.sub("[REDACTED_PHONE]", EMAIL.sub("[REDACTED_EMAIL]", text))
