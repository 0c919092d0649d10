"""Image references: `registry/repo:tag@digest`, normalised the way Docker does."""

from __future__ import annotations

import re
from dataclasses import dataclass

DIGEST = re.compile(r"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}$")
MUTABLE_TAGS = frozenset({"latest", "stable", "main", "master", "dev", "develop", "edge", "nightly", "prod",
                          "production", "staging", "test", "current", "release"})


@dataclass(frozen=True)
class Reference:
    repository: str  # normalised: docker.io/library/nginx
    tag: str = ""
    digest: str = ""
    local: bool = False  # msft-agent, localhost/..., docker.io/library/...: a name a local build gives

    @property
    def last(self) -> str:
        return self.repository.rpartition("/")[2]

    def __str__(self) -> str:
        return self.repository + (f":{self.tag}" if self.tag else "") + (f"@{self.digest}" if self.digest else "")


def parse(ref: str) -> Reference:
    name, _, digest = ref.strip().partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag = ""
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
    first, has_slash, rest = name.partition("/")
    is_host = has_slash and ("." in first or ":" in first or first == "localhost")
    local = not is_host or first == "localhost" or name.startswith("docker.io/library/")
    if not is_host:
        name = "docker.io/" + (name if has_slash else f"library/{name}")
    elif first in ("index.docker.io", "registry-1.docker.io"):
        name = f"docker.io/{rest}"
    return Reference(name.lower(), tag, digest, local)


def same_image(wanted: str, other: str) -> bool:
    """`msft-agent:1.0` names `docker.io/library/msft-agent:1.0`; a name without a tag names every tag."""
    a, b = parse(wanted), parse(other)
    if a.repository != b.repository:
        return False
    return (not a.tag or not b.tag or a.tag == b.tag) and (not a.digest or not b.digest or a.digest == b.digest)


def deployed_as(deployed: str, names: tuple[str, ...], digests: set[str]) -> str | None:
    """How a manifest's `image:` refers to the image known by `names` and `digests`, or None if it does not."""
    ref = parse(deployed)
    if ref.digest and ref.digest in digests:
        return f"by digest {ref.digest}"
    for name in names:
        known = parse(name)
        if known.repository == ref.repository:
            return f"by repository {ref.repository}"
        if known.local and known.last == ref.last:  # built as msft-agent, pushed as acr.io/msft-agent
            return f"by name {ref.last} (the image read is named {name})"
    return None


def is_immutable_tag(tag: str) -> bool:
    """A version-like tag (1.4.2, v2, 2024-06-01, a git sha), not latest or a branch name."""
    return bool(tag) and tag.lower() not in MUTABLE_TAGS and any(c.isdigit() for c in tag)
