"""The one list of sources. Markers, docs, option groups, fixture registration and the list of
checklist lines not automated yet are all derived from it.

Each entry names its modules as strings (as testinfra's module map does), so reading the registry
imports nothing: a source's fixtures are imported when a readiness run registers them.
An organisation's own source adds entries through the `pytest_readiness_sources` hook.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Source:
    package: str  # pytest_readiness.sources.<package>, or a full module path for an organisation's source
    marker: str  # the marker of its checks, and the catalog's `verify` value
    describes: str  # marker help and docs: what the checks read
    enabled_by: str = ""  # the option that gives the target; "" for a source read on every run
    options: str = ""  # "module:Class" of its options block
    fixtures: tuple[str, ...] = ()  # modules registered as pytest plugins under --readiness
    not_yet: str = ""  # set while this release cannot read the source: its checks are unverified with it
    markers: Mapping[str, str] = field(default_factory=dict)  # the source's own markers, besides its `marker`

    @property
    def how(self) -> str:
        """How docs name the source: what it reads and the option that enables it."""
        return f"{self.describes} (`{self.enabled_by}`)" if self.enabled_by else self.describes

    def options_class(self) -> type[Any] | None:
        if not self.options:
            return None
        module, _, name = self.options.partition(":")
        return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


_P = "pytest_readiness.sources"
SOURCES: tuple[Source, ...] = (
    Source("repo", "static", "the repository's files", options=f"{_P}.repo.options:RepoOptions",
           fixtures=(f"{_P}.repo.fixtures",)),
    Source("kube", "cluster", "a live Kubernetes cluster", "--readiness-kube-context",
           f"{_P}.kube.options:KubeOptions", (f"{_P}.kube.fixtures", f"{_P}.kube.cluster_fixtures")),
    Source("service", "live", "the running service", "--readiness-url", f"{_P}.service.options:ServiceOptions",
           (f"{_P}.service.fixtures",)),
    Source("azure", "azure", "Azure Resource Manager", "--readiness-azure-subscription",
           f"{_P}.azure.options:AzureOptions", (f"{_P}.azure.fixtures", f"{_P}.azure.iac.fixtures"),
           markers={"azure_types(*types)": "run a check taking azure_resource on resources of these types only"}),
    Source("image", "image", "the built container image", "--readiness-image",
           f"{_P}.image.options:ImageOptions", (f"{_P}.image.fixtures",)),
    Source("manual", "manual", "a human attestation (readiness.toml)", options=f"{_P}.manual.options:ManualOptions"),
)


def by_marker() -> dict[str, Source]:
    return {s.marker: s for s in SOURCES}


MARKERS: tuple[str, ...] = tuple(s.marker for s in SOURCES)
