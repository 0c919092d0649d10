"""The one way a source reads a file: regular files only, a size limit, one decode policy.

A FIFO, a device or a symlink to /dev/zero would block or never end; a file over the limit
(--readiness-max-file-mib) is refused with its size; text is UTF-8 (a BOM is allowed) and a file
that is not names the line of the first bad byte. Every refusal is an `Unreadable` naming the file.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

MIB = 1024 * 1024
DEFAULT_MAX_BYTES = 8 * MIB
QUOTE_LIMIT = 300  # characters of a parser's message quoted in a reason
LIMIT_OPTION = "--readiness-max-file-mib"


class Unreadable(Exception):
    """The file exists but is not read: not a regular file, too large, not UTF-8, or an OS error."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


def quote(text: str, limit: int = QUOTE_LIMIT) -> str:
    """A message from a parser or a server, cut to `limit` characters."""
    text = " ".join(str(text).split()) if "\n" in str(text) else str(text)
    return text if len(text) <= limit else text[:limit] + f" [... {len(text) - limit} more characters]"


def size_text(size: int) -> str:
    return f"{size / MIB:.1f} MiB" if size >= MIB / 10 else f"{size} bytes"


def file_kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a directory")):
        if test(mode):
            return name
    return "not a regular file"


def is_regular(path: Path) -> bool:
    """Whether `path` (its target, for a symlink) is a regular file; never opens it."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def read_bytes(path: Path, display: str, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """At most `max_bytes` of a regular file; Unreadable for anything else."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))  # a FIFO does not block
    except OSError as exc:
        raise Unreadable(display, f"cannot read: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Unreadable(display, f"not read: it is {file_kind(info.st_mode)}, not a regular file")
        if info.st_size > max_bytes:
            raise Unreadable(display, _too_large(info.st_size, max_bytes))
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, min(1 * MIB, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:  # it grew while being read, or reports no size (/proc)
                raise Unreadable(display, _too_large(total, max_bytes, "more than "))
        return b"".join(chunks)
    except OSError as exc:
        raise Unreadable(display, f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def _too_large(size: int, limit: int, more: str = "") -> str:
    return (f"not read: {more}{size_text(size)}, over the limit of {size_text(limit)} per file "
            f"(raise {LIMIT_OPTION})")


def decode(data: bytes, display: str) -> str:
    """UTF-8 text (a leading BOM dropped); Unreadable naming the line of the first invalid byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise Unreadable(f"{display}:{line}", f"not valid UTF-8: byte 0x{data[exc.start]:02x} at column {column}"
                         ) from None


def read_text(path: Path, display: str, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    return decode(read_bytes(path, display, max_bytes), display)
