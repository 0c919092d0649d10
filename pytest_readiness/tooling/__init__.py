"""Catalog tooling: the generated docs and `--readiness-list`."""
