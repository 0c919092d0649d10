"""`helm template RELEASE CHART [-f VALUES]...` on Helm's own Go engine (the helm-python-sdk package),
for tests on machines without a helm binary. It prints what helm prints: every rendered document
after `---` and a `# Source: <chart>/templates/<file>` line; partials and NOTES.txt are left out."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import yaml


def merged(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Helm's merge of values files: maps merge key by key, anything else is replaced."""
    result = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merged(result[key], value)
        else:
            result[key] = value
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="helm")
    commands = parser.add_subparsers(dest="command", required=True)
    template = commands.add_parser("template")
    template.add_argument("release")
    template.add_argument("chart")
    template.add_argument("-f", "--values", action="append", default=[])
    args = parser.parse_args(argv)

    import helm_python

    values: dict[str, Any] = {}
    for path in args.values:
        values = merged(values, yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {})
    try:
        rendered = helm_python.Chart.load(args.chart).render(values, name=args.release, namespace="default",
                                                              is_install=True)
    except helm_python.HelmError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    for source, text in sorted(rendered.items()):
        if source.endswith("NOTES.txt") or Path(source).name.startswith("_"):
            continue
        for document in re.split(r"(?m)^---\s*$", text):
            if document.strip():
                print(f"---\n# Source: {source}\n{document.strip(chr(10))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
