"""Image case folders: `image.toml` (and layer folders under `image/`) describe an image in text; the driver
builds it as a real archive in the project at run time (tests/image/builder.py: offline, no registry) and
passes `--readiness-image-archive` as a user does.

    format = "oci-archive"            # docker-archive (default), oci-archive or oci-layout
    name = "msft-agent:1.4.2"         # its tag (docker save RepoTags; OCI ref-name annotation)
    multi_arch = true                 # oci-archive: an index with arm64, amd64 and an attestation manifest
    truncate_at = 1500                # cut the archive after this many bytes
    created = "2026-11-20T10:00:00Z"

    [config]                          # the image config's `config`, as is: User, Env, Labels, ExposedPorts,
    User = "10001"                    # Healthcheck, Entrypoint, Cmd, ...

    [[history]]                       # created_by, empty_layer (optional)
    created_by = "COPY app/ /app/ # buildkit"

    [[layers]]                        # base layer first
    dir = "image/base"                # the files of that folder of the case, at their relative paths
    files = {"app/.env" = "DB_PASSWORD=@@FAKE_PASSWORD@@\\n"}
    modes = {"app/run.sh" = 0o755}
    symlinks = {"etc/passwd" = "../srv/passwd"}
    whiteouts = ["app/.env"]          # deleted by this layer (`app/.wh..env`); opaque = ["dir"] empties one
    compression = "gzip"              # gzip (default), none or zstd
    raw = "not a tar"                 # the layer blob as is (a corrupt layer)
    size_in_manifest = false          # OCI: its descriptor omits `size`

    engine = true                     # loaded into a real Podman service and read through it
                                      # (--readiness-image=<name>, DOCKER_HOST), not passed as an archive
    [git]                             # the project is a git work tree with that many (empty) commits
    remote = "git@github.com:contoso/msft-agent.git"
    commits = 2

Every repo file of an image case may name the image built: `@@IMAGE_ID@@` (its config digest),
`@@MANIFEST_DIGEST@@` (OCI formats), `@@DIFF_ID:<n>@@` and `@@LAYER_DIGEST:<n>@@` (layer n, from 1); repo
files and image.toml may name `@@GIT_COMMIT:<n>@@` (commit n of [git], from 1: the last is HEAD) and the
clock: `@@AGO:<minutes>@@` (a UTC timestamp that long before the run, e.g. a Trivy report's CreatedAt) and
`@@DATE:<days>@@` (today plus that many days, negative for the past: an ignore entry's expiry).
"""

from __future__ import annotations

import re
import subprocess
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.case_folders import FAKE_SECRETS, Case
from tests.image import builder
from tests.image.conftest import Podman, podman  # noqa: F401  (fixture: the engine an engine case loads into)

IMAGE_FILE = "image.toml"
ARCHIVES = {"docker-archive": "build/image.tar", "oci-archive": "build/image-oci.tar",
            "oci-layout": "build/image-layout"}
_TOKEN = re.compile(r"@@(IMAGE_ID|MANIFEST_DIGEST|DIFF_ID|LAYER_DIGEST|GIT_COMMIT|AGO|DATE)(?::(-?\d+))?@@")
_GIT_ENV = {"GIT_AUTHOR_NAME": "case", "GIT_AUTHOR_EMAIL": "case@example.test", "GIT_COMMITTER_NAME": "case",
            "GIT_COMMITTER_EMAIL": "case@example.test", "PATH": "/usr/bin:/bin", "HOME": "/nonexistent"}


@dataclass(frozen=True)
class BuiltImage:
    archive: str  # relative to the project
    name: str
    engine: bool
    image_id: str
    manifest_digest: str
    diff_ids: tuple[str, ...]
    layer_digests: tuple[str, ...]


def _fake(text: str) -> str:
    for token, value in FAKE_SECRETS.items():
        text = text.replace(token, value)
    return text


def _layer(case: Case, spec: dict[str, Any]) -> builder.Layer:
    if "raw" in spec:
        return builder.Layer(raw=_fake(str(spec["raw"])).encode())
    files: dict[str, bytes] = {}
    if "dir" in spec:
        root = case.folder / str(spec["dir"])
        assert root.is_dir(), f"{case.name}: image.toml names the layer folder {spec['dir']}, which is absent"
        files |= {p.relative_to(root).as_posix(): _fake(p.read_text(encoding="utf-8")).encode()
                  for p in sorted(root.rglob("*")) if p.is_file()}
    files |= {str(path): str(text).encode() for path, text in spec.get("files", {}).items()}  # faked with the toml
    for path in spec.get("whiteouts", []):
        directory, _, base = str(path).rpartition("/")
        files[f"{directory}/.wh.{base}".lstrip("/")] = b""
    for directory in spec.get("opaque", []):
        files[f"{str(directory).rstrip('/')}/.wh..wh..opq"] = b""
    compression = str(spec.get("compression", "gzip"))
    assert compression in ("gzip", "none", "zstd"), f"{case.name}: compression {compression!r}"
    return builder.Layer(files, symlinks={str(k): str(v) for k, v in spec.get("symlinks", {}).items()},
                         compress=compression == "gzip", zstd=compression == "zstd",
                         modes={str(k): int(v) for k, v in spec.get("modes", {}).items()},
                         sized=bool(spec.get("size_in_manifest", True)))


def _config(spec: dict[str, Any]) -> dict[str, Any]:
    created = str(spec.get("created", "2026-11-20T10:00:00Z"))
    history = [{"created": created, **{str(k): v for k, v in h.items()}} for h in spec.get("history", [])]
    return {"created": created, "architecture": str(spec.get("architecture", "amd64")),
            "os": str(spec.get("os", "linux")), "config": dict(spec.get("config", {})), "history": history}


def _git(project: Path, spec: dict[str, Any]) -> list[str]:
    """Makes `project` a git work tree with `commits` empty commits and the `remote` origin; the commits."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(project), *args], capture_output=True, text=True, check=True,
                              env=_GIT_ENV, timeout=60).stdout.strip()

    git("init", "-q")
    commits = []
    for number in range(int(spec.get("commits", 1))):
        git("commit", "-q", "--allow-empty", "-m", f"commit {number + 1}")
        commits.append(git("rev-parse", "HEAD"))
    if spec.get("remote"):
        git("remote", "add", "origin", str(spec["remote"]))
    return commits


def build(case: Case, spec: dict[str, Any], project: Path) -> BuiltImage:
    """Writes the image `spec` (the case's image.toml) describes into `project`."""
    layers = [_layer(case, layer) for layer in spec.get("layers", [])]
    cfg = _config(spec)
    fmt = str(spec.get("format", "docker-archive"))
    assert fmt in ARCHIVES, f"{case.name}: format {fmt!r} is not one of {sorted(ARCHIVES)}"
    name = str(spec.get("name", "msft-agent:1.4.2"))
    target = project / ARCHIVES[fmt]
    target.parent.mkdir(parents=True, exist_ok=True)
    manifest_digest = ""
    if fmt == "docker-archive":
        builder.docker_save(target, cfg, layers, tags=[name] if name else [])
    elif fmt == "oci-archive":
        manifest_digest = builder.oci_archive(target, cfg, layers, name, multi_arch=bool(spec.get("multi_arch")))
    else:
        target.mkdir()
        manifest_digest = builder.oci_layout(target, cfg, layers, name)
    if "truncate_at" in spec:
        target.write_bytes(target.read_bytes()[: int(spec["truncate_at"])])
    config_bytes = builder._config_bytes(cfg, layers)
    return BuiltImage(ARCHIVES[fmt], name, bool(spec.get("engine")), builder.digest(config_bytes), manifest_digest,
                      tuple(builder.digest(layer.tar() if layer.raw is None else layer.raw) for layer in layers),
                      tuple(builder.digest(layer.blob()) for layer in layers))


def _filler(image: BuiltImage | None, commits: list[str]) -> Any:
    now = datetime.now(UTC)

    def value(match: re.Match[str]) -> str:
        name, number = match.group(1), match.group(2)
        if name == "AGO":
            return (now - timedelta(minutes=int(number or 0))).strftime("%Y-%m-%dT%H:%M:%SZ")
        if name == "DATE":
            return (now + timedelta(days=int(number or 0))).date().isoformat()
        if name == "GIT_COMMIT":
            assert commits, "@@GIT_COMMIT@@ names a commit, and the case's image.toml has no [git]"
            return commits[int(number or len(commits)) - 1]
        if image is None:  # image.toml itself: the image is not built yet
            return match.group(0)
        if name == "IMAGE_ID":
            return image.image_id
        if name == "MANIFEST_DIGEST":
            assert image.manifest_digest, "@@MANIFEST_DIGEST@@: a docker-archive has no manifest digest"
            return image.manifest_digest
        found = image.diff_ids if name == "DIFF_ID" else image.layer_digests
        return found[int(number or 1) - 1]

    return lambda text: _TOKEN.sub(value, text)


def image_input(case: Case, files: dict[str, str], request: pytest.FixtureRequest,
                monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, str], list[str]]:
    """Builds the case's image (and git work tree) in the project: the repo files with their tokens filled in,
    and the arguments naming the image."""
    path = case.folder / IMAGE_FILE
    project: Path = request.getfixturevalue("pytester").path
    image, commits = None, []
    if path.exists():
        text = path.read_text(encoding="utf-8")
        git = tomllib.loads(text).get("git")
        commits = _git(project, git) if git is not None else []
        spec = tomllib.loads(_fake(_filler(None, commits)(text)))
        image = build(case, spec, project)
    fill = _filler(image, commits)
    filled = {relative: fill(text) for relative, text in files.items()}
    if image is None:
        return filled, []
    if not image.engine:
        return filled, [f"--readiness-image-archive={image.archive}"]
    engine: Podman = request.getfixturevalue("podman")
    engine.load(project / image.archive)
    monkeypatch.setenv("DOCKER_HOST", engine.host)
    return filled, [f"--readiness-image={image.name}"]
