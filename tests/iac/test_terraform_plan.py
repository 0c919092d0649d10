"""A `terraform show -json` plan is read instead of the HCL: exact values, lines into the plan file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pytest_readiness.results import Location
from pytest_readiness.sources.azure.iac.declared import load
from pytest_readiness.sources.azure.model import UNKNOWN

from .conftest import edit, line_of

Repo = Callable[[str], Path]


def test_the_plan_wins_over_the_hcl_beside_it(fixture_repo: Repo) -> None:
    root = fixture_repo("terraform-plan")
    declared = load(root)
    plan = root / "terraform" / "tfplan.json"
    assert {r.source for r in declared.resources} == {"terraform-plan"}
    redis = next(r for r in declared.resources if r.is_type("Microsoft.Cache/redis"))
    assert redis.get("properties.enableNonSslPort") is True  # v4's non_ssl_port_enabled, from the plan
    assert redis.location_of("properties.enableNonSslPort") == Location(
        "terraform/tfplan.json", line_of(plan, '"non_ssl_port_enabled": true'))
    assert redis.defaults == {}  # the plan already holds the provider's values: nothing assumed
    openai = next(r for r in declared.resources if r.is_type("Microsoft.CognitiveServices/accounts"))
    assert openai.get("properties.publicNetworkAccess") == "Disabled"


def test_known_after_apply_is_unknown_except_references_to_planned_ids(fixture_repo: Repo) -> None:
    declared = load(fixture_repo("terraform-plan"))
    endpoint = next(r for r in declared.resources if r.is_type("Microsoft.Network/privateEndpoints"))
    assert endpoint.get("properties.subnet.id") is UNKNOWN  # azurerm_subnet.endpoints is not in the plan
    target = endpoint.get("properties.privateLinkServiceConnections")[0]["properties"]["privateLinkServiceId"]
    account = declared.by_id(target)
    assert account is not None and account.name == "agent-openai"


def test_editing_the_plan_flips_the_value(fixture_repo: Repo) -> None:
    root = fixture_repo("terraform-plan")
    edit(root / "terraform" / "tfplan.json", '"minimum_tls_version": "1.0"', '"minimum_tls_version": "1.2"')
    redis = next(r for r in load(root).resources if r.is_type("Microsoft.Cache/redis"))
    assert redis.get("properties.minimumTlsVersion") == "1.2"


def test_a_malformed_plan_names_its_line(tmp_path: Path) -> None:
    (tmp_path / "terraform").mkdir()
    (tmp_path / "terraform" / "plan.json").write_text('{\n  "format_version": "1.2",\n  "planned_values": {\n}\n')
    problems = load(tmp_path).problems
    assert [p.location.path for p in problems] == ["terraform/plan.json"]
    assert "invalid JSON" in problems[0].message and problems[0].location.line
