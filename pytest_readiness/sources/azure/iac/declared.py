"""Reading the Azure resources the repository declares: ARM templates, Bicep and Terraform, read into the
same `AzureResource` model (ARM's REST shape) as the live subscription, so every Azure check runs
unchanged on them. `load_declared(settings)` is what the Azure fixtures call."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytest_readiness.api import Unverified
from pytest_readiness.results import Location
from pytest_readiness.sources.azure.iac import arm_template, bicep, discovery, relations, terraform, terraform_plan
from pytest_readiness.sources.azure.iac.azurerm_map import ARM_TYPES
from pytest_readiness.sources.azure.iac.discovery import DEFAULT_DIRS
from pytest_readiness.sources.azure.iac.located_json import MAX_BYTES
from pytest_readiness.sources.azure.model import AzureResource, ResourceProblem, ResourceSet
from pytest_readiness.sources.repo.files import Repo

NAME = "iac"
_WORTH_REPORTING = ("deploymenttemplate.json", "planned_values", "format_version")


def _display(path: Path, project: Path) -> str:
    try:
        return path.resolve().relative_to(project.resolve()).as_posix()
    except ValueError:
        return str(path)


def _read(path: Path, display: str, problems: list[ResourceProblem]) -> str | None:
    try:
        if path.stat().st_size > MAX_BYTES:
            problems.append(ResourceProblem(Location(display), (
                f"{path.stat().st_size} bytes, above the {MAX_BYTES} byte limit of an ARM template: not read")))
            return None
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        problems.append(ResourceProblem(Location(display), f"unreadable: {error}"))
        return None


def load(project: Path, paths: tuple[str, ...] = (), tfvars: tuple[str, ...] = (),
         tracked: Repo | None = None) -> ResourceSet:
    found = discovery.discover(project, paths, tracked)
    result = ResourceSet(NAME)
    result.unverified.extend(ResourceProblem(Location(p), f"--readiness-iac names {p}, which does not exist")
                             for p in found.missing)
    bicep_built = {b.with_suffix(".json").resolve() for b in found.bicep}
    parameter_files = {p.resolve() for p in found.arm_json if p.name.endswith(".parameters.json")}
    plans: list[AzureResource] = []
    for path in found.arm_json:
        if path.resolve() in bicep_built or path.resolve() in parameter_files:
            continue
        display = _display(path, project)
        text = _read(path, display, result.problems)
        if text is None:
            continue
        read = arm_template.read_text(text, display, parameter_values=_parameters_beside(path))
        if read.problems and not any(marker in text[:4096].lower() for marker in _WORTH_REPORTING):
            continue  # malformed JSON that is no template (an editor's settings file): not ours to judge
        result.resources.extend(read.resources)
        result.problems.extend(read.problems)
        if not read.resources and not read.problems:
            resources, problems = terraform_plan.read_text(text, display)
            plans.extend(resources)
            result.problems.extend(problems)
    for entry in bicep.entry_points(found.bicep):
        compiled = bicep.read(entry, _display(entry, project), _display(entry.with_suffix(".json"), project))
        result.resources.extend(compiled.read.resources)
        result.problems.extend(compiled.read.problems)
        result.unverified.extend(compiled.unverified)
    if plans:
        result.resources.extend(plans)  # exact values: the HCL is not read as well
    elif found.terraform_dirs:
        extra = [p if p.is_absolute() else project / p for p in map(Path, tfvars)]
        resources, problems, unverified = terraform.load(project, found.terraform_dirs, extra,
                                                         found.terraform_files)
        result.resources.extend(resources)
        result.problems.extend(problems)
        result.unverified.extend(unverified)
    result.resources = relations.normalize_subnets(result.resources)
    _unreadable_types(result)
    if not (result.resources or result.problems or result.unverified or found.bicep or found.terraform_dirs):
        where = ", ".join(paths) if paths else ", ".join(f"{d}/" for d in DEFAULT_DIRS)
        raise Unverified(f"no ARM template, Bicep or Terraform found in {where}: set --readiness-iac "
                         "(ini readiness_iac) to the directories or files that declare the Azure resources")
    return result


def _parameters_beside(template: Path) -> dict[str, Any] | None:
    candidate = template.with_name(template.stem + ".parameters.json")
    if not candidate.is_file():
        return None
    return arm_template.parameter_file_values(candidate.read_text(encoding="utf-8-sig", errors="replace"))


def _unreadable_types(result: ResourceSet) -> None:
    """Input not read (Bicep without its CLI, a registry module) could declare any type: a type the
    rest of the IaC does not declare is unreadable with that reason, not absent."""
    if not result.unverified:
        return
    reason = "; ".join(u.message for u in result.unverified[:3])
    if len(result.unverified) > 3:
        reason += f" (and {len(result.unverified) - 3} more)"
    declared = {r.type.lower() for r in result.resources}
    for resource_type in ARM_TYPES.values():
        if resource_type.lower() not in declared and "/" in resource_type and not resource_type.startswith("terraform"):
            result.unreadable[resource_type] = reason
