"""The route regex of `sources/repo/docs.code_routes`, written for speed, finds exactly what its plain form does."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_readiness.sources.repo.docs import _ROUTE

PLAIN = re.compile(
    r"""@\w+\.(?:get|post|put|delete|patch|route|api_route|websocket)\(\s*["'](?P<py>/[^"']*)["']"""
    r"""|\b(?:app|router|api|server)\.(?:get|post|put|delete|patch|all|use)\(\s*["'`](?P<js>/[^"'`]*)["'`]"""
    r"""|\bMap(?:Get|Post|Put|Delete|Patch|Methods)\(\s*"(?P<cs>/[^"]*)"|\bHandleFunc\(\s*"(?P<go>/[^"]*)["]""",
)
FRAGMENTS = ["@", "app", "api", "router", "server", "Map", "HandleFunc", "Get", "Methods", ".", "get", "use", "all",
             "route", "(", " ", "\n", '"', "'", "`", "/", "/v1/chat", "x", "_", "é", "my", "1", ")", "bootstrap"]


def spans(pattern: re.Pattern[str], text: str) -> list[tuple[tuple[int, int], dict[str, str | None]]]:
    return [(m.span(), m.groupdict()) for m in pattern.finditer(text)]


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=30).map("".join))
def test_the_fast_route_regex_matches_what_the_plain_one_does(text: str) -> None:
    assert spans(_ROUTE, text) == spans(PLAIN, text)


def test_declarations_of_each_framework_and_their_look_alikes() -> None:
    text = ('@app.get("/v1/chat")\nrouter.post(`/items`)\nmyapp.get("/not")\nMapGet("/health")\n'
            'XMapGet("/no")\nHandleFunc("/metrics")\nmuxHandleFunc("/no")\nserver.use("/static")\nwebserver.use("/x")')
    assert [next(v for v in m.groupdict().values() if v) for m in _ROUTE.finditer(text)] == [
        "/v1/chat", "/items", "/health", "/metrics", "/static"]
    assert spans(_ROUTE, text) == spans(PLAIN, text)
