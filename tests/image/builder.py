"""Write image archives byte by byte, for shapes a real builder will not make on request.

`Layer` is a list of tar members; `docker_save`, `oci_layout` and `oci_archive` write the same image
in the three formats the archive reader takes.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"
LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class Layer:
    files: dict[str, bytes] = field(default_factory=dict)
    symlinks: dict[str, str] = field(default_factory=dict)
    fifos: tuple[str, ...] = ()
    compress: bool = True
    raw: bytes | None = None  # the blob as is (a bomb, a corrupt layer)
    modes: dict[str, int] = field(default_factory=dict)  # path -> file mode (default 0o644)
    zstd: bool = False  # zstd-compressed (application/vnd.oci.image.layer.v1.tar+zstd) instead of gzip
    sized: bool = True  # False: its OCI descriptor omits `size` (required by the spec; some tools drop it)

    def tar(self) -> bytes:
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for path, data in self.files.items():
                info = tarfile.TarInfo(path)
                info.size, info.mode = len(data), self.modes.get(path, 0o644)
                tar.addfile(info, io.BytesIO(data))
            for path, target in self.symlinks.items():
                info = tarfile.TarInfo(path)
                info.type, info.linkname = tarfile.SYMTYPE, target
                tar.addfile(info)
            for path in self.fifos:
                info = tarfile.TarInfo(path)
                info.type = tarfile.FIFOTYPE
                tar.addfile(info)
        return out.getvalue()

    def blob(self) -> bytes:
        if self.raw is not None:
            return self.raw
        data = self.tar()
        if self.zstd:
            import zstandard

            return zstandard.ZstdCompressor(level=3).compress(data)
        return gzip.compress(data, mtime=0) if self.compress else data

    @property
    def media_type(self) -> str:
        return LAYER_ZSTD if self.zstd else LAYER_GZIP if self.compress else LAYER_TAR


def bomb_layer(size: int = 8 * 1024**3, name: str = "app/zeros.bin") -> Layer:
    """A gzip layer holding one `size`-byte file of zeros, a few MiB on disk: gzip members concatenated,
    each one the same compressed run of zeros."""
    info = tarfile.TarInfo(name)
    info.size = size
    header = info.tobuf(format=tarfile.GNU_FORMAT)
    chunk = 64 * 1024 * 1024
    zeros = gzip.compress(b"\0" * chunk, compresslevel=9, mtime=0)
    parts = [gzip.compress(header, mtime=0)]
    parts += [zeros] * (size // chunk)
    parts.append(gzip.compress(b"\0" * (size % chunk + (-size % 512) + 1024), mtime=0))
    return Layer(raw=b"".join(parts))


def config(user: str | None = "10001", env: Sequence[str] = ("PATH=/usr/bin",), labels: dict[str, str] | None = None,
           history: Sequence[str] = (), exposed: Sequence[str] = ("8080/tcp",), healthcheck: list[str] | None = None,
           created: str = "2026-11-20T10:00:00Z") -> dict[str, Any]:
    cfg: dict[str, Any] = {"Env": list(env), "Labels": labels or {}, "ExposedPorts": {p: {} for p in exposed}}
    if user is not None:
        cfg["User"] = user
    if healthcheck is not None:
        cfg["Healthcheck"] = {"Test": healthcheck}
    return {"created": created, "architecture": "amd64", "os": "linux", "config": cfg,
            "history": [{"created": created, "created_by": h} for h in history]}


def _config_bytes(cfg: dict[str, Any], layers: Sequence[Layer]) -> bytes:
    cfg = dict(cfg)
    diff_ids = [digest(layer.tar() if layer.raw is None else layer.raw) for layer in layers]
    cfg["rootfs"] = {"type": "layers", "diff_ids": diff_ids}
    return json.dumps(cfg).encode()


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def docker_save(path: Path, cfg: dict[str, Any], layers: Sequence[Layer], tags: Sequence[str] = ("msft-agent:1.4.2",),
                truncate_at: int | None = None) -> Path:
    return docker_save_many(path, [(cfg, layers, tags)], truncate_at)


def docker_save_many(path: Path, images: Sequence[tuple[dict[str, Any], Sequence[Layer], Sequence[str]]],
                     truncate_at: int | None = None) -> Path:
    """A `docker save` archive of several images (`docker save a b`)."""
    out = io.BytesIO()
    entries = []
    with tarfile.open(fileobj=out, mode="w") as tar:
        for number, (cfg, layers, tags) in enumerate(images):
            config_bytes = _config_bytes(cfg, layers)
            config_name = digest(config_bytes).split(":")[1] + ".json"
            names = []
            for i, layer in enumerate(layers):
                names.append(f"image{number}-layer{i}/layer.tar")
                _add(tar, names[-1], layer.blob())
            _add(tar, config_name, config_bytes)
            entries.append({"Config": config_name, "RepoTags": list(tags), "Layers": names})
        _add(tar, "manifest.json", json.dumps(entries).encode())
    data = out.getvalue()
    path.write_bytes(data[:truncate_at] if truncate_at else data)
    return path


def _oci_blobs(cfg: dict[str, Any], layers: Sequence[Layer]) -> tuple[dict[str, bytes], str]:
    config_bytes = _config_bytes(cfg, layers)
    blobs = {digest(config_bytes): config_bytes}
    descriptors = []
    for layer in layers:
        blob = layer.blob()
        blobs[digest(blob)] = blob
        descriptors.append({"mediaType": layer.media_type, "digest": digest(blob),
                            **({"size": len(blob)} if layer.sized else {})})
    manifest = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": {
        "mediaType": OCI_CONFIG, "digest": digest(config_bytes), "size": len(config_bytes)},
        "layers": descriptors}).encode()
    blobs[digest(manifest)] = manifest
    return blobs, digest(manifest)


def oci_layout(path: Path, cfg: dict[str, Any], layers: Sequence[Layer], name: str = "msft-agent:1.4.2") -> str:
    """Write an OCI image layout directory; returns the manifest digest."""
    blobs, manifest_digest = _oci_blobs(cfg, layers)
    (path / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
    for d, data in blobs.items():
        (path / "blobs" / "sha256" / d.split(":")[1]).write_bytes(data)
    (path / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    size = len(blobs[manifest_digest])
    (path / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [{
        "mediaType": OCI_MANIFEST, "digest": manifest_digest, "size": size,
        "annotations": {"io.containerd.image.name": f"docker.io/library/{name}",
                        "org.opencontainers.image.ref.name": name.rpartition(":")[2]}}]}))
    return manifest_digest


def oci_archive(path: Path, cfg: dict[str, Any], layers: Sequence[Layer], name: str = "msft-agent:1.4.2",
                multi_arch: bool = False) -> str:
    """An OCI archive (a tar of the layout), as `docker buildx build --output type=oci` writes; with
    `multi_arch` the index points to a nested index with an arm64 image, the amd64 one and an attestation."""
    blobs, manifest_digest = _oci_blobs(cfg, layers)
    manifests = [{"mediaType": OCI_MANIFEST, "digest": manifest_digest, "size": len(blobs[manifest_digest]),
                  "platform": {"os": "linux", "architecture": "amd64"}}]
    if multi_arch:
        other_blobs, other = _oci_blobs(config(user=None), [Layer({"arm/only": b"arm"})])
        blobs.update(other_blobs)
        manifests = [{"mediaType": OCI_MANIFEST, "digest": other, "size": len(blobs[other]),
                      "platform": {"os": "linux", "architecture": "arm64"}}, *manifests,
                     {"mediaType": OCI_MANIFEST, "digest": other, "size": len(blobs[other]),
                      "platform": {"os": "unknown", "architecture": "unknown"},
                      "annotations": {"vnd.docker.reference.type": "attestation-manifest"}}]
    nested = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}).encode()
    blobs[digest(nested)] = nested
    top = {"mediaType": OCI_INDEX, "digest": digest(nested), "size": len(nested),
           "annotations": {"io.containerd.image.name": f"docker.io/library/{name}",
                           "org.opencontainers.image.ref.name": name.rpartition(":")[2]}}
    index = json.dumps({"schemaVersion": 2, "manifests": [top]}).encode()
    with tarfile.open(path, mode="w") as tar:
        _add(tar, "oci-layout", b'{"imageLayoutVersion": "1.0.0"}')
        _add(tar, "index.json", index)
        for d, data in blobs.items():
            _add(tar, f"blobs/sha256/{d.split(':')[1]}", data)
    return manifest_digest
