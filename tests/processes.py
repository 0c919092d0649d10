"""Start and stop the real server processes tests run on loopback."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path


def spawn(command: Sequence[str], env: Mapping[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """Start a server with its output in `log_path` (read it when a test fails)."""
    with log_path.open("wb") as log:
        return subprocess.Popen(list(command), env=dict(env), stdout=log, stderr=subprocess.STDOUT)


def stop_all(processes: Sequence[subprocess.Popen[bytes]], grace: float = 5) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
