"""The archive reader on real buildah images in three formats, and on archives written byte by byte."""

from __future__ import annotations

import os
import time
import tracemalloc
from pathlib import Path

import pytest

from pytest_readiness.api import SourceError
from pytest_readiness.sources.image.archive import Limits, read_archive
from tests.image import builder
from tests.image.builder import Layer
from tests.image.conftest import Built

PASSWD = b"root:x:0:0:root:/root:/bin/sh\nagent:x:10001:10001::/app:/sbin/nologin\n"


@pytest.mark.parametrize("fmt", ["docker_archive", "oci_layout", "oci_archive"])
def test_a_buildah_image_reads_the_same_in_every_format(good_image: Built, fmt: str) -> None:
    image = read_archive(getattr(good_image, fmt), good_image.name)
    assert image.user == "10001"
    assert image.exposed_ports == {(8080, "tcp")}
    assert image.labels["org.opencontainers.image.revision"] == "0123abc"
    assert image.env["APP_MODE"] == "production"
    assert len(image.layers) == 1  # buildah commits the build as one layer
    assert image.created.startswith("20")
    assert any("USER 10001" in h.created_by for h in image.history)
    files = image.files()
    assert files is not None and not files.errors and not files.incomplete
    assert files.passwd == {"root": 0, "agent": 10001}
    assert files.scanned == 3 and files.files == 3
    assert str(files.passwd_where).startswith("image layer 1 sha256:")
    if fmt == "docker_archive":
        assert image.healthcheck == ["CMD", "/app/health"]
        assert "msft-agent:1.4.2" in " ".join(image.repo_tags)
    else:  # the OCI config has no HEALTHCHECK
        assert image.manifest_digest.startswith("sha256:")


def test_oci_layout_and_archive_agree_on_the_manifest_digest(good_image: Built) -> None:
    layout = read_archive(good_image.oci_layout)
    archive = read_archive(good_image.oci_archive)
    assert layout.manifest_digest == archive.manifest_digest
    assert layout.id == archive.id


def test_gzip_and_uncompressed_layers_both_read(tmp_path: Path) -> None:
    layers = [Layer({"etc/passwd": PASSWD}, compress=True), Layer({"app/a.txt": b"x\n"}, compress=False)]
    for path in (builder.docker_save(tmp_path / "d.tar", builder.config(), layers),):
        files = read_archive(path).files()
        assert files is not None and files.files == 2 and files.passwd == {"root": 0, "agent": 10001}
    builder.oci_layout(tmp_path / "layout", builder.config(), layers)
    image = read_archive(tmp_path / "layout")
    assert [layer.media_type.rsplit(".", 1)[1] for layer in image.layers] == ["tar+gzip", "tar"]
    assert image.files().files == 2


def test_a_later_layer_deleting_passwd_wins(tmp_path: Path) -> None:
    layers = [Layer({"etc/passwd": PASSWD}), Layer({"etc/.wh.passwd": b""})]
    files = read_archive(builder.docker_save(tmp_path / "d.tar", builder.config(), layers)).files()
    assert files is not None and files.passwd is None


def test_symlinks_pointing_outside_are_recorded_and_never_followed(tmp_path: Path) -> None:
    outside = tmp_path / "host-passwd"
    outside.write_text("root:x:0:0::/:/bin/sh\nhost:x:4242:4242::/:/bin/sh\n")
    layers = [Layer(symlinks={"etc/passwd": f"../../../../../..{outside}", "app/.env": "../../../../etc/shadow"})]
    files = read_archive(builder.docker_save(tmp_path / "d.tar", builder.config(), layers)).files()
    assert files is not None
    assert files.passwd is None  # not the host's file
    assert {str(w).rsplit(" ", 1)[1] for w, _ in files.escaping_links} == {"/etc/passwd", "/app/.env"}


def test_a_blob_linking_outside_an_oci_layout_is_refused(tmp_path: Path) -> None:
    builder.oci_layout(tmp_path / "layout", builder.config(), [Layer({"a": b"b"})])
    index = (tmp_path / "layout" / "index.json").read_text()
    manifest = next(p for p in (tmp_path / "layout" / "blobs" / "sha256").iterdir() if p.name in index)
    secret = tmp_path / "elsewhere.json"
    secret.write_bytes(manifest.read_bytes())
    manifest.unlink()
    manifest.symlink_to(secret)
    with pytest.raises(SourceError, match="outside the image layout"):
        read_archive(tmp_path / "layout")


def test_symlinked_layer_inside_a_docker_archive_resolves(good_image: Built) -> None:
    # buildah's docker-archive stores <id>/layer.tar as a link to ../<diff>.tar
    files = read_archive(good_image.docker_archive).files()
    assert files is not None and files.files == 3


def test_truncated_archive_is_a_clear_error(tmp_path: Path) -> None:
    full = builder.docker_save(tmp_path / "full.tar", builder.config(), [Layer({"etc/passwd": PASSWD})])
    cut = tmp_path / "cut.tar"
    cut.write_bytes(full.read_bytes()[:700])
    with pytest.raises(SourceError) as raised:
        read_archive(cut)
    assert str(cut) in str(raised.value)


def test_truncated_layer_is_an_error_of_that_layer(tmp_path: Path) -> None:
    good = Layer({"etc/passwd": PASSWD}).blob()
    layers = [Layer({"a": b"b"}), Layer(raw=good[: len(good) // 2])]
    files = read_archive(builder.docker_save(tmp_path / "d.tar", builder.config(), layers)).files()
    assert files is not None
    assert [str(w).split(" sha256")[0] for w, _ in files.errors] == ["image layer 2"]
    assert "truncated or corrupt" in files.errors[0][1]


def test_not_an_archive_and_fifo_and_missing(tmp_path: Path) -> None:
    (tmp_path / "junk.tar").write_bytes(b"this is not a tar archive" * 40)
    with pytest.raises(SourceError, match="not a readable tar archive"):
        read_archive(tmp_path / "junk.tar")
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(SourceError, match="neither a file nor a directory"):
        read_archive(tmp_path / "fifo")
    with pytest.raises(SourceError, match="cannot read"):
        read_archive(tmp_path / "missing.tar")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceError, match=r"neither manifest\.json"):
        read_archive(tmp_path / "empty")


def test_a_layer_bomb_stops_at_the_limit_quickly_and_in_bounded_memory(tmp_path: Path) -> None:
    bomb = builder.bomb_layer(8 * 1024**3)
    assert len(bomb.blob()) < 16 * 1024 * 1024
    path = builder.docker_save(tmp_path / "bomb.tar", builder.config(), [Layer({"etc/passwd": PASSWD}), bomb])
    tracemalloc.start()
    started = time.monotonic()
    files = read_archive(path).files()  # default limits
    elapsed = time.monotonic() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert files is not None
    assert elapsed < 20 and peak < 64 * 1024 * 1024
    assert len(files.incomplete) == 1 and "image layer 2" in files.incomplete[0]
    assert "--readiness-image-max-layer-bytes" in files.incomplete[0]
    assert files.passwd == {"root": 0, "agent": 10001}  # the layers before it were read


def test_many_small_files_in_a_stream_stop_at_the_byte_limit(tmp_path: Path) -> None:
    layer = Layer({f"app/f{i}.txt": b"y" * 4000 for i in range(200)}, compress=True)
    path = builder.docker_save(tmp_path / "d.tar", builder.config(), [layer])
    files = read_archive(path, limits=Limits(max_layer_bytes=100_000)).files()
    assert files is not None and files.incomplete and files.files < 200


def test_file_count_and_size_limits(tmp_path: Path) -> None:
    layer = Layer({**{f"app/f{i}.txt": b"z\n" for i in range(30)}, "app/big.txt": b"q" * 5000,
                   "app/bin": b"\x7fELF\0\0\0binary"})
    path = builder.docker_save(tmp_path / "d.tar", builder.config(), [layer])
    files = read_archive(path, limits=Limits(max_file_bytes=4096)).files()
    assert files is not None and files.skipped_large == 1 and files.skipped_binary == 1 and files.scanned == 30
    few = read_archive(path, limits=Limits(max_files=10)).files()
    assert few is not None and few.incomplete and "--readiness-image-max-files=10" in few.incomplete[0]


def test_multi_arch_oci_archive_picks_amd64_and_skips_attestations(tmp_path: Path) -> None:
    digest = builder.oci_archive(tmp_path / "oci.tar", builder.config(user="10001"), [Layer({"a": b"b"})],
                                 multi_arch=True)
    image = read_archive(tmp_path / "oci.tar")
    assert image.manifest_digest == digest and image.user == "10001"
    assert image.name == "docker.io/library/msft-agent:1.4.2"


def test_docker_save_with_several_images_is_picked_by_name(tmp_path: Path) -> None:
    path = builder.docker_save_many(tmp_path / "two.tar", [
        (builder.config(user="1"), [Layer({"a": b"1"})], ("one:1",)),
        (builder.config(user="2"), [Layer({"a": b"2"})], ("registry.test/two:2",)),
    ])
    assert read_archive(path, "registry.test/two:2").user == "2"
    assert read_archive(path, "docker.io/library/one:1").user == "1"  # one:1 normalised as Docker does
    assert read_archive(path, "one").user == "1"  # a name without a tag names every tag
    with pytest.raises(SourceError, match="holds no image named other:2"):
        read_archive(path, "other:2")
    single = builder.docker_save(tmp_path / "one.tar", builder.config(), [Layer({"a": b"b"})], tags=("one:1",))
    assert read_archive(single, "renamed:9").repo_tags == ("one:1",)  # one image: taken, named as asked
    assert read_archive(single, "renamed:9").name == "renamed:9"


@pytest.mark.parametrize(("manifest", "config_body"), [
    ({"not": "a list"}, {}), ([{"Config": 5, "Layers": "x"}], {}), ([{"Config": "c.json", "Layers": 7}], {}),
    ([{"Config": "c.json", "Layers": []}], []), ([{"Config": "c.json", "Layers": []}], {"config": "x", "rootfs": 3}),
    ([{"Config": "c.json", "Layers": ["nope.tar"]}], {"history": "x", "config": {"Env": "A=1", "User": 0}}),
])
def test_malformed_metadata_is_an_error_or_read_never_a_crash(run_readiness, tmp_path: Path, manifest: object,
                                                               config_body: object) -> None:
    import io
    import json
    import tarfile

    path = tmp_path / "odd.tar"
    with tarfile.open(path, "w") as tar:
        for name, body in (("manifest.json", manifest), ("c.json", config_body)):
            data = json.dumps(body).encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    run = run_readiness({"README.md": "x\n"}, "-m", "image", f"--readiness-image-archive={path}")
    assert run.result.ret in (0, 1), run.output[-2000:]
    assert "INTERNALERROR" not in run.output and "Traceback" not in run.output
    assert run.of_check("OPS-IMAGE-BUILDS") == {"OPS-IMAGE-BUILDS[image]": "error"}
    assert str(path) in run.messages["OPS-IMAGE-BUILDS[image]"]


def test_the_time_limit_stops_reading_and_says_which_option(tmp_path: Path) -> None:
    path = builder.docker_save(tmp_path / "d.tar", builder.config(), [Layer({"etc/passwd": PASSWD})])
    files = read_archive(path, limits=Limits(timeout=0)).files()
    assert files is not None and files.incomplete
    assert "--readiness-image-timeout=0s" in files.incomplete[0]


def test_zstd_layers_are_read_like_gzip_ones(tmp_path: Path) -> None:
    layers = [Layer({"etc/passwd": PASSWD}, zstd=True),
              Layer({"app/.env": b"DB_PASSWORD=Vq7kP2mWLx9sR4tZ\n", "app/main.py": b"print(1)\n"}, zstd=True)]
    path = tmp_path / "oci.tar"
    builder.oci_archive(path, builder.config(), layers)
    image = read_archive(path)
    assert [layer.media_type for layer in image.layers] == [builder.LAYER_ZSTD] * 2
    files = image.files()
    assert not files.incomplete and not files.errors
    assert files.passwd == {"root": 0, "agent": 10001} and files.files == 3
    assert [(str(where), f.rule) for where, f in files.secrets] == [
        (f"image layer 2 {image.layers[1].digest[:19]} /app/.env", "generic-password-assignment")]


def test_a_zstd_layer_bomb_stops_at_the_byte_limit(tmp_path: Path) -> None:
    import io
    import tarfile

    import zstandard

    info = tarfile.TarInfo("app/zeros.bin")
    info.size = 1024**3
    out = io.BytesIO()
    with zstandard.ZstdCompressor(level=1).stream_writer(out, closefd=False) as writer:
        writer.write(info.tobuf(format=tarfile.GNU_FORMAT))
        chunk = b"\0" * (64 * 1024 * 1024)
        for _ in range(info.size // len(chunk)):
            writer.write(chunk)
    assert out.tell() < 1024 * 1024  # a GiB of zeros, well under a MiB on disk
    path = tmp_path / "oci.tar"
    builder.oci_archive(path, builder.config(), [Layer({"etc/passwd": PASSWD}), Layer(raw=out.getvalue())])
    started = time.monotonic()
    files = read_archive(path, limits=Limits(max_layer_bytes=50_000_000)).files()
    assert time.monotonic() - started < 30
    assert files.incomplete and "--readiness-image-max-layer-bytes=50000000" in files.incomplete[0]
    assert files.passwd == {"root": 0, "agent": 10001}


def test_without_the_zstandard_package_a_zstd_layer_is_named_as_not_read(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "oci.tar"
    builder.oci_archive(path, builder.config(), [Layer({"etc/passwd": PASSWD}), Layer({"app/a": b"a\n"}, zstd=True)])
    script = ("import sys; sys.modules['zstandard'] = None  # an environment without the package\n"
              "from pathlib import Path\nfrom pytest_readiness.sources.image.archive import read_archive\n"
              "image = read_archive(Path(sys.argv[1]))\nfiles = image.files()\n"
              "print(image.layers[1].digest); print(files.passwd); print(files.incomplete)\n")
    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=60,
                          check=True)
    digest, passwd, incomplete = done.stdout.splitlines()
    assert passwd == "{'root': 0, 'agent': 10001}"
    assert f"image layer 2 {digest[:19]}: zstd-compressed layers are not read without the zstandard package" in (
        incomplete)
