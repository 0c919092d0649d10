"""A deterministic stand-in for the Azure OpenAI call: no network, no LLM."""

from __future__ import annotations

from dataclasses import dataclass

FAILURE_TRIGGER = "__fail__"
ECHO_LIMIT = 200


class ModelFailure(RuntimeError):
    """The simulated model call failed."""


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int


def count_tokens(text: str) -> int:
    return max(1, len(text) // 4)


def complete(question: str) -> Completion:
    if question.strip() == FAILURE_TRIGGER:
        raise ModelFailure("simulated model failure")
    excerpt = question if len(question) <= ECHO_LIMIT else question[:ECHO_LIMIT] + "..."
    text = f"You asked: {excerpt}"
    return Completion(text, count_tokens(question), count_tokens(text))
