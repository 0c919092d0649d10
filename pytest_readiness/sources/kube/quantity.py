"""Kubernetes resource quantities (`500m`, `1Gi`, `2.5`, `1e3`) as exact decimals.

The grammar of apimachinery's `resource.ParseQuantity`, so the static path needs no Kubernetes
client (importing `kubernetes.utils` loads the whole generated client):

    <quantity> ::= <sign>? <number> <suffix>
    <number>   ::= <digits> | <digits> "." <digits>? | "." <digits>
    <suffix>   ::= "" | n | u | m | k | M | G | T | P | E     (powers of 1000)
                 | Ki | Mi | Gi | Ti | Pi | Ei                (powers of 1024)
                 | ("e" | "E") <sign>? <digits>               (powers of 10)

YAML numbers (`cpu: 2`, `cpu: 0.5`) are quantities too; anything else (booleans, `1K`, `lots`,
`NaN`, surrounding spaces) is not, and gives None, as the API server would refuse it.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

_QUANTITY = re.compile(
    r"(?P<number>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))"
    r"(?:(?P<binary>[KMGTPE]i)|(?P<decimal>[numkMGTPE])|[eE](?P<exponent>[+-]?[0-9]+))?"
)
_DECIMAL = {"n": -9, "u": -6, "m": -3, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_MAX_EXPONENT = 1000  # far beyond any real quantity; keeps `1e999999999` from building a huge number


def parse_quantity(value: Any) -> Decimal | None:
    """The quantity's exact value, or None when `value` is not a Kubernetes quantity."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if value == value and abs(value) != float("inf") else None
    if not isinstance(value, str):
        return None
    found = _QUANTITY.fullmatch(value)
    if found is None:
        return None
    number = Decimal(found["number"])
    if found["binary"]:
        return number * (1 << _BINARY[str(found["binary"])])
    exponent = _DECIMAL[found["decimal"]] if found["decimal"] else int(found["exponent"] or 0)
    if abs(exponent) > _MAX_EXPONENT:
        return None
    try:
        return number.scaleb(exponent)
    except InvalidOperation:
        return None
