"""The repository's files: the agent config, the Dockerfile, CI pipelines and every tracked file."""
