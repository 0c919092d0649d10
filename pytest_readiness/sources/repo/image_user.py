"""The user a Dockerfile's image runs as, with `ARG`/`ENV` defaults substituted (`USER ${APP_UID}`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from pytest_readiness.results import Location
from pytest_readiness.sources.repo.dockerfile import Dockerfile, Instruction, Stage

# Variables well-known base images set for their non-root user (the Dockerfile only names them).
BASE_IMAGE_ENV = {
    "mcr.microsoft.com/dotnet/": {"APP_UID": "1654"},
}
_VARIABLE = re.compile(r"\$(?:\{(?P<braced>\w+)(?::?[-+](?P<default>[^}]*))?\}|(?P<bare>\w+))")


@dataclass(frozen=True)
class ImageUser:
    written: str  # the USER instruction as written; "" when the image sets none
    name: str  # the user part after substitution; "root" when the image sets none
    location: Location
    unresolved: tuple[str, ...] = ()  # variables without a default anywhere in the Dockerfile

    @property
    def is_root(self) -> bool:
        return not self.unresolved and (self.name == "root" or (self.name.isdigit() and int(self.name) == 0))

    @property
    def numeric(self) -> bool:
        return self.name.isdigit()

    def describe(self) -> str:
        if not self.written:
            return "no USER (root)"
        resolved = f" = {self.name}" if "$" in self.written and not self.unresolved else ""
        return f"{self.written}{resolved}"


def _assignments(instruction: Instruction) -> Iterable[tuple[str, str | None]]:
    if instruction.cmd == "ARG":
        for word in instruction.value:
            name, eq, default = word.partition("=")
            yield name, default if eq else None
    elif instruction.cmd == "ENV":
        values = list(instruction.value)
        yield from zip(values[::2], values[1::2], strict=False)


def _chain(dockerfile: Dockerfile) -> list[Stage]:
    """The final stage and the earlier stages it is built FROM, root-most first."""
    chain: list[Stage] = []
    stage: Stage | None = dockerfile.final
    while stage is not None and stage not in chain:
        chain.insert(0, stage)
        stage = dockerfile.stage_named(stage.base)
    return chain


def substitute(text: str, variables: dict[str, str]) -> tuple[str, tuple[str, ...]]:
    """`text` with `$VAR`, `${VAR}` and `${VAR:-default}` replaced; the names nothing defines."""
    missing: list[str] = []

    def value(match: re.Match[str]) -> str:
        name = match["braced"] or match["bare"]
        if name in variables:
            return variables[name]
        if match["default"] is not None:
            return match["default"]
        missing.append(name)
        return match[0]

    return _VARIABLE.sub(value, text), tuple(missing)


def final_user(dockerfile: Dockerfile) -> ImageUser:
    global_args = dict(_assignments(Instruction("ARG", dockerfile.global_args, "", dockerfile.final.location)))
    chain = _chain(dockerfile)
    base, _ = substitute(chain[0].base, {k: v for k, v in global_args.items() if v is not None})
    variables = next((dict(env) for prefix, env in BASE_IMAGE_ENV.items() if base.startswith(prefix)), {})
    user: Instruction | None = None
    chosen: dict[str, str] = {}
    for stage in chain:
        for instruction in stage.instructions:
            if instruction.cmd in ("ARG", "ENV"):
                for name, default in _assignments(instruction):
                    inherited = global_args.get(name) if instruction.cmd == "ARG" else None
                    if default is not None or inherited is not None:
                        variables[name] = default if default is not None else str(inherited)
            elif instruction.cmd == "USER":
                user = instruction
                chosen = dict(variables)
    if user is None:
        return ImageUser("", "root", dockerfile.final.location)
    written = " ".join(user.value)
    resolved, missing = substitute(written, chosen)
    return ImageUser(f"USER {written}", resolved.split(":")[0].strip() or "root", user.location, missing)
