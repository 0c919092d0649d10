"""Which container images the repository builds, read from its CI, compose, skaffold, bake and Makefile
builds, so a manifest's image can be matched with the Dockerfile that built it."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
import yaml

from pytest_readiness.results import Location
from pytest_readiness.secrets import is_placeholder
from pytest_readiness.session import cache_of
from pytest_readiness.sources import yaml_reader
from pytest_readiness.sources.repo.files import Repo

BUILD_FILES = ("Makefile", "makefile", "GNUmakefile", "*.mk", "*.sh", "docker-bake.hcl", "docker-bake.json",
               "Taskfile.yml", "Justfile", "justfile")
COMPOSE_FILES = ("docker-compose*.yml", "docker-compose*.yaml", "compose*.yml", "compose*.yaml")
SKAFFOLD_FILES = ("skaffold*.yaml", "skaffold*.yml")
_TAGGED_BUILD = re.compile(
    r"\b(?:docker|podman|nerdctl)\s+(?:buildx\s+)?build\b[^\n]*?\s(?:-t|--tag)[ =]+[\"']?(?P<ref>[^\s\"']+)"
    r"|\bbuildah\s+(?:bud|build)\b[^\n]*?\s(?:-t|--tag)[ =]+[\"']?(?P<ref2>[^\s\"']+)"
    r"|\baz\s+acr\s+build\b[^\n]*?\s(?:-t|--image)[ =]+[\"']?(?P<ref3>[^\s\"']+)"
    r"|--destination[ =][\"']?(?P<ref4>[^\s\"']+)"  # kaniko
    r"|-Djib\.to\.image=[\"']?(?P<ref5>[^\s\"']+)|\bjib\s*\{[^}]*?image\s*=\s*[\"'](?P<ref6>[^\"']+)",
)
_YAML_TAGS = re.compile(r"^[ \t]*(?:tags|images|image_name|imageName|repository):[ \t]*(?P<inline>[^|>\n]*)"
                        r"(?:[|>][-+]?[ \t]*\n(?P<block>(?:[ \t]+\S[^\n]*\n?)+))?", re.MULTILINE)
_MAKE_IMAGE = re.compile(r"^[ \t]*(?:export[ \t]+)?\w*IMAGE\w*[ \t]*[:?+]?=[ \t]*(?P<ref>\S+)", re.MULTILINE)
_VARIABLE = re.compile(r"\$\{\{[^}]*\}\}|\$\{[^}]*\}|\$\([^)]*\)|\{\{[^}]*\}\}|\$\w+")


@dataclass(frozen=True)
class ImageBuild:
    reference: str  # as written: registry, tag and variables included
    where: Location

    @property
    def name(self) -> str:
        """The image's repository name (its last path part, no tag or digest); "" when a variable names it."""
        return image_name(self.reference)


def image_name(reference: str) -> str:
    cleaned = _VARIABLE.sub("", reference.strip().strip("\"'")).split("@")[0]
    last = cleaned.rstrip("/").rpartition("/")[2]
    name = last.partition(":")[0].lower()
    return "" if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", name) or is_placeholder(name) else name


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _text_builds(path: str, text: str) -> Iterator[ImageBuild]:
    for match in _TAGGED_BUILD.finditer(text):
        ref = next(v for k, v in match.groupdict().items() if v)
        yield ImageBuild(ref, Location(path, _line(text, match.start())))
    if path.endswith((".yml", ".yaml")) and re.search(r"build-push-action|metadata-action|Docker@\d|buildah",
                                                       text):
        for match in _YAML_TAGS.finditer(text):
            refs = [match["inline"], *(match["block"] or "").splitlines()]
            for ref in re.split(r"[\s,]+", " ".join(refs)):
                if ref.strip() and not ref.startswith(("type=", "#")):
                    yield ImageBuild(ref, Location(path, _line(text, match.start())))
    if not path.endswith((".yml", ".yaml", ".sh")):
        for match in _MAKE_IMAGE.finditer(text):
            yield ImageBuild(match["ref"], Location(path, _line(text, match.start())))


def _yaml_documents(text: str) -> list[Any]:
    try:
        return [d for d in yaml_reader.load_all(text) if isinstance(d, Mapping)]
    except yaml.YAMLError:
        return []


def _compose_builds(path: str, text: str) -> Iterator[ImageBuild]:
    for document in _yaml_documents(text):
        services = document.get("services")
        for service in (services.values() if isinstance(services, Mapping) else []):
            if isinstance(service, Mapping) and service.get("build") and isinstance(service.get("image"), str):
                yield ImageBuild(service["image"], Location(path, _line(text, text.find(service["image"]))))


def _skaffold_builds(path: str, text: str) -> Iterator[ImageBuild]:
    for document in _yaml_documents(text):
        build = document.get("build")
        artifacts = build.get("artifacts") if isinstance(build, Mapping) else None
        for artifact in artifacts if isinstance(artifacts, list) else []:
            if isinstance(artifact, Mapping) and isinstance(artifact.get("image"), str):
                yield ImageBuild(artifact["image"], Location(path, _line(text, text.find(artifact["image"]))))


def image_builds(repo: Repo) -> list[ImageBuild]:
    """Every image build the repository runs, in CI, compose, skaffold, bake, scripts or a Makefile."""
    found: list[ImageBuild] = []
    readers = [(repo.ci_files() + repo.matching(*BUILD_FILES), _text_builds),
               (repo.matching(*COMPOSE_FILES), _compose_builds), (repo.matching(*SKAFFOLD_FILES), _skaffold_builds)]
    for paths, read in readers:
        for path in paths:
            found += read(path, repo.text(path) or "")
    return found


def builds_of(image: str, builds: list[ImageBuild]) -> list[ImageBuild]:
    """The builds that produce `image`: same repository name, or an image ko builds from source."""
    name = image_name(image)
    return [b for b in builds if name and b.name == name]


def is_ko_image(image: str) -> bool:
    return image.startswith("ko://")



def session_image_builds(config: pytest.Config, repo: Repo) -> list[ImageBuild]:
    """`image_builds(repo)`, read once per session."""
    return cache_of(config).get("image_builds", lambda: image_builds(repo))
