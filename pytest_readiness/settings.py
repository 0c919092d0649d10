"""Every option of the plugin, defined once: command line flag, ini key, type, default and help.

`--readiness-<name>` on the command line wins over the ini key `readiness_<name>` in pytest.ini /
pyproject.toml, which wins over the default.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pytest_readiness.decisions.options import DecisionOptions
from pytest_readiness.reporting.options import ReportOptions
from pytest_readiness.sources.azure.iac.options import IacOptions
from pytest_readiness.sources.azure.options import AzureOptions
from pytest_readiness.sources.image.options import ImageOptions
from pytest_readiness.sources.kube.options import KubeOptions
from pytest_readiness.sources.manual.options import ManualOptions
from pytest_readiness.sources.registry import SOURCES
from pytest_readiness.sources.repo.options import RepoOptions
from pytest_readiness.sources.service.options import ServiceOptions

OptionBlocks = (
    RepoOptions, KubeOptions, ServiceOptions, AzureOptions, IacOptions, ImageOptions, ManualOptions, DecisionOptions,
    ReportOptions,
)


@dataclass(frozen=True)
class Settings(
    ReportOptions, DecisionOptions, ManualOptions, ImageOptions, IacOptions, AzureOptions, ServiceOptions, KubeOptions,
    RepoOptions,
):
    """Every option of the run, one flat namespace: each source's block plus the decisions' and reports'.

    The registry's option blocks must all be bases here (a test holds them to it), so a check reads
    `settings.url` without knowing which source owns it.
    """

    def resolve(self, relative: str) -> Path:
        path = Path(relative)
        return path if path.is_absolute() else self.project / path

    def display(self, path: Path) -> str:
        """A path as reports show it: relative to the project when inside it."""
        try:
            return path.relative_to(self.project).as_posix()
        except ValueError:
            return str(path)


def groups() -> list[tuple[str, tuple[dataclasses.Field[Any], ...]]]:
    """The option groups of `pytest --help`: one per options block, each source's from the registry."""
    described = {s.options_class(): s for s in SOURCES if s.options}
    out = []
    for block in OptionBlocks:
        source = described.get(block)
        title = f"readiness: {source.describes}" if source else f"readiness: {block.__doc__ or block.__name__}"
        out.append((title, dataclasses.fields(block)))
    return out


def fields() -> tuple[dataclasses.Field[Any], ...]:
    return dataclasses.fields(Settings)


def flag(name: str) -> str:
    return "--readiness-" + name.replace("_", "-")


def ini_key(name: str) -> str:
    return "readiness_" + name


INI_TYPES = {"linelist": "linelist"}


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("readiness", "production readiness checklist")
    group.addoption("--readiness", action="store_true", help="run the production readiness checklist")
    group.addoption("--readiness-list", action="store_true", help="print the checklist catalog and exit")
    for title, block_fields in groups():
        block = parser.getgroup(title)
        for f in block_fields:
            _add(block, parser, f)


def _add(group: Any, parser: pytest.Parser, f: dataclasses.Field[Any]) -> None:
    kind, help_text = f.metadata["kind"], f.metadata["help"]
    if kind == "bool":
        group.addoption(flag(f.name), action="store_const", const=True, default=None, help=help_text)
    elif kind == "linelist":
        group.addoption(flag(f.name), action="append", default=None, help=help_text)
    else:
        group.addoption(flag(f.name), default=None, help=help_text)
    parser.addini(ini_key(f.name), help_text.replace("%%", "%"), type=INI_TYPES.get(kind, "string"))  # type: ignore[arg-type]


def _convert(kind: str, value: Any) -> Any:
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    if kind == "bool" and isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    if kind == "linelist":
        return tuple(value)
    return value


def refuse_misread_rootdir(config: pytest.Config) -> None:
    """pytest picks its rootdir before plugin options exist, so in `--readiness-ca-bundle /tmp/ca.pem` it
    takes `/tmp/ca.pem` for a test path and may move the rootdir (and lose the project's ini file).
    Recompute it from the fully parsed arguments; if it differs, stop rather than check the wrong tree.
    """
    from _pytest.config.findpaths import determine_setup

    try:
        rootpath = determine_setup(
            inifile=config.option.inifilename,
            override_ini=config.option.override_ini,
            args=[str(a) for a in config.args],
            rootdir_cmd_arg=config.option.rootdir or None,
            invocation_dir=config.invocation_params.dir,
        )[0]
    except TypeError:  # another pytest's signature: nothing to compare with
        return
    project = config.getoption("readiness_project")
    if project and (config.invocation_params.dir / project).resolve() == config.rootpath:
        return  # `--readiness-project PATH` moved the rootdir to the project itself: consistent
    if rootpath != config.rootpath:
        raise pytest.UsageError(
            f"pytest chose rootdir {config.rootpath} because a --readiness-* value given as a separate word "
            f"looked like a test path (the project's rootdir is {rootpath}); write the option with '=', "
            "e.g. --readiness-ca-bundle=/path/ca.pem"
        )


def from_config(config: pytest.Config) -> Settings:
    values: dict[str, Any] = {}
    project_base = config.invocation_params.dir
    for f in fields():
        kind = f.metadata["kind"]
        value = config.getoption(flag(f.name).lstrip("-").replace("-", "_"))
        if value is None:
            value = config.getini(ini_key(f.name))
            if value in ("", [], None):
                continue
            if f.name == "project":
                project_base = config.rootpath
        try:
            values[f.name] = _convert(kind, value)
        except ValueError:
            raise pytest.UsageError(f"{flag(f.name)}: expected {kind}, got {value!r}") from None
    project = Path(values.pop("project", None) or config.rootpath)
    values["project"] = (project_base / project).resolve()
    if not values["project"].is_dir():
        raise pytest.UsageError(f"--readiness-project: {values['project']} is not a directory")
    if values.get("fail_on", "low") not in ("critical", "high", "medium", "low"):
        raise pytest.UsageError("--readiness-fail-on: expected one of critical, high, medium, low")
    for name, least in (("log_tail_lines", 1), ("log_pods", 1), ("log_error_threshold", 0)):
        if values.get(name, least) < least:
            raise pytest.UsageError(f"{flag(name)}: expected an integer of at least {least}, got {values[name]}")
    return Settings(**values)
