"""ARM JSON templates (hand-written or compiled from Bicep) as declared AzureResources.

Resources, their child `resources`, and nested deployments (Bicep modules: an inline template with
inner-scoped parameters) are read; parameters' values come from a parameter file beside the
template (`main.parameters.json`), else their `defaultValue`; expressions are evaluated where they
are deterministic (see `arm_expressions`), anything else is UNKNOWN. Lines point into the JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pytest_readiness.results import Location
from pytest_readiness.sources.azure.iac import arm_expressions as expr
from pytest_readiness.sources.azure.iac.located_json import JsonProblem, LDict, line_index, loads
from pytest_readiness.sources.azure.model import UNKNOWN, AzureResource, ResourceProblem

TEMPLATE_SCHEMA = "deploymenttemplate.json#"
PARAMETERS_SCHEMA = "deploymentparameters.json#"
DEPLOYMENTS = "microsoft.resources/deployments"
MAX_DEPLOYMENT_NESTING = 10


def is_template(data: Any) -> bool:
    schema = data.get("$schema", "") if isinstance(data, dict) else ""
    return isinstance(schema, str) and schema.lower().rstrip("/").endswith(TEMPLATE_SCHEMA) and "resources" in data


def is_parameters_file(data: Any) -> bool:
    schema = data.get("$schema", "") if isinstance(data, dict) else ""
    return isinstance(schema, str) and schema.lower().rstrip("/").endswith(PARAMETERS_SCHEMA)


def is_bicep_output(data: Mapping[str, Any]) -> bool:
    generator = (data.get("metadata") or {}).get("_generator") or {}
    return isinstance(generator, Mapping) and generator.get("name") == "bicep"


@dataclass
class Read:
    resources: list[AzureResource] = field(default_factory=list)
    problems: list[ResourceProblem] = field(default_factory=list)


def read_text(text: str, display: str, *, parameter_values: Mapping[str, Any] | None = None,
              source: str | None = None) -> Read:
    """A template's text -> its resources; a file that is JSON but no template gives nothing."""
    result = Read()
    try:
        data = loads(text, comments=True)
    except JsonProblem as problem:
        result.problems.append(ResourceProblem(Location(display, problem.line), problem.message))
        return result
    if not is_template(data):
        return result
    kind = source or ("bicep" if is_bicep_output(data) else "arm-template")
    _Template(data, display, kind, result, parameter_values or {}, expr.RESOURCE_GROUP, 0).read()
    return result


def parameter_file_values(text: str) -> dict[str, Any] | None:
    """`{"parameters": {"x": {"value": ...}}}`; azd's `${AZURE_ENV_NAME}` placeholders are UNKNOWN."""
    try:
        data = loads(text)
    except JsonProblem:
        return None
    if not is_parameters_file(data):
        return None
    values: dict[str, Any] = {}
    for name, entry in (data.get("parameters") or {}).items():
        if isinstance(entry, dict) and "value" in entry:
            value = entry["value"]
            values[name] = UNKNOWN if isinstance(value, str) and "${" in value else value
        else:
            values[name] = UNKNOWN  # a Key Vault reference
    return values


def _symbolic_resources(resources: Any) -> list[tuple[str | None, Any]]:
    if isinstance(resources, dict):  # languageVersion 2.0: symbolic name -> resource
        return list(resources.items())
    return [(None, r) for r in resources] if isinstance(resources, list) else []


class _Template:
    def __init__(self, data: LDict, display: str, source: str, result: Read, given: Mapping[str, Any],
                 group: str, nesting: int) -> None:
        self.data, self.display, self.source, self.result = data, display, source, result
        self.nesting = nesting
        parameters = self._parameters(data.get("parameters") or {}, given, group)
        self.context = expr.Context(parameters, data.get("variables") or {}, group=group,
                                    deployment_outputs=self._deployment_outputs)
        self._outputs: dict[str, Mapping[str, Any] | None] = {}

    def _parameters(self, declared: Mapping[str, Any], given: Mapping[str, Any], group: str) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, spec in declared.items():
            if name in given:
                values[name] = given[name]
            elif isinstance(spec, dict) and "defaultValue" in spec:
                context = expr.Context(values, self.data.get("variables") or {}, group=group)
                values[name] = expr.evaluate_value(spec["defaultValue"], context)
            else:
                values[name] = UNKNOWN
        return values

    def read(self) -> None:
        for symbolic, resource in _symbolic_resources(self.data.get("resources")):
            if isinstance(resource, LDict):
                self._resource(resource, symbolic, None)

    def evaluate(self, value: Any) -> Any:
        return expr.evaluate_value(value, self.context)

    def _resource(self, raw: LDict, symbolic: str | None, parent: tuple[str, str] | None) -> None:
        if raw.get("existing") is True:
            return
        condition = self.evaluate(raw.get("condition", True))
        if condition is not UNKNOWN and condition is False:
            return
        resource_type, name = self.evaluate(raw.get("type")), self.evaluate(raw.get("name"))
        if not isinstance(resource_type, str):
            self.problem(raw.line, f"a resource whose type is not a string: {raw.get('type')!r}")
            return
        name_text = name if isinstance(name, str) else str(raw.get("name"))
        if parent is not None and "/" not in resource_type.split(".", 1)[0]:
            if not resource_type.lower().startswith(parent[0].split("/")[0].lower() + "/"):
                resource_type = f"{parent[0]}/{resource_type}"
            name_text = f"{parent[1]}/{name_text}"
        if resource_type.lower() == DEPLOYMENTS:
            self._deployment(raw, name_text)
            return
        resource_type, name_text, scope = _extension_form(resource_type, name_text)
        if "copy" in raw:
            name_text = str(raw.get("name"))  # a loop: one declared resource stands for every copy
        resource = self._to_resource(raw, resource_type, name_text, scope, symbolic)
        if resource is not None:
            self.result.resources.append(resource)
        for child in raw.get("resources") or []:
            if isinstance(child, LDict):
                self._resource(child, None, (resource_type, name_text))

    def _to_resource(self, raw: LDict, resource_type: str, full_name: str, scope: str | None,
                     symbolic: str | None) -> AzureResource | None:
        properties = self.evaluate(raw.get("properties") or {})
        if not isinstance(properties, dict):
            self.problem(raw.line, f"{resource_type} {full_name}: its properties are an expression this reader "
                         "cannot resolve, so no check can judge them")
            return None
        scope_value = self.evaluate(raw["scope"]) if "scope" in raw else scope
        names = full_name.split("/")
        if isinstance(scope_value, str) and scope_value:
            base = scope_value if scope_value.startswith("/") else _relative_scope_id(scope_value, self.context.group)
            namespace, *types = resource_type.split("/")
            resource_id = f"{base}/providers/{namespace}/" + "/".join(
                f"{t}/{n}" for t, n in zip(types, names, strict=False))
        else:
            resource_id = expr.resource_id(resource_type, names, group=self.context.group)
        if resource_type.lower() == "microsoft.authorization/roleassignments" and "scope" not in properties:
            # ARM reports the scope it was assigned at: the deployment's (or the `scope` resource's)
            properties = {**properties, "scope": resource_id.rsplit("/providers/", 1)[0]}
        if resource_type.lower() == "microsoft.managedidentity/userassignedidentities":
            properties = {"principalId": expr.principal_placeholder(names[-1]),
                          "clientId": expr.principal_placeholder(names[-1], "clientId"), **properties}
        location = self.evaluate(raw.get("location", ""))
        lines = {k: v for k, v in line_index(raw, "", {}).items() if not k.startswith("resources")}
        return AzureResource(
            type=resource_type, id=resource_id, name=names[-1],
            location=location if isinstance(location, str) else "",
            properties=properties, origin=Location(self.display, raw.line), source=self.source,
            kind=_text(self.evaluate(raw.get("kind", ""))), sku=_mapping(self.evaluate(raw.get("sku"))),
            identity=_mapping(self.evaluate(raw.get("identity"))), tags=_mapping(self.evaluate(raw.get("tags"))),
            lines=lines,
        )

    def _deployment(self, raw: LDict, name: str) -> None:
        properties = raw.get("properties") or {}
        template = properties.get("template")
        if not isinstance(template, LDict):
            link = properties.get("templateLink") or {}
            self.problem(raw.line, f"nested deployment {name} links its template "
                         f"({link.get('uri') or link.get('relativePath') or link.get('id') or 'no template'}): "
                         "its resources are not read; inline it or point --readiness-iac at it")
            return
        if self.nesting >= MAX_DEPLOYMENT_NESTING:
            self.problem(raw.line, f"nested deployment {name}: more than {MAX_DEPLOYMENT_NESTING} levels, not read")
            return
        self._nested(raw, name).read()

    def _nested(self, raw: LDict, name: str) -> _Template:
        properties = raw.get("properties") or {}
        inner = (properties.get("expressionEvaluationOptions") or {}).get("scope", "outer") == "inner"
        group = self.evaluate(raw.get("resourceGroup", self.context.group))
        group = group if isinstance(group, str) else expr.RESOURCE_GROUP
        template = properties["template"]
        if inner:
            given = {k: (self.evaluate(v["value"]) if isinstance(v, dict) and "value" in v else UNKNOWN)
                     for k, v in (properties.get("parameters") or {}).items()}
            return _Template(template, self.display, self.source, self.result, given, group, self.nesting + 1)
        nested = _Template(template, self.display, self.source, self.result, {}, group, self.nesting + 1)
        nested.context = expr.Context(self.context.parameters, self.context.variables, group=group,
                                      deployment_outputs=self._deployment_outputs)
        return nested

    def _deployment_outputs(self, name: str) -> Mapping[str, Any] | None:
        if name in self._outputs:
            return self._outputs[name]
        self._outputs[name] = None  # a cycle resolves to nothing
        for _, raw in _symbolic_resources(self.data.get("resources")):
            if not isinstance(raw, LDict) or str(raw.get("type", "")).lower() != DEPLOYMENTS:
                continue
            if self.evaluate(raw.get("name")) != name or not isinstance((raw.get("properties") or {}).get(
                    "template"), LDict):
                continue
            nested = self._nested(raw, name)
            nested.result = Read()  # evaluating outputs must not declare the module's resources twice
            outputs = nested.data.get("outputs") or {}
            self._outputs[name] = {k: {"value": nested.evaluate(v.get("value"))} for k, v in outputs.items()
                                   if isinstance(v, dict)}
        return self._outputs[name]

    def problem(self, line: int, message: str) -> None:
        self.result.problems.append(ResourceProblem(Location(self.display, line), message))


def _relative_scope_id(scope: str, group: str) -> str:
    """Bicep's `scope: redis` compiles to `Microsoft.Cache/redis/<name>`."""
    parts = scope.split("/")
    namespace, rest = parts[0], parts[1:]
    types, names = rest[0::2], rest[1::2]
    return expr.resource_id("/".join([namespace, *types]), names, group=group)


def _extension_form(resource_type: str, name: str) -> tuple[str, str, str | None]:
    """`Microsoft.Cache/redis/providers/diagnosticSettings` named `cache/Microsoft.Insights/s`
    -> (`Microsoft.Insights/diagnosticSettings`, `s`, scope `Microsoft.Cache/redis/cache`)."""
    marker = "/providers/"
    if marker not in resource_type.lower():
        return resource_type, name, None
    at = resource_type.lower().index(marker)
    parent_type, extension = resource_type[:at], resource_type[at + len(marker):]
    parent_names_count = len(parent_type.split("/")) - 1
    names = name.split("/")
    parent_names, namespace, own = names[:parent_names_count], names[parent_names_count:-1], names[-1]
    scope_parts = [parent_type.split("/")[0]]
    for t, n in zip(parent_type.split("/")[1:], parent_names, strict=False):
        scope_parts += [t, n]
    return f"{namespace[0] if namespace else 'Microsoft.Insights'}/{extension}", own, "/".join(scope_parts)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _mapping(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}
