"""Read an image through a Docker-compatible engine with the docker SDK (`docker.from_env()`: DOCKER_HOST,
DOCKER_TLS_VERIFY, DOCKER_CERT_PATH), Docker's or Podman's compatible API alike."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from pytest_readiness.api import SourceError
from pytest_readiness.sources.image.archive import Limits, TarBlobs, read_blobs, spooled_archive
from pytest_readiness.sources.image.model import HistoryEntry, Image, Layer, LayerFiles

PODMAN_DROPS = {
    "Healthcheck": "Podman's Docker-compatible API does not report HEALTHCHECK (see `podman image inspect`)",
}


class ImageAbsent(SourceError):
    """The engine answered, and has no image of that name."""


def _engine_name(client: Any) -> str:
    try:
        components = client.version().get("Components") or []
    except Exception:  # the version call is informative only
        return "unknown engine"
    names = [str(c.get("Name", "")) for c in components if isinstance(c, dict)]
    return next((n for n in names if "Podman" in n), names[0] if names else "Docker Engine")


def read_engine(ref: str, limits: Limits) -> Image:
    import docker
    import docker.errors

    host = os.environ.get("DOCKER_HOST") or "the default Docker socket"
    where = f"engine {host}"
    try:
        client = docker.from_env(timeout=max(1, int(limits.timeout)))
    except docker.errors.DockerException as exc:
        raise SourceError(where, f"no Docker-compatible engine to read {ref} from (DOCKER_HOST; {exc})") from None
    try:
        attrs = client.api.inspect_image(ref)
        history = client.api.history(ref)
    except docker.errors.ImageNotFound:
        client.close()
        raise ImageAbsent(where, f"has no image {ref}: build it (docker build -t {ref} ...) or pull it") from None
    except Exception as exc:  # connection refused, TLS, timeouts: whatever the SDK raises
        client.close()
        first = (str(exc).strip().splitlines() or [""])[0]
        raise SourceError(where, f"cannot read image {ref}: {type(exc).__name__}: {first}") from None
    engine = _engine_name(client)
    image = _from_inspect(ref, attrs, history, f"engine {host} ({engine})")
    if "Podman" in engine:
        image.unreported = {k: v for k, v in PODMAN_DROPS.items() if k not in image.config}

    def read_files() -> LayerFiles:
        try:
            spool = spooled_archive(client.api.get_image(ref), limits.max_layer_bytes, where)
            saved = read_blobs(TarBlobs(None, f"{where} save {ref}", fileobj=spool), ref, limits)
            return saved.files()
        except SourceError as exc:
            return LayerFiles(errors=[(image.where(), exc.problem)])
        except Exception as exc:
            return LayerFiles(errors=[(image.where(), f"saving {ref} from the engine failed: {exc}")])
        finally:
            client.close()

    image.read_files = read_files
    return image


def _from_inspect(ref: str, attrs: dict[str, Any], history: list[dict[str, Any]], source: str) -> Image:
    diff_ids = [str(d) for d in (attrs.get("RootFS") or {}).get("Layers") or []]
    entries = []
    for i, h in enumerate(reversed(history or []), 1):  # the API lists the newest first
        created = h.get("Created")
        when = datetime.fromtimestamp(created, UTC).isoformat() if isinstance(created, int | float) else ""
        entries.append(HistoryEntry(i, str(h.get("CreatedBy", "")), when, False, str(h.get("Comment", ""))))
    return Image(
        name=ref, source=source, id=str(attrs.get("Id", "")),
        config=attrs.get("Config") or {},
        layers=tuple(Layer(i, d, d) for i, d in enumerate(diff_ids, 1)),
        history=tuple(entries),
        repo_tags=tuple(attrs.get("RepoTags") or ()), repo_digests=tuple(attrs.get("RepoDigests") or ()),
        created=str(attrs.get("Created", "")), size=attrs.get("Size") if isinstance(attrs.get("Size"), int) else None,
        platform=f"{attrs.get('Os', '?')}/{attrs.get('Architecture', '?')}",
    )
