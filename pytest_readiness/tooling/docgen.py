"""Generates docs/checklist.md from the catalog: `python -m pytest_readiness.tooling.docgen > docs/checklist.md`."""

from __future__ import annotations

import re
from pathlib import Path

from pytest_readiness.catalog import CATEGORIES, CATEGORY_PRIORITY, Check, load_catalog
from pytest_readiness.sources.registry import by_marker

DOCS = Path(__file__).resolve().parents[2] / "docs"
HEADING = re.compile(r"^#{2,4} (.+)$", re.M)
CHECK_ID = re.compile(r"\b[A-Z]{3,4}(?:-[A-Z0-9]+)+\b")


def anchor(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def detailed_sections(docs: Path = DOCS) -> dict[str, str]:
    """Check id -> `page.md#anchor` of the first heading in docs/ (outside checklist.md) that names it."""
    found: dict[str, str] = {}
    for page in sorted(docs.rglob("*.md")):
        if page.name == "checklist.md":
            continue
        for heading in HEADING.findall(page.read_text(encoding="utf-8")):
            for check_id in CHECK_ID.findall(heading):
                found.setdefault(check_id, f"{page.relative_to(docs).as_posix()}#{anchor(heading)}")
    return found


def _reference(check: Check, how: str, more: str | None) -> list[str]:
    out = [f"### {check.id}: {check.title}", "",
           f"*{check.category}, {check.priority}, verified by {how}.* {check.summary.strip()}", "",
           "Remediation:", "", "```text", check.remediation.strip(), "```", ""]
    if more:
        out += [f"More: [{more.split('#')[0]}]({more}).", ""]
    return out


def render() -> str:
    checks = list(load_catalog().values())
    how = by_marker()
    out = [
        "# The checklist",
        "",
        "Generated from `pytest_readiness/catalog_toml/*.toml` by `python -m pytest_readiness.tooling.docgen`;",
        "do not edit by hand (a test fails when this file is stale).",
        "",
        "Each line of the seed checklist (`production-checklist.md`) maps to the checks below.",
        "Priorities default to the seed's Quick Assessment table (security and reliability critical,",
        "observability and performance high, operations medium, compliance \"Variable\": medium unless",
        "noted); deviations are noted per check.",
        "",
    ]
    for category in CATEGORIES:
        out += [f"## {category.title()} (default priority: {CATEGORY_PRIORITY[category]})", ""]
        out += ["| Id | Check | Priority | Verified by | Seed line(s) |", "|---|---|---|---|---|"]
        for c in (c for c in checks if c.category == category):
            priority = c.priority + (f" ({c.priority_note})" if c.priority_note else "")
            seeds = "; ".join(c.seed).replace("|", "\\|")
            out.append(f"| `{c.id}` | {c.title} | {priority} | {how[c.verify].how} | {seeds} |")
        out.append("")
    out += ["## Seed line index", "", "| Seed line | Checks |", "|---|---|"]
    index: dict[str, list[str]] = {}
    for c in checks:
        for label in c.seed:
            index.setdefault(label, []).append(f"`{c.id}`")
    for label, ids in index.items():
        out.append(f"| {label.replace('|', chr(92) + '|')} | {', '.join(ids)} |")
    out += ["", "## Check reference", "",
            "One section per check: what it verifies and how to fix a failure. SARIF rules link here (`helpUri`).", ""]
    sections = detailed_sections()
    for c in checks:
        out += _reference(c, how[c.verify].how, sections.get(c.id))
    return "\n".join(out).rstrip("\n") + "\n"


def render_options() -> str:
    from pytest_readiness.settings import fields, flag, ini_key

    out = [
        "# Options",
        "",
        "Generated from `pytest_readiness/settings.py` by `python -m pytest_readiness.tooling.docgen options`.",
        "Every option is a command-line flag and an ini key (pytest.ini, tox.ini, setup.cfg or",
        "`[tool.pytest.ini_options]` in pyproject.toml); the flag wins over the ini key.",
        "Relative paths are relative to the project (`--readiness-project`, default: the rootdir).",
        "",
        "| flag | ini key | default | meaning |",
        "|---|---|---|---|",
        "| `--readiness` | | | run the readiness checklist instead of the project's tests |",
        "| `--readiness-list` | | | print the catalog and exit |",
    ]
    for f in fields():
        default = f.default
        if isinstance(default, tuple):
            default = ", ".join(default)
        shown = f"`{default}`" if default not in (None, "", ()) else ""
        out.append(f"| `{flag(f.name)}` | `{ini_key(f.name)}` | {shown} | {f.metadata['help']} |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    import sys

    print(render_options() if sys.argv[1:] == ["options"] else render(), end="")
