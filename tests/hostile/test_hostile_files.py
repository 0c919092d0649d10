"""Files that would hang, exhaust memory or crash a reader: each run ends in time, says which file and why,
and is never ready. Runs are subprocesses with a time limit, so a hang fails the test."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_readiness.sources.kube import manifests
from tests.hostile.conftest import DEPLOYMENT, HostileRun, copy_good, replace_in

MANIFESTS = "deployment/kubernetes"
CONFIG = "config/agent.toml"
DOCKERFILE = "deployment/Dockerfile"


def fifo(relative: str) -> Callable[[Path], None]:
    def make(project: Path) -> None:
        path = project / relative
        path.unlink(missing_ok=True)
        os.mkfifo(path)

    return make


def dev_zero(relative: str) -> Callable[[Path], None]:
    def make(project: Path) -> None:
        path = project / relative
        path.unlink(missing_ok=True)
        path.symlink_to("/dev/zero")

    return make


def huge_config_map(project: Path) -> None:
    lines = ["apiVersion: v1", "kind: ConfigMap", "metadata:", "  name: big", "  namespace: msft-agent", "data:"]
    lines += [f"  key{i:06d}: {'v' * 50}" for i in range(170_000)]
    (project / MANIFESTS / "big.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def deep_toml(project: Path) -> None:
    with (project / CONFIG).open("a", encoding="utf-8") as config:
        config.write("\n[agent.deep]\nvalue = " + "[" * 1000 + "]" * 1000 + "\n")


def deep_toml_tables(project: Path) -> None:
    with (project / CONFIG).open("a", encoding="utf-8") as config:
        config.write("\n[" + ".".join(f"t{i}" for i in range(1000)) + "]\nx = 1\n")


def toml_int(project: Path) -> None:
    with (project / CONFIG).open("a", encoding="utf-8") as config:
        config.write("\n[agent.big]\nvalue = " + "9" * 5000 + "\n")


def invalid_utf8(project: Path) -> None:
    path = project / CONFIG
    lines = path.read_bytes().splitlines(keepends=True)
    lines.insert(11, b'note = "caf\xe9"\n')  # Latin-1, line 12
    path.write_bytes(b"".join(lines))


def continuation_dockerfile(project: Path) -> None:
    (project / DOCKERFILE).write_text("\\\n" * 50, encoding="utf-8")


def long_dockerfile(project: Path) -> None:
    (project / DOCKERFILE).write_text("FROM python:3.12-slim\n" + "RUN echo hi\n" * 300_000, encoding="utf-8")


def over_limit(project: Path) -> None:
    with (project / DEPLOYMENT).open("a", encoding="utf-8") as manifest:
        manifest.write("# " + "x" * (2 * 1024 * 1024) + "\n")


# name: (break the project, extra options, the fragment every error names, which check must say it)
CASES: dict[str, tuple[Callable[[Path], None], tuple[str, ...], str]] = {
    "manifest-fifo": (fifo(f"{MANIFESTS}/x.yaml"), (), f"{MANIFESTS}/x.yaml: not read: it is a FIFO"),
    "manifest-dev-zero": (dev_zero(f"{MANIFESTS}/zero.yaml"), (),
                          f"{MANIFESTS}/zero.yaml: not read: it is a character device"),
    "manifest-over-limit": (over_limit, ("--readiness-max-file-mib=1",),
                            f"{DEPLOYMENT}: not read: 2.0 MiB, over the limit of 1.0 MiB per file "
                            "(raise --readiness-max-file-mib)"),
    "configmap-170k-keys": (huge_config_map, (), f"{MANIFESTS}/big.yaml: not read: 10.4 MiB, over the limit of "
                                                 "8.0 MiB per file"),
    "config-fifo": (fifo(CONFIG), (), f"{CONFIG}: not read: it is a FIFO"),
    "config-dev-zero": (dev_zero(CONFIG), (), f"{CONFIG}: not read: it is a character device"),
    "config-invalid-utf8": (invalid_utf8, (), f"{CONFIG}:12: not valid UTF-8: byte 0xe9 at column 12"),
    "config-deep-arrays": (deep_toml, (), f"{CONFIG}: not read: nested"),
    "config-deep-tables": (deep_toml_tables, (), f"{CONFIG}: not read: nested 1001 levels deep (at most 32)"),
    "config-5000-digits": (toml_int, (), f"{CONFIG}: invalid TOML: Exceeds the limit (4300 digits)"),
    "dockerfile-only-continuations": (continuation_dockerfile, (),
                                      f"{DOCKERFILE}:1: invalid Dockerfile: a line continuation (\\) with no "
                                      "instruction"),
    "dockerfile-300k-lines": (long_dockerfile, (), f"{DOCKERFILE}: not read: 300002 lines, more than the 20000"),
    "dockerfile-fifo": (fifo(DOCKERFILE), (), f"{DOCKERFILE}: not read: it is a FIFO"),
}


def _load_error(project: Path, relative: str, options: tuple[str, ...]) -> str:
    """What the reader of `relative` says about it: its problem or its error."""
    from pytest_readiness.api import SourceError
    from pytest_readiness.sources.repo import agent_config, dockerfile

    limit = int(float(options[0].split("=")[1]) * 2**20) if options else 8 * 2**20
    try:
        if relative.startswith(MANIFESTS):
            return "\n".join(str(p) for p in manifests.load(project, MANIFESTS, max_bytes=limit).problems)
        if relative == CONFIG:
            agent_config.load(project, CONFIG, max_bytes=limit)
        else:
            dockerfile.load(project, DOCKERFILE, limit)
    except SourceError as error:
        return str(error)
    return ""


@pytest.mark.parametrize("case", list(CASES))
def test_a_hostile_file_is_refused_by_its_reader_naming_it(case: str, tmp_path: Path) -> None:
    project = copy_good(tmp_path / "project")
    breaks, options, fragment = CASES[case]
    breaks(project)

    said = _load_error(project, fragment.split(":")[0], options)

    assert fragment in said, said[:2000]
    assert len(said) < 2000


@pytest.mark.slow
def test_hostile_files_in_one_run_are_errors_naming_them_and_the_run_ends(
        hostile_project: Path, hostile_run: Callable[..., HostileRun]) -> None:
    """The hangs and crashes of the issue, all at once: the run ends, names each file, and is not ready."""
    together = ("manifest-fifo", "manifest-dev-zero", "configmap-170k-keys", "config-invalid-utf8",
                "dockerfile-only-continuations")
    for case in together:
        CASES[case][0](hostile_project)
    fifo("readiness.toml")(hostile_project)

    run = hostile_run(timeout=300)

    assert run.result.ret == 1, run.output[-3000:]
    assert "Traceback" not in run.output and "INTERNALERROR" not in run.output, run.output[-3000:]
    assert run.ready is False
    errors = run.error_text()
    assert [case for case in together if CASES[case][2] not in errors] == [], errors[:3000]
    assert run.status("SEC-NO-SP-SECRET") == "error"  # it read the config on its own, and crashed on bad UTF-8
    assert run.report is not None
    assert all(len(r["message"]) < 2000 for r in run.report["results"])
    assert any("readiness.toml: not read: it is a FIFO" in f"{p['where']}: {p['message']}"
               for p in run.report["problems"]), run.report["problems"]


@pytest.mark.slow
def test_the_file_size_limit_is_an_option_stated_in_the_reason(
        hostile_project: Path, hostile_run: Callable[..., HostileRun]) -> None:
    over_limit(hostile_project)

    run = hostile_run("--readiness-max-file-mib=1", timeout=300)

    assert run.result.ret == 1 and run.ready is False
    assert CASES["manifest-over-limit"][2] in run.error_text()


@pytest.mark.slow
def test_a_collection_error_never_gives_a_ready_report(
        hostile_project: Path, hostile_run: Callable[..., HostileRun]) -> None:
    """An organisation's check module that cannot be imported interrupts collection: the report the run still
    writes must say it did not complete."""
    (hostile_project / "org_checks").mkdir()
    (hostile_project / "org_checks/test_org.py").write_text("import no_such_module_here\n", encoding="utf-8")

    run = hostile_run("--readiness-paths=org_checks")

    assert run.result.ret == 2, run.output[-3000:]
    assert run.report is not None and run.ready is False
    assert run.report["verdict"]["reasons"][0].startswith("the run did not complete: 1 collection errors")
    assert run.report["verdict"]["exit_status"] == 2


def test_a_kustomize_base_outside_the_project_is_refused(tmp_path: Path) -> None:
    project, outside = tmp_path / "project", tmp_path / "outside"
    (project / "k8s").mkdir(parents=True)
    outside.mkdir()
    (outside / "kustomization.yaml").write_text("resources: [deployment.yaml]\n", encoding="utf-8")
    (outside / "deployment.yaml").write_text((Path(__file__).parents[2] / "conftest_examples/agent-good" /
                                              DEPLOYMENT).read_text(encoding="utf-8"), encoding="utf-8")
    (project / "k8s/kustomization.yaml").write_text("resources:\n  - ../../outside\n", encoding="utf-8")

    refused = manifests.load(project, "k8s")
    assert refused.objects == []
    assert [str(p) for p in refused.problems] == [
        f"k8s/kustomization.yaml:2: kustomize reference '../../outside' is outside the project ({project}): not "
        "rendered; give --readiness-kustomize-outside-bases to allow it, or give rendered YAML with "
        "--readiness-manifests rendered.yaml (or - for stdin)"]

    layout = manifests.survey(project / "k8s", str, project, outside_bases=True)
    assert [tree.problems for tree in layout.kustomizations] == [[]]
    assert (outside / "deployment.yaml").resolve() in layout.kustomizations[0].reads


def test_replace_in_fails_loudly_when_the_text_is_absent(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("a: 1\n", encoding="utf-8")
    with pytest.raises(AssertionError):
        replace_in(path, "b: 2", "c: 3")


def test_a_lone_surrogate_is_an_error_not_a_crash_of_the_compiled_parsers() -> None:
    """Found by benchmarks/fuzz.py: the Go Dockerfile parser segfaulted the process, libyaml raised
    UnicodeEncodeError."""
    from pytest_readiness.api import SourceError
    from pytest_readiness.sources.repo import dockerfile

    with pytest.raises(SourceError, match="not valid UTF-8") as error:
        dockerfile.parse("FROM python:3.12\nRUN echo \udcff\n", "deployment/Dockerfile")
    assert error.value.where == "deployment/Dockerfile:2"
    objects, problems = manifests.parse_text("apiVersion: v1\nkind: Pod\nmetadata: {name: \udcff}\n", "pod.yaml")
    assert objects == []
    assert [str(p) for p in problems] == ["pod.yaml:3: invalid YAML: a character that is not valid UTF-8"]
