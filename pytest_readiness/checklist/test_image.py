"""The built image: what actually ships, read from the engine or an archive, and its vulnerability report.

Each check runs once per manifest container that deploys the image (`image_target.container`), or
once for the image alone when no container does.
"""

from __future__ import annotations

import pytest

from pytest_readiness import Evidence, SourceError, check, unverified
from pytest_readiness.session import session_today
from pytest_readiness.settings import Settings
from pytest_readiness.sources.image import provenance, rules
from pytest_readiness.sources.image.engine import ImageAbsent
from pytest_readiness.sources.image.fixtures import ImageParam, ImageTarget, reraise
from pytest_readiness.sources.image.model import OCI_REVISION, OCI_SOURCE, short
from pytest_readiness.sources.image.options import SEVERITIES
from pytest_readiness.sources.image.refs import is_immutable_tag, parse
from pytest_readiness.sources.image.scan import ScanReport, load_ignores

MAX_LISTED = 40


def _tie(target: ImageTarget, evidence: Evidence) -> None:
    if target.container is not None:
        evidence.add(f"{target.container.ref} deploys {target.container.spec.get('image')} ({target.how})",
                     target.container.location)


@check("OPS-IMAGE-BUILDS")
def test_image_builds(image_param: ImageParam, readiness_settings: Settings, evidence: Evidence) -> None:
    if image_param.target is None:
        if isinstance(image_param.problem, ImageAbsent):
            pytest.fail(f"{image_param.problem.where} {image_param.problem.problem}", pytrace=False)
        reraise(image_param.problem)
    image = image_param.target.image
    _tie(image_param.target, evidence)
    evidence.add(f"image {image.name}: id {image.id}, {len(image.layers)} layers, size "
                 f"{image.size if image.size is not None else 'unknown'} bytes, created {image.created or 'unknown'}, "
                 f"{image.platform}, read from {image.source}", image.where())
    if image.manifest_digest or image.repo_digests:
        evidence.add(f"manifest digest {image.manifest_digest or ', '.join(image.repo_digests)}", image.where())
    source, revision = image.labels.get(OCI_SOURCE), image.labels.get(OCI_REVISION)
    if not (source and revision):
        evidence.add(f"the image lacks the {OCI_SOURCE} / {OCI_REVISION} labels: which repo and commit built it "
                     "is not recorded (add them with --label at build time)", image.where("Labels"))
        return
    evidence.add(f"built from {source} at revision {revision} (OCI labels)", image.where("Labels"))
    project = readiness_settings.project
    head, remotes = provenance.head(project), provenance.remotes(project)
    if head is None:
        return
    known = provenance.has_commit(project, revision)
    evidence.add(f"this repository's HEAD is {head}; revision {revision} is "
                 + ("HEAD" if head.startswith(revision) else "a commit of it" if known else "not one of its commits"),
                 image.where("Labels"))
    assert known or not remotes or provenance.repo_key(source) in remotes, (
        f"{image} was built from {source} at {revision}: neither that repository ({', '.join(sorted(remotes))} "
        "are this one's remotes) nor that commit is this repository's"
    )


@check("SEC-IMAGE-NON-ROOT")
def test_image_runs_as_non_root(image_target: ImageTarget, evidence: Evidence) -> None:
    image, container = image_target.image, image_target.container
    user = image.user
    evidence.add(f"image User {user!r}" if user else "image sets no User (runs as root)", image.where("User"))
    _tie(image_target, evidence)
    run_as_non_root = None
    if container is not None:
        run_as_user, run_as_non_root = container.effective("runAsUser"), container.effective("runAsNonRoot")
        assert run_as_user != 0, f"{container.location}: {container.ref} sets runAsUser: 0, it runs as root"
        if isinstance(run_as_user, int) and run_as_user > 0:
            evidence.add(f"pod runAsUser {run_as_user} overrides the image's User", container.location)
            return
    assert not rules.is_root(user), (
        f"{image}: the image runs as root (User {user or 'unset'})"
        + (f" and {container.ref} sets no runAsUser" if container else "")
        + (": with runAsNonRoot: true the kubelet refuses to start it" if run_as_non_root is True else "")
    )
    name = rules.user_part(user)
    if name.isdigit():
        return
    files = image.files()
    unread = files.passwd_unread
    if unread:
        unverified(f"{image}: User {name!r} is a name and the image's /etc/passwd could not be read ({unread})")
    uid = (files.passwd or {}).get(name)
    assert uid is not None, f"{image}: User {name!r} is not in the image's /etc/passwd: the container cannot start"
    evidence.add(f"User {name!r} is UID {uid} in /etc/passwd; Kubernetes runAsNonRoot cannot verify a name: use "
                 f"USER {uid}", files.passwd_where)
    assert uid != 0, f"{image}: User {name!r} is UID 0 in /etc/passwd ({files.passwd_where}): it runs as root"
    assert run_as_non_root is not True, (
        f"{container}: runAsNonRoot: true with the image's non-numeric User {name!r}: the kubelet cannot verify "
        f"it and will not start the container; set runAsUser: {uid} or USER {uid}"
    )


@check("SEC-IMAGE-NO-SECRETS")
def test_no_secrets_baked_in(image_target: ImageTarget, evidence: Evidence) -> None:
    image = image_target.image
    _tie(image_target, evidence)
    evidence.add(f"scanned {len(image.env)} env variables, {len(image.labels)} labels, {len(image.history)} "
                 "history steps", image.where())
    for where, finding in rules.metadata_secrets(image):
        evidence.finding(f"{finding.rule} ({finding.masked})", where)
    files = image.files()
    evidence.add(files.summary(), image.where())
    for where, finding in files.secrets:
        evidence.finding(f"{finding.rule} ({finding.masked})", where)
    for where, what in files.secret_files:
        evidence.finding(f"{what} is baked into the image", where)
    for where, what in files.escaping_links:
        evidence.add(what, where)
    evidence.fail_if_findings(f"{image}: secrets are baked into the image (masked)")
    if files.errors:
        where, problem = files.errors[0]
        raise SourceError(str(where), problem)
    if files.incomplete:
        unverified(f"{image}: no secret in what was read, but " + "; ".join(files.incomplete))


@check("SEC-IMAGE-SCANNED")
def test_image_scanned(image_target: ImageTarget, readiness_settings: Settings, request: pytest.FixtureRequest,
                       evidence: Evidence) -> None:
    image, s = image_target.image, readiness_settings
    threshold = s.vuln_threshold.upper()
    if threshold not in SEVERITIES[:4]:
        raise SourceError("--readiness-vuln-threshold", f"{s.vuln_threshold!r} is not CRITICAL, HIGH, MEDIUM or LOW")
    report: ScanReport = request.getfixturevalue("vulnerability_report")  # after the image: its reason first
    _tie(image_target, evidence)
    created = report.created.isoformat() if report.created else "unknown"
    evidence.add(f"{report.scanner} report {report.path}: {report.targets} targets, "
                 f"{len(rules.unique(report.vulnerabilities))} vulnerabilities, created {created}", report.path)
    same, why = report.identifies(image)
    evidence.add(why, report.path)
    if same is False:
        evidence.finding(f"{why}: rescan the image checked", report.path)
    today = session_today(request.config)
    age = (today - report.created.date()).days if report.created else None
    if age is not None and age > s.scan_max_age_days:
        evidence.finding(f"the report is stale: created {created}, {age} days ago (limit "
                         f"--readiness-scan-max-age-days={s.scan_max_age_days}): rescan", report.path)
    accepted = load_ignores(s.resolve(s.vuln_ignore_file)) if s.vuln_ignore_file else []
    result = rules.gate(report.vulnerabilities, threshold, s.vuln_ignore_unfixed, accepted, today)
    for v, entry in result.accepted:
        evidence.add(f"accepted until {entry.expires or 'no expiry'}: {v} ({entry.reason or 'no reason given'})",
                     s.vuln_ignore_file)
    if result.unfixed_ignored:
        evidence.add(f"{len(result.unfixed_ignored)} {threshold}+ findings without a fix ignored "
                     "(--readiness-vuln-ignore-unfixed)", report.path)
    expired = {v.id: entry for v, entry in result.expired}
    for v in result.failing[:MAX_LISTED]:
        note = f" (its ignore entry expired {expired[v.id].expires})" if v.id in expired else ""
        evidence.finding(f"{v}{note}", report.path)
    if len(result.failing) > MAX_LISTED:
        evidence.finding(f"... and {len(result.failing) - MAX_LISTED} more", report.path)
    evidence.fail_if_findings(f"{image}: the vulnerability gate (threshold {threshold}) does not pass: "
                              f"{len(result.failing)} findings at or above {threshold}")
    if same is None:
        unverified(f"no {threshold}+ finding, but {why}: give a Trivy or Grype JSON report of this image")
    if age is None:
        unverified(f"no {threshold}+ finding, but the report has no creation time, so its age is unknown")


@check("OPS-IMAGE-PINNED")
def test_deployed_image_pinned(image_target: ImageTarget, evidence: Evidence) -> None:
    image, container = image_target.image, image_target.container
    if container is None:
        unverified(f"no manifest container deploys {image.name} (known as {', '.join(image.names)}): give "
                   "--readiness-manifests, or --readiness-image naming the image as the manifests do")
    _tie(image_target, evidence)
    ref = parse(str(container.spec.get("image", "")))
    registry_digests = {image.manifest_digest, *(d.rpartition("@")[2] for d in image.repo_digests)} - {""}
    if ref.digest:
        if not registry_digests:
            unverified(f"{container.ref} deploys {ref.digest}, and the image read ({image.source}) carries no "
                       "registry digest to compare it with: check an OCI archive or the pushed image")
        assert ref.digest in registry_digests, (
            f"{container.location}: {container.ref} deploys {ref.digest}, but the image checked is "
            f"{', '.join(sorted(registry_digests))}: the checks describe another build"
        )
        evidence.add(f"deployed by digest {short(ref.digest)}, the image checked", container.location)
        return
    assert is_immutable_tag(ref.tag), (
        f"{container.location}: {container.ref} deploys {ref} by the moving tag {ref.tag or '(none: latest)'}: pin "
        "it to a version tag or a digest"
    )
    tags = [parse(t).tag for t in image.repo_tags]
    evidence.add(f"deployed by the version tag {ref.tag}" + ("" if not tags or ref.tag in tags else
                 f" (the image read is tagged {', '.join(tags)})"), container.location)


@check("OPS-IMAGE-MATCHES-MANIFESTS")
def test_image_agrees_with_manifests(image_target: ImageTarget, evidence: Evidence) -> None:
    image, container = image_target.image, image_target.container
    if container is None:
        unverified(f"no manifest container deploys {image.name}: nothing to compare its ports and healthcheck with")
    _tie(image_target, evidence)
    exposed = image.exposed_ports
    declared = rules.container_ports(container)
    evidence.add(f"image exposes {sorted(f'{p}/{t}' for p, t in exposed) or 'no port'}; container declares "
                 f"{sorted({f'{p}/{t}' for p, t in declared.values()}) or 'no port'}", container.location)
    if exposed and declared and not exposed & set(declared.values()):
        evidence.finding(f"{container.ref} declares ports {sorted({p for p, _ in declared.values()})}, the image "
                         f"exposes {sorted(p for p, _ in exposed)}", container.location)
    for probe, port in rules.probe_ports(container):
        number = declared.get(str(port), (port, "tcp"))[0]
        if isinstance(port, str) and str(port) not in declared:
            evidence.finding(f"{container.ref} {probe} uses the port name {port!r}, which the container does not "
                             "declare", container.location)
        elif exposed and (number, "tcp") not in exposed and str(number) not in declared:
            evidence.finding(f"{container.ref} {probe} probes port {number}, which the image does not expose "
                             f"({sorted(p for p, _ in exposed)})", container.location)
    if "Healthcheck" in image.unreported:
        evidence.add(f"HEALTHCHECK unknown: {image.unreported['Healthcheck']}", image.where("Healthcheck"))
    elif image.healthcheck:
        evidence.add(f"image HEALTHCHECK {' '.join(image.healthcheck)}", image.where("Healthcheck"))
        if not rules.has_probes(container):
            evidence.finding(f"the image has a HEALTHCHECK but {container.ref} has no liveness or readiness probe: "
                             "Kubernetes ignores HEALTHCHECK", container.location)
    evidence.fail_if_findings(f"{image}: the image and {container.ref} disagree")
