"""The built container image as a source: read from a Docker-compatible engine or from an archive."""
