"""Sliding-window (60 s) limits on requests and on model tokens, per user or global."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from .settings import RateLimitSettings

WINDOW_SECONDS = 60.0
GLOBAL_KEY = "*"
SWEEP_THRESHOLD = 10_000  # forget idle callers once this many are tracked


class RateLimited(Exception):
    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


@dataclass
class _Window:
    requests: deque[float] = field(default_factory=deque)
    tokens: deque[tuple[float, int]] = field(default_factory=deque)

    def expire(self, now: float) -> None:
        while self.requests and self.requests[0] <= now - WINDOW_SECONDS:
            self.requests.popleft()
        while self.tokens and self.tokens[0][0] <= now - WINDOW_SECONDS:
            self.tokens.popleft()

    def tokens_used(self) -> int:
        return sum(count for _, count in self.tokens)


class RateLimiter:
    def __init__(self, settings: RateLimitSettings, clock: Callable[[], float] = time.monotonic) -> None:
        self._settings = settings
        self._clock = clock
        self._windows: dict[str, _Window] = {}

    def admit_request(self, user: str) -> None:
        """Count one request for `user`, or raise RateLimited when the window is full."""
        if not self._settings.enabled:
            return
        now = self._clock()
        window = self._window(user, now)
        if len(window.requests) >= self._settings.requests_per_minute:
            raise RateLimited("request rate limit exceeded", _seconds_until(window.requests[0], now))
        window.requests.append(now)

    def admit_tokens(self, user: str, prompt_tokens: int) -> None:
        """Raise RateLimited when `prompt_tokens` more would exceed tokens_per_minute."""
        if not self._settings.enabled:
            return
        now = self._clock()
        window = self._window(user, now)
        budget = self._settings.tokens_per_minute
        used = window.tokens_used()
        if used + prompt_tokens <= budget:
            return
        for stamp, count in window.tokens:
            used -= count
            if used + prompt_tokens <= budget:
                raise RateLimited("token rate limit exceeded", _seconds_until(stamp, now))
        raise RateLimited("token rate limit exceeded", math.ceil(WINDOW_SECONDS))

    def record_tokens(self, user: str, tokens: int) -> None:
        if self._settings.enabled and tokens > 0:
            now = self._clock()
            self._window(user, now).tokens.append((now, tokens))

    def _window(self, user: str, now: float) -> _Window:
        key = user if self._settings.per_user else GLOBAL_KEY
        if len(self._windows) > SWEEP_THRESHOLD:
            self._sweep(now)
        window = self._windows.setdefault(key, _Window())
        window.expire(now)
        return window

    def _sweep(self, now: float) -> None:
        for key, window in list(self._windows.items()):
            window.expire(now)
            if not window.requests and not window.tokens:
                del self._windows[key]


def _seconds_until(oldest: float, now: float) -> int:
    return max(1, math.ceil(oldest + WINDOW_SECONDS - now))
