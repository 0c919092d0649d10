"""The image as fixtures: `image` (the image read), `vulnerability_report`, and the per-target
`image_target` the shipped image checks take: one per manifest container that deploys the image,
or the image alone when no container does.

Nothing is read and no engine is contacted unless --readiness-image or --readiness-image-archive is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn

import pytest

from pytest_readiness.api import SourceError, Unverified
from pytest_readiness.session import cache_of, settings_of
from pytest_readiness.settings import Settings
from pytest_readiness.sources.image.archive import Limits
from pytest_readiness.sources.image.model import Image
from pytest_readiness.sources.image.refs import deployed_as
from pytest_readiness.sources.image.scan import ScanReport
from pytest_readiness.sources.kube.fixtures import load_manifests
from pytest_readiness.sources.kube.model import Container

NO_IMAGE = ("no image to check: give --readiness-image-archive=PATH (a docker save archive, an OCI layout or "
            "OCI archive, e.g. from docker buildx build --output type=oci,dest=image.tar) or --readiness-image=REF "
            "(read through the engine of DOCKER_HOST); ini readiness_image_archive / readiness_image")
NO_REPORT = ("no vulnerability report: give --readiness-scan-report=PATH (trivy image --format json --output "
             "trivy.json ...; Grype JSON and SARIF are read too) or --readiness-run-trivy with trivy on PATH")


@dataclass(frozen=True)
class ImageTarget:
    """The image, and the manifest container that deploys it (None when no container does)."""

    image: Image
    container: Container | None = None
    how: str = ""  # how the container's `image:` names it

    @property
    def ref(self) -> str:
        return self.container.ref if self.container is not None else self.image.name


@dataclass(frozen=True)
class ImageParam:
    target: ImageTarget | None
    problem: Exception | None = None


def limits_of(settings: Settings) -> Limits:
    return Limits(settings.image_max_file_bytes, settings.image_max_layer_bytes, settings.image_max_files,
                  settings.image_timeout)


def load_image(config: pytest.Config) -> Image:
    """The session's image; Unverified when the run names none, SourceError when it cannot be read."""
    settings = settings_of(config)
    if not (settings.image or settings.image_archive):
        raise Unverified(NO_IMAGE)
    return cache_of(config).get("image", lambda: _read(settings))


def _read(settings: Settings) -> Image:
    where = str(settings.resolve(settings.image_archive)) if settings.image_archive else f"image {settings.image}"
    try:
        if settings.image_archive:
            from pytest_readiness.sources.image.archive import read_archive

            return read_archive(settings.resolve(settings.image_archive), settings.image, limits_of(settings))
        from pytest_readiness.sources.image.engine import read_engine

        return read_engine(settings.image, limits_of(settings))
    except SourceError:
        raise
    except Exception as exc:  # a shape no image has: report it against the input, never as a crash
        raise SourceError(where, f"not a readable image ({type(exc).__name__}: {exc})") from None


def load_report(config: pytest.Config) -> ScanReport:
    settings = settings_of(config)
    if settings.scan_report:
        from pytest_readiness.sources.image.scan import load_report as load

        return cache_of(config).get("scan_report", lambda: load(settings.resolve(settings.scan_report)))
    if settings.run_trivy:
        from pytest_readiness.sources.image.scan import run_trivy

        image = load_image(config)
        archive = str(settings.resolve(settings.image_archive)) if settings.image_archive else ""
        return cache_of(config).get("scan_report", lambda: run_trivy(image, archive, settings.trivy_timeout))
    raise Unverified(NO_REPORT)


def _targets(config: pytest.Config) -> list[tuple[ImageParam, str]]:
    try:
        image = load_image(config)
    except (Unverified, SourceError) as problem:
        return [(ImageParam(None, problem), "image")]
    try:
        objects = load_manifests(config)
    except (Unverified, SourceError):  # the manifest checks report it; the image is still checked
        objects = None
    params = []
    for workload in objects.workloads() if objects is not None else []:
        for container in [*workload.init_containers, *workload.containers]:
            how = deployed_as(str(container.spec.get("image", "")), image.names, image.digests)
            if how:
                params.append((ImageParam(ImageTarget(image, container, how)), container.ref))
    return params or [(ImageParam(ImageTarget(image)), "image")]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "image_param" in metafunc.fixturenames:
        params = _targets(metafunc.config)
        metafunc.parametrize("image_param", [p for p, _ in params], ids=[i for _, i in params], indirect=True)


@pytest.fixture
def image_param(request: pytest.FixtureRequest) -> ImageParam:
    param: ImageParam = request.param
    return param


def reraise(problem: Exception | None) -> NoReturn:
    """Raise why the image is missing again: Unverified as is, a SourceError afresh (the cached one carries a
    deep traceback)."""
    if isinstance(problem, SourceError):
        raise SourceError(problem.where, problem.problem) from None
    raise problem if problem is not None else AssertionError("an image parameter with neither image nor problem")


@pytest.fixture
def image_target(image_param: ImageParam) -> ImageTarget:
    """The image and the container that deploys it; unverified without an image, an error if unreadable."""
    if image_param.target is None:
        reraise(image_param.problem)
    return image_param.target


@pytest.fixture(scope="session")
def image(pytestconfig: pytest.Config) -> Image:
    """The image read (`sources.image.model.Image`): config, history, layers; `image.files()` reads the layers."""
    try:
        return load_image(pytestconfig)
    except SourceError as error:
        raise SourceError(error.where, error.problem) from None


@pytest.fixture(scope="session")
def vulnerability_report(pytestconfig: pytest.Config) -> ScanReport:
    """The image's vulnerability report (`sources.image.scan.ScanReport`), read or produced once."""
    try:
        return load_report(pytestconfig)
    except SourceError as error:
        raise SourceError(error.where, error.problem) from None
