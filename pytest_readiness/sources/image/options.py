"""Options of the image source: which image to read, its vulnerability report, and the read limits."""

from __future__ import annotations

from dataclasses import dataclass

from pytest_readiness.session import option

SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN")


@dataclass(frozen=True)
class ImageOptions:
    image: str = option(
        "", "image reference read through the Docker-compatible engine of DOCKER_HOST (enables the image "
        "checks); with --readiness-image-archive it only names the archive's image and no engine is contacted"
    )
    image_archive: str = option(
        "", "the image as a `docker save` archive, an OCI image layout directory or an OCI archive (no engine "
        "needed): enables the image checks", "path"
    )
    scan_report: str = option("", "vulnerability report of the image: Trivy JSON (SchemaVersion 2), Grype JSON "
                                "or SARIF", "path")
    run_trivy: bool = option(False, "without --readiness-scan-report, run trivy (when on PATH) on the image read",
                           "bool")
    trivy_timeout: float = option(600.0, "seconds --readiness-run-trivy may take before it is stopped", "float")
    vuln_threshold: str = option("HIGH", "lowest severity that fails the vulnerability gate: CRITICAL|HIGH|MEDIUM|LOW")
    vuln_ignore_unfixed: bool = option(False, "vulnerabilities without a fixed version do not fail the gate", "bool")
    vuln_ignore_file: str = option(
        "", "accepted vulnerabilities: TOML [[ignore]] id, reason, expires (or a .trivyignore with exp:DATE)",
        "path"
    )
    scan_max_age_days: int = option(7, "a vulnerability report older than this many days is stale", "int")
    image_max_file_bytes: int = option(
        1_048_576, "image layer files larger than this are not scanned for secrets", "int"
    )
    image_max_layer_bytes: int = option(
        2_147_483_648, "stop reading a layer after this many uncompressed bytes (layer bombs)", "int"
    )
    image_max_files: int = option(50_000, "stop reading the image's layers after this many files in all", "int")
    image_timeout: float = option(120.0, "seconds reading the image (engine calls, layers) may take", "float")
