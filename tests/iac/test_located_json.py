from __future__ import annotations

import time

import pytest

from pytest_readiness.sources.azure.iac.located_json import MAX_BYTES, JsonProblem, line_index, loads


def test_every_key_and_item_has_its_line() -> None:
    text = '{\n  "a": 1,\n  "rules": [\n    {"name": "ssh",\n     "port": 22},\n    "x"\n  ],\n  "s": "\\u00e9"\n}'
    data = loads(text)
    assert data == {"a": 1, "rules": [{"name": "ssh", "port": 22}, "x"], "s": "é"}
    lines = line_index(data, "", {})
    assert lines["a"] == 2
    assert lines["rules[0]"] == lines["rules[ssh]"] == 4
    assert lines["rules[ssh].port"] == 5
    assert lines["rules[1]"] == 6
    assert lines["s"] == 8


@pytest.mark.parametrize(("text", "line"), [
    ('{\n  "a": 1\n  "b": 2\n}', 3),          # missing comma
    ('{\n  "a": [1, 2,]\n}', 2),               # trailing comma
    ('{\n  "a": "open\n}', 2),                 # unterminated string
    ('{\n  // a comment\n  "a": 1\n}', 2),     # JSONC is not JSON
])
def test_malformed_json_names_the_line(text: str, line: int) -> None:
    with pytest.raises(JsonProblem) as problem:
        loads(text)
    assert problem.value.line == line
    assert f"line {line}" in problem.value.message


def test_deep_nesting_is_refused_quickly() -> None:
    started = time.monotonic()
    for text in ("[" * 200_000 + "]" * 200_000, '{"a":' * 100 + "1" + "}" * 100):
        with pytest.raises(JsonProblem, match="nested deeper"):
            loads(text)
    assert time.monotonic() - started < 10


def test_oversized_text_is_refused_before_parsing() -> None:
    with pytest.raises(JsonProblem, match="byte limit"):
        loads("[" + "1," * (MAX_BYTES // 2) + "1]")


def test_comments_as_arm_accepts_them_keep_every_line() -> None:
    text = ('{\n  // the cache\n  "url": "https://x.example//y", /* inline */ "b": 1,\n  /* two\n     lines */\n'
            '  "c": "/* not a comment */"\n}')
    data = loads(text, comments=True)
    assert data == {"url": "https://x.example//y", "b": 1, "c": "/* not a comment */"}
    assert line_index(data, "", {}) == {"url": 3, "b": 3, "c": 6}
