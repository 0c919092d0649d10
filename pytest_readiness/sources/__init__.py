"""Read-only fact sources. Each module loads one kind of input; `SourceCache` loads each once per session."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class SourceCache:
    """Per-session memo of loaded sources; a failed load is remembered and re-raised, not retried."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[bool, Any]] = {}

    def get(self, key: str, load: Callable[[], T]) -> T:
        if key not in self._values:
            try:
                self._values[key] = (True, load())
            except BaseException as exc:
                if isinstance(exc, KeyboardInterrupt | SystemExit):
                    raise
                self._values[key] = (False, exc)
        ok, value = self._values[key]
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]
