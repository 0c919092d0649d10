"""Render the pytest-html report of an example repo in headless Chromium, as a user sees it.

Runs `pytest --readiness --html` on a private copy of conftest_examples/<example> (agent-gaps by
default, which has every kind of row), then screenshots the page at the given width with Debian's
`chromium` (apt-get install -y chromium). Prints the paths it wrote; asserts nothing.

    python docs/screenshots.py                          # agent-gaps at 1200 px -> .demo/screenshots/
    python docs/screenshots.py --example agent-good --width 1200 --height 3000 -- -m "static or manual"
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars")


def render_report(example: str, work: Path, extra: list[str]) -> Path:
    project = work / example
    shutil.copytree(ROOT / "conftest_examples" / example, project, ignore=shutil.ignore_patterns("__pycache__"))
    html = work / f"{example}.html"
    env = {**os.environ, "READINESS_TODAY": "2026-11-25"}
    subprocess.run([sys.executable, "-m", "pytest", "--readiness", "-q", "-p", "no:cacheprovider",
                    f"--html={html}", "--self-contained-html", *extra], cwd=project, env=env,
                   capture_output=True, check=False)
    return html


def screenshot(html: Path, png: Path, width: int, height: int, profile: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("no chromium on PATH: apt-get install -y chromium")
    subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
                    "--virtual-time-budget=5000", f"--screenshot={png}", html.as_uri()],
                   check=True, capture_output=True, timeout=120)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--example", default="agent-gaps")
    parser.add_argument("--width", type=int, default=1200)
    parser.add_argument("--height", type=int, default=2400)
    parser.add_argument("--out", type=Path, default=ROOT / ".demo" / "screenshots")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments, after --")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        html = render_report(args.example, work, args.pytest_args)
        png = args.out / f"{args.example}-{args.width}.png"
        screenshot(html, png, args.width, args.height, work / "profile")
        kept = args.out / html.name
        shutil.copy(html, kept)
    print(f"report:     {kept}")
    print(f"screenshot: {png} ({args.width}x{args.height})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
