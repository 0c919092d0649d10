"""Read an image from a `docker save` archive, an OCI image layout directory or an OCI archive.

Nothing is extracted to disk and no link is followed: archives are read with tarfile, layers are
streamed (gzip, zstd or uncompressed) and bounded in bytes, files and time, and metadata files in size.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import posixpath
import stat
import tarfile
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from pytest_readiness.api import SourceError
from pytest_readiness.results import Location
from pytest_readiness.secrets import scan_text
from pytest_readiness.sources.image.model import HistoryEntry, Image, Layer, LayerFiles

MAX_METADATA_BYTES = 16 * 1024 * 1024  # index, manifest and config JSON
MAX_LINK_DEPTH = 8
IMAGE_NAME_ANNOTATION = "io.containerd.image.name"
REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name"
INDEX_TYPES = ("application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json")
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
# OS and language-package directories: their files are the distribution's, not the build's.
SYSTEM_PREFIXES = ("usr/", "lib/", "lib64/", "bin/", "sbin/", "proc/", "sys/", "dev/", "var/lib/", "var/cache/",
                   "etc/ssl/", "etc/ca-certificates/", "etc/pki/")
PACKAGE_DIRS = ("/site-packages/", "/dist-packages/", "/node_modules/", "/__pycache__/", "/.cache/")
SECRET_FILE_NAMES = frozenset({".env", ".npmrc", ".pypirc", ".git-credentials", ".netrc", "id_rsa", "id_ecdsa",
                               "id_ed25519", "credentials", ".dockercfg"})
SECRET_SUFFIXES = (".pem", ".key", ".p12", ".pfx")


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 1_048_576
    max_layer_bytes: int = 2_147_483_648
    max_files: int = 50_000
    timeout: float = 120.0


class LimitReached(Exception):
    pass


# --- where the blobs are -------------------------------------------------------------------------

class Blobs:
    """Named files of an archive or a layout directory."""

    display: str

    def exists(self, name: str) -> bool:
        raise NotImplementedError

    def open(self, name: str) -> IO[bytes]:
        raise NotImplementedError

    def close(self) -> None:
        return None

    def size(self, name: str) -> int | None:
        return None

    def read_json(self, name: str) -> tuple[Any, bytes]:
        with self.open(name) as stream:
            data = stream.read(MAX_METADATA_BYTES + 1)
        if len(data) > MAX_METADATA_BYTES:
            raise SourceError(f"{self.display}:{name}", f"larger than {MAX_METADATA_BYTES} bytes: not image metadata")
        try:
            return json.loads(data), data
        except (ValueError, UnicodeDecodeError) as exc:
            raise SourceError(f"{self.display}:{name}", f"not valid JSON ({exc})") from None


class DirBlobs(Blobs):
    """An OCI image layout directory; a blob that is not a regular file inside it is refused."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.display = str(root)

    def _path(self, name: str) -> Path:
        path = (self.root / name).resolve()
        if not path.is_relative_to(self.root):
            raise SourceError(f"{self.display}/{name}", "is a link pointing outside the image layout: not followed")
        return path

    def exists(self, name: str) -> bool:
        return (self.root / name).exists() or (self.root / name).is_symlink()

    def open(self, name: str) -> IO[bytes]:
        path = self._path(name)
        try:
            mode = path.stat().st_mode
        except OSError as exc:
            raise SourceError(f"{self.display}/{name}", f"missing from the image layout ({exc.strerror})") from None
        if not stat.S_ISREG(mode):
            raise SourceError(f"{self.display}/{name}", "is not a regular file")
        return path.open("rb")

    def size(self, name: str) -> int | None:
        return self._path(name).stat().st_size


class TarBlobs(Blobs):
    """A docker-save or OCI archive (optionally gzip-compressed); links resolve inside the archive only."""

    def __init__(self, path: Path | None, display: str = "", fileobj: IO[bytes] | None = None) -> None:
        self.display = display or str(path)
        self.fileobj = fileobj
        try:
            self.tar = tarfile.open(path, mode="r:*", fileobj=fileobj)  # noqa: SIM115 - closed by close()
            self.members = {_normal(m.name): m for m in self.tar.getmembers()}
        except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
            if fileobj is not None:
                fileobj.close()
            raise SourceError(self.display, f"not a readable tar archive (truncated or corrupt: {exc})") from None

    def _member(self, name: str) -> tarfile.TarInfo:
        name = _normal(name)
        for _ in range(MAX_LINK_DEPTH):
            member = self.members.get(name)
            if member is None:
                raise SourceError(f"{self.display}:{name}", "missing from the archive")
            if member.isfile():
                return member
            if not (member.issym() or member.islnk()):
                raise SourceError(f"{self.display}:{name}", "is not a regular file")
            target = member.linkname if member.islnk() else posixpath.join(posixpath.dirname(name), member.linkname)
            resolved = posixpath.normpath(target)
            if member.linkname.startswith("/") or resolved.startswith("../") or resolved == "..":
                raise SourceError(f"{self.display}:{name}", f"links to {member.linkname}, outside the archive: "
                                  "not followed")
            name = _normal(resolved)
        raise SourceError(f"{self.display}:{name}", "too many links")

    def exists(self, name: str) -> bool:
        return _normal(name) in self.members

    def size(self, name: str) -> int | None:
        return self._member(name).size

    def open(self, name: str) -> IO[bytes]:
        stream = self.tar.extractfile(self._member(name))
        assert stream is not None
        return stream

    def close(self) -> None:
        self.tar.close()
        if self.fileobj is not None:
            self.fileobj.close()


def _normal(name: str) -> str:
    name = name.lstrip("/")
    while name.startswith("./"):
        name = name[2:]
    return name.rstrip("/")


def _blob(digest: str) -> str:
    algorithm, _, hexdigits = digest.partition(":")
    if not algorithm.isalnum() or not hexdigits.isalnum():
        raise SourceError(digest, "not a content digest")
    return f"blobs/{algorithm}/{hexdigits}"


# --- the image's metadata ------------------------------------------------------------------------

def open_blobs(path: Path) -> Blobs:
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise SourceError(str(path), f"cannot read the image archive ({exc.strerror})") from None
    if stat.S_ISDIR(mode):
        return DirBlobs(path)
    if not stat.S_ISREG(mode):
        raise SourceError(str(path), "is neither a file nor a directory (a FIFO or device is not an image archive)")
    return TarBlobs(path)


def read_archive(path: Path, name: str = "", limits: Limits = Limits()) -> Image:
    """The image in `path`; `name` picks one when the archive holds several, and names it."""
    return read_blobs(open_blobs(path), name, limits)


def read_blobs(blobs: Blobs, name: str, limits: Limits) -> Image:
    """The image whose blobs `blobs` holds; its layers are read (and `blobs` closed) on first use."""
    try:
        if blobs.exists("manifest.json"):
            image, layer_names = _docker_save(blobs, name)
        elif blobs.exists("index.json"):
            image, layer_names = _oci(blobs, name)
        else:
            raise SourceError(blobs.display, "has neither manifest.json (docker save) nor index.json (OCI image "
                                             "layout)")
    except SourceError:
        blobs.close()
        raise
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        blobs.close()
        raise SourceError(blobs.display, f"truncated or corrupt archive ({exc})") from None

    def read_files() -> LayerFiles:
        try:
            return layer_files(blobs, image.layers, layer_names, limits)
        finally:
            blobs.close()

    image.read_files = read_files
    return image


def _matches(wanted: str, *names: str) -> bool:
    from pytest_readiness.sources.image.refs import same_image

    return any(same_image(wanted, n) for n in names if n)


def _docker_save(blobs: Blobs, name: str) -> tuple[Image, list[str]]:
    entries, _ = blobs.read_json("manifest.json")
    if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
        raise SourceError(f"{blobs.display}:manifest.json", "is not a docker save manifest (a list of images)")
    chosen = next((e for e in entries if name and _matches(name, *(e.get("RepoTags") or []))), None)
    if chosen is None and name and len(entries) > 1:
        known = sorted(t for e in entries for t in e.get("RepoTags") or [])
        raise SourceError(blobs.display, f"holds no image named {name} (it has {', '.join(known)})")
    chosen = chosen or entries[0]
    config_name = str(chosen.get("Config", ""))
    config, raw = blobs.read_json(config_name)
    layer_names = [str(n) for n in chosen.get("Layers") or []]
    tags = tuple(str(t) for t in chosen.get("RepoTags") or [])
    manifest_digest = _docker_save_oci_digest(blobs, tags)
    image = _from_config(config, raw, blobs, name or (tags[0] if tags else ""), "docker save archive",
                         tags, manifest_digest, [(n, "", blobs.size(n), "") for n in layer_names])
    return image, layer_names


def _docker_save_oci_digest(blobs: Blobs, tags: tuple[str, ...]) -> str:
    """Docker 25+ writes an OCI index next to manifest.json: its manifest digest, when there is one image."""
    if not blobs.exists("index.json"):
        return ""
    try:
        index, _ = blobs.read_json("index.json")
    except SourceError:
        return ""
    manifests = index.get("manifests") if isinstance(index, dict) else None
    if isinstance(manifests, list) and len(manifests) == 1 and isinstance(manifests[0], dict):
        return str(manifests[0].get("digest", ""))
    return ""


def _descriptor_names(descriptor: dict[str, Any]) -> list[str]:
    annotations = descriptor.get("annotations") or {}
    return [str(annotations[k]) for k in (IMAGE_NAME_ANNOTATION, REF_NAME_ANNOTATION) if annotations.get(k)]


def _is_image_manifest(descriptor: dict[str, Any]) -> bool:
    annotations = descriptor.get("annotations") or {}
    platform = descriptor.get("platform") or {}
    return annotations.get("vnd.docker.reference.type") != "attestation-manifest" and platform.get("os") != "unknown"


def _oci(blobs: Blobs, name: str) -> tuple[Image, list[str]]:
    index, _ = blobs.read_json("index.json")
    descriptor: dict[str, Any] | None = None
    names: list[str] = []
    for _depth in range(4):
        manifests = [m for m in (index.get("manifests") or []) if isinstance(m, dict)] if isinstance(
            index, dict) else []
        candidates = [m for m in manifests if _is_image_manifest(m)]
        if not candidates:
            raise SourceError(f"{blobs.display}:index.json", "lists no image manifest")
        named = [m for m in candidates if name and _matches(name, *_descriptor_names(m))]
        amd64 = [m for m in candidates if (m.get("platform") or {}).get("architecture") == "amd64"]
        descriptor = (named or amd64 or candidates)[0]
        names = names or _descriptor_names(descriptor)
        if descriptor.get("mediaType") not in INDEX_TYPES:
            break
        index, _ = blobs.read_json(_blob(str(descriptor.get("digest", ""))))
    assert descriptor is not None
    manifest_digest = str(descriptor.get("digest", ""))
    manifest, _ = blobs.read_json(_blob(manifest_digest))
    if not isinstance(manifest, dict) or not isinstance(manifest.get("config"), dict):
        raise SourceError(f"{blobs.display}:{_blob(manifest_digest)}", "is not an image manifest")
    config, raw = blobs.read_json(_blob(str(manifest["config"].get("digest", ""))))
    layers = [(_blob(str(m.get("digest", ""))), str(m.get("digest", "")), m.get("size"), str(m.get("mediaType", "")))
              for m in manifest.get("layers") or [] if isinstance(m, dict)]
    full_names = [n for n in names if "/" in n or ":" in n]
    display_name = name or (full_names[0] if full_names else (names[0] if names else ""))
    image = _from_config(config, raw, blobs, display_name, "OCI image", tuple(full_names), manifest_digest, layers)
    return image, [n for n, *_ in layers]


def _from_config(config: Any, raw: bytes, blobs: Blobs, name: str, kind: str, tags: tuple[str, ...],
                 manifest_digest: str, layers: list[tuple[str, str, Any, str]]) -> Image:
    if not isinstance(config, dict):
        raise SourceError(blobs.display, "the image config is not a JSON object")
    diff_ids = [str(d) for d in (config.get("rootfs") or {}).get("diff_ids") or []]
    history = tuple(
        HistoryEntry(i, str(h.get("created_by", "")), str(h.get("created", "")), bool(h.get("empty_layer")),
                     str(h.get("comment", "")))
        for i, h in enumerate((h for h in config.get("history") or [] if isinstance(h, dict)), 1)
    )
    model_layers = tuple(
        Layer(i, digest or (diff_ids[i - 1] if i <= len(diff_ids) else name_), diff_ids[i - 1] if i <= len(
            diff_ids) else "", size if isinstance(size, int) else None, media_type)
        for i, (name_, digest, size, media_type) in enumerate(layers, 1)
    )
    sizes = [layer.size for layer in model_layers]
    image_id = "sha256:" + hashlib.sha256(raw).hexdigest()
    return Image(
        name=name or image_id, source=f"{kind} {blobs.display}", id=image_id,
        config=config["config"] if isinstance(config.get("config"), dict) else {},
        layers=model_layers, history=history, repo_tags=tags, manifest_digest=manifest_digest,
        created=str(config.get("created", "")),
        size=sum(s for s in sizes if s is not None) if sizes and None not in sizes else None,
        platform=f"{config.get('os', '?')}/{config.get('architecture', '?')}",
    )


# --- the layers' files ---------------------------------------------------------------------------

class _Bounded:
    """A read-only stream that raises LimitReached past `limit` bytes."""

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        self.stream, self.limit, self.count = stream, limit, 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.count += len(data)
        if self.count > self.limit:
            raise LimitReached(f"more than --readiness-image-max-layer-bytes={self.limit} uncompressed bytes: the "
                               "rest of the layer was not read")
        return data


def _decompressed(raw: IO[bytes]) -> tuple[IO[bytes] | None, str]:
    head = raw.read(4)
    rest = _Prefixed(head, raw)
    if head.startswith(GZIP_MAGIC):
        return gzip.GzipFile(fileobj=rest, mode="rb"), "gzip"  # type: ignore[call-overload]
    if head.startswith(ZSTD_MAGIC):  # application/vnd.oci.image.layer.v1.tar+zstd (buildx compression=zstd)
        try:
            import zstandard
        except ImportError:
            return None, "zstd"
        return zstandard.ZstdDecompressor().stream_reader(rest, read_across_frames=True), "zstd"  # type: ignore[arg-type]
    return rest, "tar"  # type: ignore[return-value]


class _Prefixed:
    def __init__(self, head: bytes, stream: IO[bytes]) -> None:
        self.head, self.stream = head, stream

    def read(self, size: int = -1) -> bytes:
        if self.head:
            if size < 0:
                data, self.head = self.head + self.stream.read(), b""
                return data
            data, self.head = self.head[:size], self.head[size:]
            return data + (self.stream.read(size - len(data)) if size > len(data) else b"")
        return self.stream.read(size)


def _scan_worthy(path: str) -> bool:
    base = posixpath.basename(path)
    return base in SECRET_FILE_NAMES or base.startswith(".env") or base.endswith(SECRET_SUFFIXES)


def _is_system(path: str) -> bool:
    return path.startswith(SYSTEM_PREFIXES) or any(d in f"/{path}" for d in PACKAGE_DIRS)


@dataclass
class _Entry:
    layer: Layer
    link: str | None = None
    content: bytes | None = None


def layer_files(blobs: Blobs, layers: tuple[Layer, ...], names: list[str], limits: Limits) -> LayerFiles:
    """Read every layer in order: scan text files for secrets, keep the final /etc/passwd."""
    found = LayerFiles()
    tree: dict[str, _Entry] = {}
    deadline = time.monotonic() + limits.timeout
    for layer, blob in zip(layers, names, strict=False):
        try:
            with blobs.open(blob) as raw:
                _read_layer(raw, layer, tree, found, limits, deadline)
        except SourceError as exc:
            found.errors.append((layer.where, exc.problem))
        except LimitReached as exc:
            found.incomplete.append(f"{layer.where}: {exc}")
        except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
            found.errors.append((layer.where, f"truncated or corrupt layer ({exc})"))
        except Exception as exc:  # whatever else a malformed layer makes tarfile raise
            found.errors.append((layer.where, f"unreadable layer ({type(exc).__name__}: {exc})"))
        if found.incomplete and "files in all" in found.incomplete[-1]:
            break
    found.passwd, found.passwd_where, found.passwd_problem = _passwd(tree, limits)
    return found


def _read_layer(raw: IO[bytes], layer: Layer, tree: dict[str, _Entry], found: LayerFiles, limits: Limits,
                deadline: float) -> None:
    stream, compression = _decompressed(raw)
    if stream is None:
        found.incomplete.append(f"{layer.where}: {compression}-compressed layers are not read without the "
                                "zstandard package (pip install zstandard)")
        return
    bounded = _Bounded(stream, limits.max_layer_bytes)
    layer_limit = (f"more than --readiness-image-max-layer-bytes={limits.max_layer_bytes} uncompressed bytes: the "
                   "rest of the layer was not read")
    with tarfile.open(fileobj=bounded, mode="r|") as tar:  # type: ignore[call-overload]
        for member in tar:
            if time.monotonic() > deadline:
                raise LimitReached(f"reading the layers took longer than --readiness-image-timeout="
                                   f"{limits.timeout:g}s: the rest was not read")
            if member.offset_data + member.size > limits.max_layer_bytes:
                raise LimitReached(f"/{_normal(member.name)} ({member.size} bytes) goes past " + layer_limit)
            _add_member(tar, member, layer, tree, found, limits)
            if found.files > limits.max_files:
                raise LimitReached(f"more than --readiness-image-max-files={limits.max_files} files in all: the "
                                   "remaining layers were not read")


def _add_member(tar: tarfile.TarFile, member: tarfile.TarInfo, layer: Layer, tree: dict[str, _Entry],
                found: LayerFiles, limits: Limits) -> None:
    path = _normal(member.name)
    directory, base = posixpath.split(path)
    if base == ".wh..wh..opq":
        for key in [k for k in tree if k.startswith(directory + "/")]:
            del tree[key]
        return
    if base.startswith(".wh."):
        removed = posixpath.join(directory, base[4:])
        for key in [k for k in tree if k == removed or k.startswith(removed + "/")]:
            del tree[key]
        return
    if member.issym():
        tree[path] = _Entry(layer, link=member.linkname)
        if posixpath.normpath(posixpath.join(directory, member.linkname)).startswith("../"):
            found.escaping_links.append((layer.file(path), f"links to {member.linkname}, outside the image: "
                                                            "not followed"))
        return
    if member.islnk():
        tree[path] = tree.get(_normal(member.linkname), _Entry(layer))
        return
    if not member.isfile():
        tree.pop(path, None)
        return
    found.files += 1
    keep = base == "passwd"  # /etc/passwd, or the file a symlinked /etc/passwd points to (usr/lib/passwd, ...)
    if _scan_worthy(path):
        found.secret_files.append((layer.file(path), f"a {base} file ({member.size} bytes)"))
    entry = _Entry(layer)
    tree[path] = entry
    if _is_system(path) and not _scan_worthy(path) and not keep:
        found.skipped_system += 1
        return
    if member.size > limits.max_file_bytes:
        found.skipped_large += 1
        return
    stream = tar.extractfile(member)
    data = stream.read() if stream is not None else b""
    if keep:
        entry.content = data
    if b"\0" in data[:8192]:
        found.skipped_binary += 1
        return
    found.scanned += 1
    text = data.decode("utf-8", errors="replace")
    found.secrets += [(layer.file(path), finding) for finding in scan_text(text, f"/{path}")]


def _resolve(tree: dict[str, _Entry], path: str) -> _Entry | None:
    for _ in range(MAX_LINK_DEPTH):
        entry = tree.get(path)
        if entry is None or entry.link is None:
            return entry
        target = entry.link if entry.link.startswith("/") else posixpath.join(posixpath.dirname(path), entry.link)
        normal = posixpath.normpath(target)
        if normal.startswith("../") or normal == "..":
            return None  # outside the image: never followed
        path = _normal(normal)
    return None


def _passwd(tree: dict[str, _Entry], limits: Limits) -> tuple[dict[str, int] | None, Location | None, str]:
    """The final /etc/passwd's users; or None, and why it is there but was not read ("" when it is absent)."""
    entry = _resolve(tree, "etc/passwd")
    if entry is None:
        return None, None, ""
    if entry.content is None:
        link = tree["etc/passwd"].link
        return None, entry.layer.file("etc/passwd"), (
            f"/etc/passwd links to /{_normal(link)}, which is not read (only files named passwd are)" if link else
            f"/etc/passwd is larger than --readiness-image-max-file-bytes={limits.max_file_bytes}")
    users: dict[str, int] = {}
    for line in entry.content.decode("utf-8", errors="replace").splitlines():
        fields = line.split(":")
        if len(fields) >= 3 and fields[2].strip().isdigit():
            users.setdefault(fields[0], int(fields[2]))
    return users, entry.layer.file("etc/passwd"), ""


def spooled_archive(chunks: Iterable[bytes], limit: int, where: str) -> IO[bytes]:
    """An engine's `docker save` stream in a temporary file (deleted on close), at most `limit` bytes."""
    import tempfile

    spool = tempfile.TemporaryFile()  # noqa: SIM115 - the caller closes it
    written = 0
    for chunk in chunks:
        written += len(chunk)
        if written > limit:
            spool.close()
            raise SourceError(where, f"the image is larger than {limit} bytes: its layers were not read")
        spool.write(chunk)
    spool.seek(0, os.SEEK_SET)
    return spool
