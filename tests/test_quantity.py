"""The Kubernetes quantity parser of the static path, held to apimachinery's grammar and to the
Kubernetes client's own parser wherever the two grammars agree."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pytest_readiness.sources.kube.quantity import parse_quantity

VALID = {
    "500m": Decimal("0.5"),
    "250m": Decimal("0.25"),
    "2": Decimal(2),
    "0.5": Decimal("0.5"),
    ".5": Decimal("0.5"),
    "5.": Decimal(5),
    "+1": Decimal(1),
    "-1": Decimal(-1),
    "1Ki": Decimal(1024),
    "1Gi": Decimal(2**30),
    "1.5Gi": Decimal(3 * 2**29),
    "512Mi": Decimal(512 * 2**20),
    "2Ei": Decimal(2 * 2**60),
    "1k": Decimal(1000),
    "1M": Decimal(10**6),
    "3G": Decimal(3 * 10**9),
    "1E": Decimal(10**18),
    "100n": Decimal("0.0000001"),
    "3u": Decimal("0.000003"),
    "1e3": Decimal(1000),
    "1E3": Decimal(1000),
    "12e-2": Decimal("0.12"),
    "0": Decimal(0),
    "0m": Decimal(0),
}


@pytest.mark.parametrize(("text", "expected"), VALID.items())
def test_valid_quantities_have_their_exact_value(text: str, expected: Decimal) -> None:
    assert parse_quantity(text) == expected


@pytest.mark.parametrize("text", VALID)
def test_agrees_with_the_kubernetes_client(text: str) -> None:
    from kubernetes.utils.quantity import parse_quantity as client_parse

    assert parse_quantity(text) == Decimal(client_parse(text))


@pytest.mark.parametrize("value", [
    "lots", "", " 1", "1 ", "1K", "1ki", "1mi", "1KiB", "Gi", "1.2.3", "NaN", "Infinity", "inf", "0x10",
    "1e", "1e1.5", "1_000", "１", True, False, None, [], {"cpu": 1}, float("nan"), float("inf"),
])
def test_what_the_api_server_refuses_is_not_a_quantity(value: object) -> None:
    assert parse_quantity(value) is None


@pytest.mark.parametrize(("value", "expected"), [(2, Decimal(2)), (0, Decimal(0)), (0.25, Decimal("0.25")),
                                                 (0.1, Decimal("0.1")), (-3, Decimal(-3))])
def test_yaml_numbers_are_quantities(value: object, expected: Decimal) -> None:
    assert parse_quantity(value) == expected


def test_an_absurd_exponent_is_refused_rather_than_built() -> None:
    assert parse_quantity("1e999999999") is None
    assert parse_quantity("1e-999999999") is None
    assert parse_quantity("1e18") == Decimal(10**18)


def test_requests_and_limits_compare_across_suffixes() -> None:
    assert parse_quantity("1024Mi") == parse_quantity("1Gi")
    assert parse_quantity("1500m") > parse_quantity("1")  # type: ignore[operator]
    assert parse_quantity("1G") < parse_quantity("1Gi")  # type: ignore[operator]
