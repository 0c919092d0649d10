"""Options of the image source: which image to read, its vulnerability report, and the read limits."""

from __future__ import annotations

from dataclasses import dataclass

from pytest_readiness.settings import _opt

SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN")


@dataclass(frozen=True)
class ImageOptions:
    image: str = _opt(
        "", "image reference read through the Docker-compatible engine of DOCKER_HOST (enables the image "
        "checks); with --readiness-image-archive it only names the archive's image and no engine is contacted"
    )
    image_archive: str = _opt(
        "", "the image as a `docker save` archive, an OCI image layout directory or an OCI archive (no engine "
        "needed): enables the image checks", "path"
    )
    scan_report: str = _opt("", "vulnerability report of the image: Trivy JSON (SchemaVersion 2), Grype JSON "
                                "or SARIF", "path")
    run_trivy: bool = _opt(False, "without --readiness-scan-report, run trivy (when on PATH) on the image read",
                           "bool")
    trivy_timeout: float = _opt(600.0, "seconds --readiness-run-trivy may take before it is stopped", "float")
    vuln_threshold: str = _opt("HIGH", "lowest severity that fails the vulnerability gate: CRITICAL|HIGH|MEDIUM|LOW")
    vuln_ignore_unfixed: bool = _opt(False, "vulnerabilities without a fixed version do not fail the gate", "bool")
    vuln_ignore_file: str = _opt(
        "", "accepted vulnerabilities: TOML [[ignore]] id, reason, expires (or a .trivyignore with exp:DATE)",
        "path"
    )
    scan_max_age_days: int = _opt(7, "a vulnerability report older than this many days is stale", "int")
    image_max_file_bytes: int = _opt(
        1_048_576, "image layer files larger than this are not scanned for secrets", "int"
    )
    image_max_layer_bytes: int = _opt(
        2_147_483_648, "stop reading a layer after this many uncompressed bytes (layer bombs)", "int"
    )
    image_max_files: int = _opt(50_000, "stop reading the image's layers after this many files in all", "int")
    image_timeout: float = _opt(120.0, "seconds reading the image (engine calls, layers) may take", "float")
