"""Vulnerability reports: Trivy JSON (SchemaVersion 2), Grype JSON and SARIF; running trivy; accepted risks."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import tempfile
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pytest_readiness.api import SourceError
from pytest_readiness.decisions.clock import as_utc_date
from pytest_readiness.sources.image.model import Image
from pytest_readiness.sources.image.options import SEVERITIES

MAX_REPORT_BYTES = 256 * 1024 * 1024
SARIF_LEVELS = {"error": "HIGH", "warning": "MEDIUM", "note": "LOW", "none": "UNKNOWN"}


@dataclass(frozen=True)
class Vulnerability:
    id: str
    package: str
    installed: str
    fixed: str
    severity: str  # one of SEVERITIES
    target: str = ""
    title: str = ""

    def __str__(self) -> str:
        fixed = f"fixed in {self.fixed}" if self.fixed else "no fix released"
        where = f" ({self.target})" if self.target else ""
        return f"{self.severity} {self.id} in {self.package} {self.installed}: {fixed}{where}"


@dataclass
class ScanReport:
    path: str
    scanner: str  # "Trivy 0.50.1", "Grype", "SARIF: <tool>"
    created: datetime | None
    artifact: str
    image_ids: set[str] = field(default_factory=set)  # config digests the report names
    repo_digests: set[str] = field(default_factory=set)  # manifest digests
    diff_ids: tuple[str, ...] = ()
    vulnerabilities: list[Vulnerability] = field(default_factory=list)
    targets: int = 0

    def identifies(self, image: Image) -> tuple[bool | None, str]:
        """Whether this report is of `image`: True, False (another image), None (it cannot say)."""
        ours = image.digests
        theirs = self.image_ids | self.repo_digests
        if theirs & ours:
            return True, f"the report's artifact {sorted(theirs & ours)[0]} is the image checked"
        our_diffs = tuple(layer.diff_id for layer in image.layers)
        if self.diff_ids and all(our_diffs) and self.diff_ids == our_diffs:
            return True, "the report's layers (diff ids) are the image's"
        if theirs or self.diff_ids:
            named = ", ".join(sorted(theirs)) or "other layers"
            return False, f"the report is of {self.artifact} ({named}), not of the image checked {image}"
        return None, f"the report names its artifact only as {self.artifact!r}, with no digest to compare"


def _severity(value: Any) -> str:
    text = str(value or "UNKNOWN").upper()
    return text if text in SEVERITIES else "UNKNOWN"


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    if "." in text:  # Trivy writes nanoseconds; fromisoformat takes at most six digits
        head, _, tail = text.partition(".")
        digits = "".join(c for c in tail if c.isdigit())
        text = f"{head}.{digits[:6]}{tail[len(digits):]}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def load_report(path: Path) -> ScanReport:
    try:
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):
            raise SourceError(str(path), "is not a regular file")
        if path.stat().st_size > MAX_REPORT_BYTES:
            raise SourceError(str(path), f"is larger than {MAX_REPORT_BYTES} bytes: not read")
        data = json.loads(path.read_bytes())
    except OSError as exc:
        raise SourceError(str(path), f"cannot read the vulnerability report ({exc.strerror})") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise SourceError(str(path), f"the vulnerability report is not valid JSON ({exc})") from None
    if isinstance(data, dict) and "SchemaVersion" in data:
        return _trivy(data, str(path))
    if isinstance(data, dict) and isinstance(data.get("matches"), list):
        return _grype(data, str(path))
    if isinstance(data, dict) and isinstance(data.get("runs"), list):
        return _sarif(data, str(path))
    raise SourceError(str(path), "is neither a Trivy JSON report (SchemaVersion), a Grype JSON report (matches) "
                                 "nor SARIF (runs)")


def _trivy(data: dict[str, Any], path: str) -> ScanReport:
    if data.get("SchemaVersion") != 2:
        raise SourceError(path, f"Trivy report SchemaVersion {data.get('SchemaVersion')!r}: only 2 is read "
                                "(trivy 0.20 and later)")
    metadata = data.get("Metadata") or {}
    if not isinstance(metadata, dict):
        metadata = {}
    version = (data.get("Trivy") or {}).get("Version", "") if isinstance(data.get("Trivy"), dict) else ""
    report = ScanReport(
        path=path, scanner=f"Trivy {version}".strip(), created=_timestamp(data.get("CreatedAt")),
        artifact=str(data.get("ArtifactName", "")),
        image_ids={str(metadata["ImageID"])} if metadata.get("ImageID") else set(),
        repo_digests={str(d).rpartition("@")[2] for d in metadata.get("RepoDigests") or []},
        diff_ids=tuple(str(d) for d in metadata.get("DiffIDs") or []),
    )
    if data.get("ArtifactType") not in (None, "container_image"):
        raise SourceError(path, f"is a Trivy report of a {data.get('ArtifactType')}, not of a container image")
    results = data.get("Results") or []
    if not isinstance(results, list):
        raise SourceError(path, "Results is not a list")
    for result in results:
        if not isinstance(result, dict):
            continue
        report.targets += 1
        for v in result.get("Vulnerabilities") or []:
            if isinstance(v, dict):
                report.vulnerabilities.append(Vulnerability(
                    str(v.get("VulnerabilityID", "?")), str(v.get("PkgName", "?")),
                    str(v.get("InstalledVersion", "")), str(v.get("FixedVersion") or ""),
                    _severity(v.get("Severity")), str(result.get("Target", "")), str(v.get("Title", ""))))
    return report


def _grype(data: dict[str, Any], path: str) -> ScanReport:
    target = ((data.get("source") or {}).get("target") or {}) if isinstance(data.get("source"), dict) else {}
    if not isinstance(target, dict):
        target = {}
    descriptor = data.get("descriptor") or {}
    report = ScanReport(
        path=path, scanner=f"Grype {descriptor.get('version', '')}".strip(),
        created=_timestamp(descriptor.get("timestamp")), artifact=str(target.get("userInput", "")),
        image_ids={str(target["imageID"])} if target.get("imageID") else set(),
        repo_digests={str(d).rpartition("@")[2] for d in target.get("repoDigests") or []}
        | ({str(target["manifestDigest"])} if target.get("manifestDigest") else set()),
    )
    for match in data["matches"]:
        vuln, artifact = match.get("vulnerability") or {}, match.get("artifact") or {}
        fixed = (vuln.get("fix") or {}).get("versions") or []
        report.vulnerabilities.append(Vulnerability(
            str(vuln.get("id", "?")), str(artifact.get("name", "?")), str(artifact.get("version", "")),
            ", ".join(str(f) for f in fixed), _severity(vuln.get("severity"))))
    report.targets = 1
    return report


def _sarif(data: dict[str, Any], path: str) -> ScanReport:
    runs = [r for r in data["runs"] if isinstance(r, dict)]
    tool = ((runs[0].get("tool") or {}).get("driver") or {}) if runs else {}
    props = (runs[0].get("properties") or {}) if runs else {}
    report = ScanReport(
        path=path, scanner=f"SARIF: {tool.get('name', '?')} {tool.get('version', '')}".strip(), created=None,
        artifact=str(props.get("imageName", "")),
        image_ids={str(props["imageID"])} if props.get("imageID") else set(),
        repo_digests={str(d).rpartition("@")[2] for d in props.get("repoDigests") or []},
    )
    for run in runs:
        rules = {str(r.get("id")): r for r in ((run.get("tool") or {}).get("driver") or {}).get("rules") or []
                 if isinstance(r, dict)}
        invocation: dict[str, Any] = next(iter(run.get("invocations") or []), {})
        report.created = report.created or _timestamp(invocation.get("endTimeUtc"))
        for result in run.get("results") or []:
            rule = rules.get(str(result.get("ruleId")), {})
            tags = [str(t).upper() for t in (rule.get("properties") or {}).get("tags") or []]
            severity = next((t for t in tags if t in SEVERITIES), SARIF_LEVELS.get(str(result.get("level")),
                                                                                     "UNKNOWN"))
            text = str((result.get("message") or {}).get("text", ""))
            fields = dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)
            report.vulnerabilities.append(Vulnerability(
                str(result.get("ruleId", "?")), fields.get("Package", "?"), fields.get("Installed Version", ""),
                fields.get("Fixed Version", ""), severity))
        report.targets += 1
    return report


def run_trivy(image: Image, archive: str, timeout: float) -> ScanReport:
    """`trivy image --severity HIGH,CRITICAL --format json` on the image read; at most `timeout` seconds."""
    trivy = shutil.which("trivy")
    if trivy is None:
        raise SourceError("trivy", "--readiness-run-trivy: trivy is not on PATH")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "trivy.json"
        target = ["--input", archive] if archive else [image.name]
        command = [trivy, "image", "--quiet", "--severity", "HIGH,CRITICAL", "--format", "json", "--output",
                   str(out), *target]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise SourceError("trivy", f"did not finish within {timeout:g}s (--readiness-trivy-timeout)") from None
        if done.returncode != 0 or not out.exists():
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise SourceError("trivy", f"exited {done.returncode}: {last}")
        return load_report(out)


# --- accepted risks --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Accepted:
    id: str
    reason: str
    expires: date | None
    line: int


def load_ignores(path: Path) -> list[Accepted]:
    """TOML `[[ignore]] id = "CVE-..." reason = "..." expires = 2026-12-31`, or a .trivyignore
    (`CVE-2024-1234 exp:2026-12-31`, `#` comments)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(str(path), f"cannot read the vulnerability ignore file ({exc})") from None
    if path.suffix == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise SourceError(str(path), f"not valid TOML ({exc})") from None
        entries = data.get("ignore") or []
        found = []
        for number, entry in enumerate(entries, 1):
            if not isinstance(entry, dict) or not entry.get("id"):
                raise SourceError(str(path), f"[[ignore]] entry {number} has no id")
            expires = as_utc_date(entry.get("expires"))
            if "expires" not in entry or expires is None:
                raise SourceError(str(path), f"[[ignore]] {entry['id']} needs an expires date (YYYY-MM-DD)")
            found.append(Accepted(str(entry["id"]), str(entry.get("reason", "")), expires, number))
        return found
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        expiry = next((w[4:] for w in words[1:] if w.startswith("exp:")), "")
        expires = as_utc_date(expiry) if expiry else None
        if expiry and expires is None:
            raise SourceError(f"{path}:{number}", f"exp:{expiry} is not a date (YYYY-MM-DD)")
        found.append(Accepted(words[0], "", expires, number))
    return found
