"""Reports rendered from the one result model (`pytest_readiness.results`)."""
