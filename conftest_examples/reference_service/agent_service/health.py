"""Dependency health: each component is healthy unless marked down (by config or at run time)."""

from __future__ import annotations

from collections.abc import Iterable


class HealthState:
    def __init__(self, components: Iterable[str], down: Iterable[str] = ()) -> None:
        self._components = dict.fromkeys(components, True)
        for name in down:
            self.mark_down(name)

    def mark_down(self, component: str) -> None:
        self._components[component] = False

    def mark_up(self, component: str) -> None:
        self._components[component] = True

    @property
    def ready(self) -> bool:
        return all(self._components.values())

    def report(self) -> dict[str, object]:
        return {
            "status": "healthy" if self.ready else "unhealthy",
            "components": {
                name: {"status": "healthy" if up else "unhealthy"} for name, up in self._components.items()
            },
        }
