"""Consistency of the check catalog data (pytest_readiness/catalog_toml/*.toml) with the seed checklist."""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
CATALOG_DIR = REPO_ROOT / "pytest_readiness" / "catalog_toml"
VENDORED_SEED = Path(__file__).resolve().parent / "data" / "production-checklist.md"
SHARED_SEED_CANDIDATES = (
    REPO_ROOT.parent / "shared" / "seed" / "production-checklist.md",
    Path("/work/shared/seed/production-checklist.md"),
)

ID_PREFIX_BY_CATEGORY = {
    "security": "SEC",
    "reliability": "REL",
    "observability": "OBS",
    "performance": "PERF",
    "operations": "OPS",
    "compliance": "COMP",
}
# From the seed's Quick Assessment table; compliance says "Variable" and defaults to medium.
DEFAULT_PRIORITY_BY_CATEGORY = {
    "security": "critical",
    "reliability": "critical",
    "observability": "high",
    "performance": "high",
    "operations": "medium",
    "compliance": "medium",
}
PRIORITIES = {"critical", "high", "medium", "low"}
VERIFY_KINDS = {"static", "live", "cluster", "azure", "image", "manual"}
REQUIRED_KEYS = {"id", "title", "verify", "seed", "summary", "remediation"}
OPTIONAL_KEYS = {"priority", "priority_note", "valid_days"}
ID_PATTERN = re.compile(r"^(SEC|REL|OBS|PERF|OPS|COMP)(-[A-Z0-9]+)+$")

# Final Verification steps and Sign-Off rows have no "- [ ]" line in the seed.
PSEUDO_LABELS = frozenset(
    {
        "Pre-Deploy: image builds",
        "Pre-Deploy: security scan",
        "Pre-Deploy: manifests validate",
        "Pre-Deploy: tests run",
        "Pre-Deploy: health endpoints",
        "Post-Deploy: pods running",
        "Post-Deploy: logs free of errors",
        "Post-Deploy: health check in pod",
        "Post-Deploy: functionality",
        "Post-Deploy: metrics",
        "Sign-Off: Security Review",
        "Sign-Off: Architecture Review",
        "Sign-Off: Operations Review",
        "Sign-Off: Compliance Review",
        "Sign-Off: Final Approval",
    }
)

CHECKLIST_LINE = re.compile(r"^\s*- \[ \] (.*)")
BOLD_TEXT = re.compile(r"\*\*(.+?)\*\*")
FENCE = re.compile(r"^\s*```(\w*)")
CONFIG_SNIPPET_LANGUAGES = {"toml", "yaml"}


def seed_label(checklist_text: str) -> str:
    bold = BOLD_TEXT.search(checklist_text)
    return (bold.group(1) if bold else checklist_text).strip()


def parse_seed_labels(markdown: str) -> list[str]:
    """Labels of every checklist line, in document order (duplicates kept)."""
    labels = []
    for line in markdown.splitlines():
        match = CHECKLIST_LINE.match(line)
        if match:
            labels.append(seed_label(match.group(1)))
    return labels


def parse_config_snippets(markdown: str) -> dict[str, list[list[str]]]:
    """TOML/YAML code blocks that follow a checklist line, as significant lines without comments."""
    snippets: dict[str, list[list[str]]] = {}
    current_label: str | None = None
    fence_language: str | None = None
    block: list[str] = []
    for line in markdown.splitlines():
        fence = FENCE.match(line)
        if fence_language is not None:
            if fence:
                if current_label is not None and fence_language in CONFIG_SNIPPET_LANGUAGES:
                    snippets.setdefault(current_label, []).append(block)
                fence_language, block = None, []
                continue
            significant = re.sub(r"\s+#.*$", "", line).strip()
            if significant and not significant.startswith("#"):
                block.append(significant)
        elif fence:
            fence_language = fence.group(1)
        elif line.startswith("#"):
            current_label = None
        elif match := CHECKLIST_LINE.match(line):
            current_label = seed_label(match.group(1))
    return snippets


def load_category(category: str) -> dict[str, Any]:
    with (CATALOG_DIR / f"{category}.toml").open("rb") as handle:
        return tomllib.load(handle)


def all_checks() -> list[tuple[str, dict[str, Any]]]:
    return [
        (category, check) for category in ID_PREFIX_BY_CATEGORY for check in load_category(category)["check"]
    ]


@pytest.fixture(scope="module")
def seed_text() -> str:
    return VENDORED_SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def seed_labels(seed_text: str) -> frozenset[str]:
    return frozenset(parse_seed_labels(seed_text))


def test_label_parser_takes_bold_text_or_whole_line() -> None:
    markdown = "\n".join(
        [
            "## Security",
            "- [ ] **Rate limiting enabled** — Prevent abuse",
            "  - [ ] OAuth 2.0 / Azure AD authentication",
            "- [ ] **PII handling configured** (redact or block)",
            "- [x] **Done already** is not a checklist line of the seed form",
            "| Security Review | | | [ ] |",
        ]
    )
    assert parse_seed_labels(markdown) == [
        "Rate limiting enabled",
        "OAuth 2.0 / Azure AD authentication",
        "PII handling configured",
    ]


def test_snippet_parser_ties_blocks_to_their_line_and_drops_comments() -> None:
    markdown = "\n".join(
        [
            "- [ ] **Distributed tracing enabled**",
            "  ```toml",
            "  [agent.observability]",
            '  tracing_exporter = "azure"  # or "otlp"',
            "  ```",
            "- [ ] **No hardcoded secrets**",
            "  ```bash",
            "  grep -r password",
            "  ```",
            "### Pre-Deploy Checks",
            "```yaml",
            "# Kubernetes",
            "spec: {}",
            "```",
        ]
    )
    assert parse_config_snippets(markdown) == {
        "Distributed tracing enabled": [["[agent.observability]", 'tracing_exporter = "azure"']],
    }


def test_seed_has_every_checklist_line(seed_text: str) -> None:
    labels = parse_seed_labels(seed_text)
    assert len(labels) == 100
    assert Counter(labels)["Runbooks created"] == 2
    assert {"Managed Identity configured", "Error rate > 1%", "SOC 2 (if applicable)"} <= set(labels)


def test_vendored_seed_matches_shared_seed() -> None:
    shared = next((path for path in SHARED_SEED_CANDIDATES if path.is_file()), None)
    if shared is None:
        pytest.skip("shared/seed/production-checklist.md not found beside the repo or under /work")
    assert VENDORED_SEED.read_bytes() == shared.read_bytes(), (
        f"tests/data/production-checklist.md differs from {shared}; copy the shared seed over it"
    )


def test_one_catalog_file_per_category() -> None:
    assert {path.stem for path in CATALOG_DIR.glob("*.toml")} == set(ID_PREFIX_BY_CATEGORY)


@pytest.mark.parametrize("category", sorted(ID_PREFIX_BY_CATEGORY))
def test_catalog_file_holds_only_check_tables(category: str) -> None:
    data = load_category(category)
    assert set(data) == {"check"}
    assert isinstance(data["check"], list) and data["check"]


@pytest.mark.parametrize("category", sorted(ID_PREFIX_BY_CATEGORY))
def test_check_entries_are_well_formed(category: str) -> None:
    problems = []
    for check in load_category(category)["check"]:
        name = check.get("id", "<no id>")
        missing = REQUIRED_KEYS - set(check)
        unknown = set(check) - REQUIRED_KEYS - OPTIONAL_KEYS
        if missing:
            problems.append(f"{name}: missing {sorted(missing)}")
        if unknown:
            problems.append(f"{name}: unknown keys {sorted(unknown)}")
        if not ID_PATTERN.match(str(name)) or not str(name).startswith(ID_PREFIX_BY_CATEGORY[category] + "-"):
            problems.append(f"{name}: id must be UPPER-KEBAB with prefix {ID_PREFIX_BY_CATEGORY[category]}-")
        if check.get("verify") not in VERIFY_KINDS:
            problems.append(f"{name}: verify {check.get('verify')!r} not in {sorted(VERIFY_KINDS)}")
        if "priority" in check and check["priority"] not in PRIORITIES:
            problems.append(f"{name}: priority {check['priority']!r} not in {sorted(PRIORITIES)}")
        title = check.get("title", "")
        if not isinstance(title, str) or not title or "\n" in title or len(title) > 60:
            problems.append(f"{name}: title must be one short line")
        summary = check.get("summary", "")
        if not isinstance(summary, str) or "\n" in summary or not summary.endswith("."):
            problems.append(f"{name}: summary must be one sentence on one line")
        remediation = check.get("remediation", "")
        if not isinstance(remediation, str) or not remediation.strip():
            problems.append(f"{name}: remediation must be non-empty text")
        seed = check.get("seed")
        if not isinstance(seed, list) or not seed or not all(isinstance(label, str) for label in seed):
            problems.append(f"{name}: seed must be a non-empty list of labels")
        elif len(set(seed)) != len(seed):
            problems.append(f"{name}: seed lists a label twice")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("category", sorted(ID_PREFIX_BY_CATEGORY))
def test_priority_note_documents_every_deviation(category: str) -> None:
    default = DEFAULT_PRIORITY_BY_CATEGORY[category]
    problems = []
    for check in load_category(category)["check"]:
        deviates = check.get("priority", default) != default
        note = check.get("priority_note")
        if deviates and not (isinstance(note, str) and note.strip()):
            problems.append(
                f"{check['id']}: priority {check['priority']} differs from {default} without priority_note"
            )
        if not deviates and note is not None:
            problems.append(f"{check['id']}: priority_note on a check at the category default {default}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("category", sorted(ID_PREFIX_BY_CATEGORY))
def test_valid_days_exactly_on_manual_checks(category: str) -> None:
    problems = []
    for check in load_category(category)["check"]:
        valid_days = check.get("valid_days")
        if check["verify"] == "manual":
            if not (
                isinstance(valid_days, int) and not isinstance(valid_days, bool) and 0 < valid_days <= 730
            ):
                problems.append(f"{check['id']}: manual check needs valid_days between 1 and 730")
        elif valid_days is not None:
            problems.append(f"{check['id']}: valid_days only applies to manual checks")
    assert not problems, "\n".join(problems)


def test_check_ids_are_unique() -> None:
    counts = Counter(check["id"] for _, check in all_checks())
    assert [check_id for check_id, count in counts.items() if count > 1] == []


def test_every_seed_entry_is_a_known_label(seed_labels: frozenset[str]) -> None:
    known = seed_labels | PSEUDO_LABELS
    unknown = [
        (check["id"], label) for _, check in all_checks() for label in check["seed"] if label not in known
    ]
    assert unknown == []


def test_every_seed_label_maps_to_a_check(seed_labels: frozenset[str]) -> None:
    mapped = {label for _, check in all_checks() for label in check["seed"]}
    assert sorted(seed_labels - mapped) == []


def test_every_pseudo_label_maps_to_a_check() -> None:
    mapped = {label for _, check in all_checks() for label in check["seed"]}
    assert sorted(PSEUDO_LABELS - mapped) == []


def test_remediation_carries_the_seed_config_snippet(seed_text: str) -> None:
    remediations_by_label: dict[str, list[str]] = {}
    for _, check in all_checks():
        for label in check["seed"]:
            remediations_by_label.setdefault(label, []).append(check["remediation"])
    snippets = parse_config_snippets(seed_text)
    assert len(snippets) >= 20, "seed snippet parsing found too few TOML/YAML blocks"
    missing = [
        (label, block)
        for label, blocks in snippets.items()
        for block in blocks
        if not any(
            all(line in remediation for line in block) for remediation in remediations_by_label.get(label, [])
        )
    ]
    assert missing == []
