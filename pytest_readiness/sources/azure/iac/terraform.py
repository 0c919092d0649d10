"""Terraform (azurerm) as declared AzureResources: `*.tf` parsed with python-hcl2, variables from
their defaults and `.tfvars`, local modules followed, registry modules named as unverified, and the
resources that matter mapped onto ARM's REST shape (`azurerm_map`). A `terraform show -json` plan
is read instead when given (`terraform_plan`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_readiness.results import Location
from pytest_readiness.sources.azure.iac import azurerm_map
from pytest_readiness.sources.azure.iac.arm_expressions import SUBSCRIPTION
from pytest_readiness.sources.azure.iac.hcl_expressions import _index, evaluate_raw
from pytest_readiness.sources.azure.model import UNKNOWN, AzureResource, ResourceProblem

# python-hcl2 parses 20-40 KB a second on a busy CI core (benchmarks/iac_readers.py): hand-written .tf
# files are far smaller, and a bigger configuration is better given as a `terraform show -json` plan
MAX_FILE_BYTES = 256 * 1024
MAX_TOTAL_BYTES = 1024 * 1024
MAX_MODULE_DEPTH = 8


@dataclass
class Block:
    kind: str
    labels: list[str]
    attributes: dict[str, Any]
    attribute_lines: dict[str, int]
    blocks: list[Block]
    line: int
    file: str


@dataclass
class Parsed:
    blocks: list[Block] = field(default_factory=list)
    problems: list[ResourceProblem] = field(default_factory=list)


def parse_file(path: Path, display: str, budget: list[int] | None = None) -> Parsed:
    """`budget` ([bytes left]) bounds the HCL read in one run."""
    import hcl2
    from lark.exceptions import LarkError

    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return Parsed(problems=[ResourceProblem(Location(display), (
                f"{size} bytes, above the {MAX_FILE_BYTES} byte limit for one .tf file: not read; give a "
                "`terraform show -json` plan with --readiness-iac instead"))])
        if budget is not None:
            if size > budget[0]:
                return Parsed(problems=[ResourceProblem(Location(display), (
                    f"not read: the run's Terraform files exceed {MAX_TOTAL_BYTES} bytes; give a "
                    "`terraform show -json` plan with --readiness-iac instead"))])
            budget[0] -= size
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        return Parsed(problems=[ResourceProblem(Location(display), f"unreadable: {error}")])
    try:
        tree = hcl2.parses(text, discard_comments=True)
        return Parsed(blocks=[b for b in _blocks(tree.body, display, 0)])
    except RecursionError:
        return Parsed(problems=[ResourceProblem(Location(display), "invalid HCL: nested too deeply to read")])
    except (LarkError, RuntimeError, ValueError) as error:
        line = getattr(error, "line", None)
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return Parsed(problems=[ResourceProblem(Location(display, line if isinstance(line, int) and line > 0
                                                         else None), f"invalid HCL: {first}")])


def _blocks(body: Any, display: str, depth: int) -> Iterator[Block]:
    import hcl2
    from hcl2.rules.base import AttributeRule, BlockRule

    options = hcl2.SerializationOptions(with_comments=False, preserve_heredocs=False)
    if depth > 20:
        raise ValueError("blocks nested deeper than 20 levels")
    for child in body._children:
        if isinstance(child, BlockRule):
            labels = [_unquote(label.serialize(options)) for label in child.labels]
            attributes: dict[str, Any] = {}
            lines: dict[str, int] = {}
            for item in child.body._children:
                if isinstance(item, AttributeRule):
                    name = item.identifier.serialize(options)
                    attributes[name] = item.expression.serialize(options)
                    lines[name] = _line(item) or _line(child) or 0
            yield Block(labels[0], labels[1:], attributes, lines, list(_blocks(child.body, display, depth + 1)),
                        _line(child) or 0, display)


def _line(rule: Any) -> int | None:
    meta = getattr(rule, "_meta", None)
    return None if meta is None or meta.empty else int(meta.line)


def _unquote(raw: Any) -> str:
    text = str(raw)
    return text[1:-1] if text.startswith('"') and text.endswith('"') else text


def block_values(block: Block, resolve: Any, prefix: str = "") -> tuple[dict[str, Any], dict[str, int]]:
    """Attributes evaluated, nested blocks as lists of dicts (the shape of a plan's `values`)."""
    values: dict[str, Any] = {}
    lines: dict[str, int] = {}
    for name, raw in block.attributes.items():
        values[name] = evaluate_raw(raw, resolve)
        lines[prefix + name] = block.attribute_lines[name]
    counts: dict[str, int] = {}
    dynamic = {nested.labels[0] for nested in block.blocks if nested.kind == "dynamic" and nested.labels}
    for nested in block.blocks:
        if nested.kind in ("lifecycle", "dynamic", "provisioner", "connection", "timeouts") or nested.kind in dynamic:
            continue
        position = counts.get(nested.kind, 0)
        counts[nested.kind] = position + 1
        child_prefix = f"{prefix}{nested.kind}.{position}."
        child_values, child_lines = block_values(nested, resolve, child_prefix)
        values.setdefault(nested.kind, []).append(child_values)
        lines[f"{prefix}{nested.kind}.{position}"] = nested.line
        lines.update(child_lines)
    for name in dynamic:  # generated by for_each: which blocks, and what is in them, only a plan knows
        values[name] = UNKNOWN
        lines[prefix + name] = next(n.line for n in block.blocks if n.kind == "dynamic" and n.labels[:1] == [name])
    return values, lines


class Module:
    """One Terraform module: the `.tf` files of a directory, with the variable values it was called with."""

    def __init__(self, directory: Path, display: str, given: Mapping[str, Any], tfvars: list[Path],
                 address: str, loader: Loader, depth: int) -> None:
        self.directory, self.display, self.address, self.loader, self.depth = directory, display, address, loader, depth
        self.blocks: list[Block] = []
        for tf in sorted(directory.glob("*.tf")):
            if depth == 0 and loader.tracked is not None and tf.resolve() not in loader.tracked:
                continue  # an ignored file in a root module (an override a tool wrote)
            parsed = parse_file(tf, loader.display(tf), loader.budget)
            self.blocks.extend(parsed.blocks)
            loader.problems.extend(parsed.problems)
        self.variables: dict[str, Any] = {}
        for block in self.of_kind("variable"):
            name = block.labels[0]
            if name in given:
                self.variables[name] = given[name]
            elif "default" in block.attributes:
                self.variables[name] = evaluate_raw(block.attributes["default"], self.resolve)
            else:
                self.variables[name] = UNKNOWN
        for tfvars_file in tfvars:
            parsed = parse_file(tfvars_file, loader.display(tfvars_file), loader.budget)
            loader.problems.extend(parsed.problems)
            if not parsed.problems:
                self._tfvars(tfvars_file)
        self.locals: dict[str, tuple[Any, Block]] = {}
        for block in self.of_kind("locals"):
            for name, raw in block.attributes.items():
                self.locals[name] = (raw, block)
        self._local_values: dict[str, Any] = {}
        self._resolving: set[str] = set()
        self.resources = {(b.labels[0], b.labels[1]): b for b in self.of_kind("resource") if len(b.labels) == 2}
        self.data = {(b.labels[0], b.labels[1]): b for b in self.of_kind("data") if len(b.labels) == 2}
        self.children: dict[str, Module] = {}
        self.mapped: dict[tuple[str, str], AzureResource | None] = {}

    def _tfvars(self, path: Path) -> None:
        import hcl2

        try:
            tree = hcl2.parses(path.read_text(encoding="utf-8-sig"), discard_comments=True)
            options = hcl2.SerializationOptions(with_comments=False, preserve_heredocs=False)
            values = tree.serialize(options)
        except Exception:
            return
        for name, raw in values.items():
            if not name.startswith("__"):
                self.variables[name] = evaluate_raw(raw, lambda t: UNKNOWN)

    def of_kind(self, kind: str) -> list[Block]:
        return [b for b in self.blocks if b.kind == kind]

    def resolve(self, traversal: list[Any]) -> Any:
        root, rest = traversal[0], traversal[1:]
        if root == "var" and rest:
            value, rest = self.variables.get(str(rest[0]), UNKNOWN), rest[1:]
        elif root == "local" and rest:
            value, rest = self.local(str(rest[0])), rest[1:]
        elif root == "module" and len(rest) >= 2:
            value, rest = self.module_output(str(rest[0]), str(rest[1])), rest[2:]
        elif root == "data" and len(rest) >= 3:
            value, rest = self.data_attribute(str(rest[0]), str(rest[1]), [s for s in rest[2:] if
                                                                            not isinstance(s, int)]), []
        elif root in ("each", "count", "self", "path", "terraform") or not rest:
            return UNKNOWN
        else:
            name, tail = str(rest[0]), list(rest[1:])
            while tail and isinstance(tail[0], int):  # `azurerm_x.y[0].id`: every copy has the same settings
                tail.pop(0)
            if not tail:
                return UNKNOWN
            value, rest = self.resource_attribute(root, name, str(tail[0])), tail[1:]
        for step in rest:
            value = _index(value, step)
        return value

    def local(self, name: str) -> Any:
        if name in self._local_values:
            return self._local_values[name]
        if name not in self.locals or name in self._resolving:
            return UNKNOWN
        self._resolving.add(name)
        try:
            value = evaluate_raw(self.locals[name][0], self.resolve)
        finally:
            self._resolving.discard(name)
        self._local_values[name] = value
        return value

    def resource_attribute(self, resource_type: str, name: str, attribute: str) -> Any:
        block = self.resources.get((resource_type, name))
        if block is None:
            return UNKNOWN
        if attribute == "id" and resource_type == "azurerm_resource_group":  # the usual role assignment scope
            group = self.resource_attribute(resource_type, name, "name")
            return f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{group}" if isinstance(group, str) else UNKNOWN
        if attribute == "id":
            resource = self.map((resource_type, name)) if resource_type in azurerm_map.ARM_TYPES else None
            return resource.id if resource is not None else UNKNOWN
        if resource_type == "azurerm_user_assigned_identity" and attribute in ("principal_id", "client_id"):
            identity = self.map((resource_type, name))
            return identity.properties.get(azurerm_map.camel(attribute), UNKNOWN) if identity else UNKNOWN
        key = f"{resource_type}.{name}.{attribute}"
        if attribute not in block.attributes or key in self._resolving:
            return UNKNOWN
        self._resolving.add(key)
        try:
            return evaluate_raw(block.attributes[attribute], self.resolve)
        finally:
            self._resolving.discard(key)

    def data_attribute(self, data_type: str, name: str, steps: list[Any]) -> Any:
        attribute = str(steps[0]) if steps else ""
        if data_type == "azurerm_subscription" and attribute == "id":
            return "/subscriptions/{subscriptionId}"
        if attribute == "subscription_id":
            return "{subscriptionId}"
        block = self.data.get((data_type, name))
        if block is not None and attribute in block.attributes:
            return evaluate_raw(block.attributes[attribute], self.resolve)
        if block is not None and attribute == "id" and data_type in azurerm_map.ARM_TYPES:
            values, _ = block_values(block, self.resolve)
            return azurerm_map.resource_id(data_type, values)
        return UNKNOWN

    def module_output(self, module_name: str, output: str) -> Any:
        child = self.children.get(module_name)
        if child is None:
            return UNKNOWN
        block = next((b for b in child.of_kind("output") if b.labels and b.labels[0] == output), None)
        if block is None or "value" not in block.attributes:
            return UNKNOWN
        return evaluate_raw(block.attributes["value"], child.resolve)

    def map(self, key: tuple[str, str]) -> AzureResource | None:
        if key in self.mapped:
            return self.mapped[key]
        self.mapped[key] = None  # a reference cycle resolves to nothing
        block = self.resources[key]
        if "count" in block.attributes:
            count = evaluate_raw(block.attributes["count"], self.resolve)
            if count is not UNKNOWN and count == 0:
                return None
        values, lines = block_values(block, self.resolve)
        address = f"{self.address}{key[0]}.{key[1]}"
        try:
            self.mapped[key] = azurerm_map.to_resource(key[0], values, lines, Location(block.file, block.line),
                                                       address)
        except (TypeError, ValueError, AttributeError, KeyError, IndexError) as error:  # a shape azurerm rejects
            self.loader.problems.append(ResourceProblem(Location(block.file, block.line),
                                                        f"{address}: attributes of an unexpected type ({error})"))
        return self.mapped[key]

    def load_children(self) -> None:
        for block in self.of_kind("module"):
            name = block.labels[0] if block.labels else "?"
            source = evaluate_raw(block.attributes.get("source", '""'), self.resolve)
            if not isinstance(source, str) or not source.startswith(("./", "../")):
                version = evaluate_raw(block.attributes.get("version", '""'), self.resolve)
                pinned = f" {version}" if isinstance(version, str) and version else ""
                self.loader.unverified.append(ResourceProblem(Location(block.file, block.line), (
                    f"module {name!r} comes from {source}{pinned}"
                    ", which is not fetched: the resources it declares are not checked; vendor it as a local module "
                    "or give a `terraform show -json` plan with --readiness-iac")))
                continue
            directory = (self.directory / source).resolve()
            if self.depth >= MAX_MODULE_DEPTH or not directory.is_dir():
                self.loader.problems.append(ResourceProblem(Location(block.file, block.line),
                                                            f"module {name!r}: {source} is not a directory"))
                continue
            given = {k: evaluate_raw(v, self.resolve) for k, v in block.attributes.items()
                     if k not in ("source", "version", "providers", "count", "for_each", "depends_on")}
            child = Module(directory, self.loader.display(directory), given, [], f"{self.address}module.{name}.",
                           self.loader, self.depth + 1)
            self.children[name] = child
            child.load_children()

    def all_resources(self) -> Iterator[AzureResource]:
        for key in self.resources:
            if key[0] in azurerm_map.ARM_TYPES:
                resource = self.map(key)
                if resource is not None:
                    yield resource
        for child in self.children.values():
            yield from child.all_resources()

    def module_sources(self) -> set[Path]:
        found: set[Path] = set()
        for block in self.of_kind("module"):
            source = evaluate_raw(block.attributes.get("source", '""'), lambda t: UNKNOWN)
            if isinstance(source, str) and source.startswith(("./", "../")):
                found.add((self.directory / source).resolve())
        return found


@dataclass
class Loader:
    project: Path
    problems: list[ResourceProblem] = field(default_factory=list)
    unverified: list[ResourceProblem] = field(default_factory=list)
    budget: list[int] = field(default_factory=lambda: [MAX_TOTAL_BYTES])
    tracked: set[Path] | None = None  # the .tf files discovery found; None: every one in the directory

    def display(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.project.resolve()).as_posix()
        except ValueError:
            return str(path)


def tfvars_files(directory: Path) -> list[Path]:
    """What `terraform plan` reads by itself: terraform.tfvars, then *.auto.tfvars in name order."""
    found = [directory / "terraform.tfvars"] if (directory / "terraform.tfvars").is_file() else []
    return found + sorted(directory.glob("*.auto.tfvars"))


def load(project: Path, directories: list[Path], extra_tfvars: list[Path] | None = None,
         tracked: set[Path] | None = None) -> tuple[list[AzureResource], list[ResourceProblem], list[ResourceProblem]]:
    """The root modules among `directories` (those no other one calls), with what they declare."""
    loader = Loader(project, tracked=tracked)
    modules = [Module(d, loader.display(d), {}, [*tfvars_files(d), *(extra_tfvars or [])], "", loader, 0)
               for d in sorted(set(directories))]
    called = {path for module in modules for path in module.module_sources()}
    roots = [m for m in modules if m.directory.resolve() not in called] or modules
    resources: list[AzureResource] = []
    for root in roots:
        root.load_children()
        resources.extend(root.all_resources())
    azurerm_map.attach_relations(resources)
    return resources, loader.problems, loader.unverified
