"""OPS-MANIFESTS-VALID's document check reuses the manifests source's parse of a file: it says what a parse of
its own says, for clean files, refused documents, syntax errors, and a file changed since it was parsed."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_readiness.sources.kube import manifests, validation

DOCUMENTS = {
    "clean": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Service\n",
    "not-objects": "- a list\n---\njust text\n---\n\n---\nmetadata: {name: b}\nspec: {}\n---\nkind: Pod\n",
    "refused-in-the-middle": "kind: Pod\n---\n" + "[" * 150 + "]" * 150 + "\n---\n- after\n",
    "syntax-error": "apiVersion: v1\n---\n- fine\n---\nkey: [unclosed\n---\n- never read\n",
    "huge-integer": "apiVersion: v1\n---\nvalue: " + "9" * 200 + "\n---\n- x\n",
}


def fresh(path: Path, display: str) -> list[tuple[str, object]]:
    validation._parsed.pop(display, None)
    return list(validation.document_problems(path, display))


@pytest.mark.parametrize("name", DOCUMENTS)
def test_after_the_manifests_parse_the_check_says_what_its_own_parse_says(tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.yaml"
    path.write_text(DOCUMENTS[name])
    display = f"deployment/{name}.yaml"
    expected = fresh(path, display)
    manifests.parse_text(path.read_text(), display)
    assert validation._parsed[display][0] == DOCUMENTS[name]
    assert list(validation.document_problems(path, display)) == expected


def test_a_file_changed_after_the_parse_is_parsed_again(tmp_path: Path) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(DOCUMENTS["clean"])
    manifests.parse_text(DOCUMENTS["clean"], "app.yaml")
    path.write_text(DOCUMENTS["not-objects"])
    assert list(validation.document_problems(path, "app.yaml")) == fresh(path, "app.yaml") != []
