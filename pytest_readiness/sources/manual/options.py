"""The manual source's options: the attestations file and annotation waivers."""

from __future__ import annotations

from dataclasses import dataclass

from pytest_readiness.session import option


@dataclass(frozen=True)
class ManualOptions:
    attestations: str = option("readiness.toml", "attestations, waivers and sign-off file")
    ignore_annotations: bool = option(False, "ignore readiness.io/waive-<check> annotations (strict pipelines)", "bool")
