"""One model of a container image, whether read from an engine or from an archive.

Every fact says where it came from: `image.where("User")` is the image config's field, a layer's
`where` is "image layer N <digest>" and a file's is that layer plus its path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pytest_readiness.results import Location
from pytest_readiness.secrets import SecretFinding

OCI_SOURCE = "org.opencontainers.image.source"
OCI_REVISION = "org.opencontainers.image.revision"


def short(digest: str) -> str:
    """`sha256:0123456789ab`: the algorithm and the first 12 hex digits."""
    algorithm, _, hexdigits = digest.partition(":")
    return f"{algorithm}:{hexdigits[:12]}" if hexdigits else digest[:19]


@dataclass(frozen=True)
class HistoryEntry:
    index: int  # 1-based, oldest first
    created_by: str
    created: str = ""
    empty_layer: bool = False
    comment: str = ""


@dataclass(frozen=True)
class Layer:
    index: int  # 1-based, base layer first
    digest: str  # the blob's digest (the diff id when the source has no blob digest)
    diff_id: str = ""
    size: int | None = None
    media_type: str = ""

    @property
    def where(self) -> Location:
        return Location(f"image layer {self.index} {short(self.digest)}")

    def file(self, path: str) -> Location:
        return Location(f"image layer {self.index} {short(self.digest)} /{path}")


@dataclass
class LayerFiles:
    """What reading the layers' files found. Layers are read once, bounded in size, count and time."""

    files: int = 0  # regular files seen in all layers
    scanned: int = 0  # text files passed through the secret scanner
    skipped_large: int = 0
    skipped_binary: int = 0
    skipped_system: int = 0  # files in OS and package directories (usr/, site-packages, ...)
    secrets: list[tuple[Location, SecretFinding]] = field(default_factory=list)
    secret_files: list[tuple[Location, str]] = field(default_factory=list)  # (.env, id_rsa, ...) by name
    escaping_links: list[tuple[Location, str]] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)  # limits that stopped reading: what was not read
    errors: list[tuple[Location, str]] = field(default_factory=list)  # corrupt or unreadable layers
    passwd: dict[str, int] | None = None  # from the final /etc/passwd, None when the image has none
    passwd_where: Location | None = None
    passwd_problem: str = ""  # why an /etc/passwd the image has was not read (too large, a link to a file not kept)

    @property
    def passwd_unread(self) -> str:
        """Why the users of /etc/passwd are unknown; "" when they are read, or when the image surely has none."""
        if self.passwd is not None:
            return ""
        return "; ".join([self.passwd_problem] if self.passwd_problem else
                         [*self.incomplete, *(f"{where}: {problem}" for where, problem in self.errors)])

    def summary(self) -> str:
        return (f"{self.files} files in the layers: {self.scanned} text files scanned, {self.skipped_large} over "
                f"the size limit, {self.skipped_binary} binary, {self.skipped_system} in OS and package "
                "directories not scanned")


@dataclass
class Image:
    name: str  # the reference the run names the image by
    source: str  # "archive <path> (<format>)" or "engine <host> (<engine name>)"
    id: str  # the config's digest (the image id)
    config: Mapping[str, Any]  # the image config's `config`: User, Env, Labels, ExposedPorts, Healthcheck, ...
    layers: tuple[Layer, ...] = ()
    history: tuple[HistoryEntry, ...] = ()
    repo_tags: tuple[str, ...] = ()
    repo_digests: tuple[str, ...] = ()
    manifest_digest: str = ""
    created: str = ""
    size: int | None = None
    platform: str = ""
    unreported: Mapping[str, str] = field(default_factory=dict)  # config field -> why the source cannot tell
    read_files: Callable[[], LayerFiles] | None = field(default=None, repr=False)
    _files: LayerFiles | None = field(default=None, repr=False)

    def where(self, config_field: str = "") -> Location:
        return Location(f"image {self.name} {short(self.id)} config {config_field}".rstrip())

    @property
    def user(self) -> str:
        return str(self.config.get("User") or "")

    @property
    def env(self) -> dict[str, str]:
        env = self.config.get("Env")
        pairs = (str(e).partition("=") for e in (env if isinstance(env, list) else []))
        return {name: value for name, _, value in pairs}

    @property
    def labels(self) -> dict[str, str]:
        labels = self.config.get("Labels") or {}
        return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, Mapping) else {}

    @property
    def exposed_ports(self) -> set[tuple[int, str]]:
        """(port, protocol) pairs of ExposedPorts (`8080/tcp`)."""
        ports: set[tuple[int, str]] = set()
        exposed = self.config.get("ExposedPorts")
        for key in exposed if isinstance(exposed, dict | list) else []:
            number, _, protocol = str(key).partition("/")
            if number.isdigit():
                ports.add((int(number), (protocol or "tcp").lower()))
        return ports

    @property
    def healthcheck(self) -> list[str] | None:
        """The HEALTHCHECK test (`["CMD", ...]`), [] for `HEALTHCHECK NONE`, None when there is none."""
        check = self.config.get("Healthcheck")
        if not isinstance(check, Mapping):
            return None
        test = [str(t) for t in check.get("Test") or []]
        return [] if test == ["NONE"] else test

    @property
    def names(self) -> tuple[str, ...]:
        """Every reference the image is known by: the run's name, its tags and repo digests."""
        return tuple(dict.fromkeys(n for n in (self.name, *self.repo_tags, *self.repo_digests) if n))

    @property
    def digests(self) -> set[str]:
        """Digests that identify this image: its id, its manifest digest and its repo digests."""
        found = {self.id, self.manifest_digest, *(d.rpartition("@")[2] for d in self.repo_digests)}
        return {d for d in found if d}

    def files(self) -> LayerFiles:
        """The layers' files, read on first use; an image whose source cannot read layers has none, and says so."""
        if self._files is None:
            self._files = self.read_files() if self.read_files is not None else LayerFiles(
                incomplete=[f"its layers' files cannot be read from {self.source}"])
        return self._files

    def __str__(self) -> str:
        return f"{self.name} ({short(self.id)}, {self.source})"
