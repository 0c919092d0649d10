"""The service's Dockerfile, stage by stage; the final stage is what runs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pytest_readiness.api import SourceError, Unverified
from pytest_readiness.results import Location
from pytest_readiness.sources import reading
from pytest_readiness.sources.reading import quote
from pytest_readiness.sources.repo.options import DEFAULT_DOCKERFILE

MAX_LINES = 20_000

INSTRUCTIONS = frozenset(
    [
        "ADD",
        "ARG",
        "CMD",
        "COPY",
        "ENTRYPOINT",
        "ENV",
        "EXPOSE",
        "FROM",
        "HEALTHCHECK",
        "LABEL",
        "MAINTAINER",
        "ONBUILD",
        "RUN",
        "SHELL",
        "STOPSIGNAL",
        "USER",
        "VOLUME",
        "WORKDIR",
    ]
)


@dataclass(frozen=True)
class Instruction:
    cmd: str
    value: tuple[str, ...]
    original: str
    location: Location


@dataclass(frozen=True)
class Stage:
    index: int
    base: str
    name: str | None
    instructions: tuple[Instruction, ...]
    location: Location

    def last(self, cmd: str) -> Instruction | None:
        found = [i for i in self.instructions if i.cmd == cmd]
        return found[-1] if found else None

    def all(self, cmd: str) -> list[Instruction]:
        return [i for i in self.instructions if i.cmd == cmd]


@dataclass(frozen=True)
class Dockerfile:
    display: str
    stages: tuple[Stage, ...]
    global_args: tuple[str, ...] = ()  # `NAME=default` of the ARGs before the first FROM

    @property
    def final(self) -> Stage:
        return self.stages[-1]

    def stage_named(self, name: str) -> Stage | None:
        return next((s for s in self.stages if s.name and s.name.lower() == name.lower()), None)

    def effective_user(self) -> Instruction | None:
        """The USER in force in the final stage, following `FROM <earlier stage>` chains."""
        stage: Stage | None = self.final
        seen: set[int] = set()
        while stage is not None and stage.index not in seen:
            seen.add(stage.index)
            user = stage.last("USER")
            if user is not None:
                return user
            stage = self.stage_named(stage.base)
        return None


def parse(text: str, display: str) -> Dockerfile:
    import dockerfile as go_parser  # the official BuildKit parser, compiled

    lines = text.count("\n") + 1
    if lines > MAX_LINES:
        raise SourceError(display, f"not read: {lines} lines, more than the {MAX_LINES} a Dockerfile may have here")
    try:
        text.encode("utf-8")  # the compiled parser crashes the process on a lone surrogate
    except UnicodeEncodeError as exc:
        line = text.count("\n", 0, exc.start) + 1
        raise SourceError(f"{display}:{line}", "invalid Dockerfile: a character that is not valid UTF-8") from None
    try:
        commands = go_parser.parse_string(text)
    except go_parser.GoParseError as exc:
        raise SourceError(display, f"invalid Dockerfile: {quote(str(exc))}") from None
    stages: list[Stage] = []
    global_args: list[str] = []
    current: list[Instruction] = []
    header: Instruction | None = None
    for command in commands:
        location = Location(display, command.start_line)
        if not command.cmd:
            raise SourceError(str(location), "invalid Dockerfile: a line continuation (\\) with no instruction")
        if command.cmd.upper() not in INSTRUCTIONS:
            unknown = quote(command.cmd.upper(), 80)
            raise SourceError(str(location), f"invalid Dockerfile: unknown instruction {unknown}")
        values = tuple(v for v in command.value if v is not None)
        inst = Instruction(command.cmd.upper(), values, command.original or "", location)
        if inst.cmd == "FROM":
            if header is not None:
                stages.append(_stage(len(stages), header, current))
            header, current = inst, []
        elif header is None:
            if inst.cmd != "ARG":
                raise SourceError(str(location), f"invalid Dockerfile: {inst.cmd} before the first FROM")
            global_args.extend(inst.value)
        else:
            current.append(inst)
    if header is None:
        raise SourceError(display, "invalid Dockerfile: no FROM instruction")
    stages.append(_stage(len(stages), header, current))
    return Dockerfile(display, tuple(stages), tuple(global_args))


def _stage(index: int, header: Instruction, body: list[Instruction]) -> Stage:
    words = [w for w in header.value if not w.startswith("--")]
    name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
    return Stage(index, words[0] if words else "", name, tuple(body), header.location)


DEFAULT = DEFAULT_DOCKERFILE  # the template's place
# Where repositories that don't follow the template keep theirs, looked at only when the option is left at
# its default and nothing is there.
CONVENTIONAL = ("Dockerfile", "docker/Dockerfile", "build/Dockerfile", "src/Dockerfile")


def discover(project: Path, relative: str) -> str:
    """`relative` itself, unless it is the default and absent: then the first conventional Dockerfile there is."""
    if relative != DEFAULT or (project / relative).exists():
        return relative
    return next((c for c in CONVENTIONAL if (project / c).is_file()), relative)


def load(project: Path, relative: str, max_bytes: int = reading.DEFAULT_MAX_BYTES) -> Dockerfile:
    path = Path(relative) if Path(relative).is_absolute() else project / relative
    try:
        display = str(path.relative_to(project))
    except ValueError:
        display = str(path)
    if not path.exists():  # a FIFO or a device is there, and reported as not read
        also = f" (nor at {', '.join(CONVENTIONAL)})" if relative == DEFAULT else ""
        raise Unverified(f"no Dockerfile at {display}{also}: set --readiness-dockerfile (ini readiness_dockerfile)")
    try:
        text = reading.read_text(path, display, max_bytes)
    except reading.Unreadable as exc:
        raise SourceError(exc.where, exc.problem) from None
    return parse(text, display)
