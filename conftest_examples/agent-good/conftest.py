"""What a team adds to its deployment repo: settings live in pytest.ini, org-specific checks live here.

`pytest --readiness` runs the shipped checklist plus the checks below; `pytest` alone still runs only
the service's own unit tests.
"""

from __future__ import annotations

from pytest_readiness import Container, Evidence, check

APPROVED_REGISTRIES = ("contosoagentacr.azurecr.io/",)


@check(
    "ORG-APPROVED-REGISTRY",
    title="Images come from the approved registry",
    category="security",
    priority="high",
    remediation="Push the image to contosoagentacr.azurecr.io and reference it by tag or digest.",
)
def test_image_from_approved_registry(container: Container, evidence: Evidence) -> None:
    image = str(container.spec.get("image", ""))
    evidence.add(f"{container.ref} image {image}", container.location)
    assert image.startswith(APPROVED_REGISTRIES), (
        f"{container}: image {image!r} is not from an approved registry {APPROVED_REGISTRIES}"
    )


@check(
    "ORG-IMAGE-PINNED",
    title="Images are pinned to a version, never :latest",
    category="reliability",
    priority="medium",
    remediation="Reference images by an immutable tag (1.4.2) or a digest (@sha256:...).",
)
def test_image_is_pinned(container: Container, evidence: Evidence) -> None:
    image = str(container.spec.get("image", ""))
    evidence.add(f"{container.ref} image {image}", container.location)
    tag = "digest" if "@sha256:" in image else image.rpartition(":")[2]
    assert ":" in image and tag != "latest" and "/" not in tag, f"{container}: image {image!r} is not pinned"
