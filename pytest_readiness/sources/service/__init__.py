"""The running service: HTTP probes, its TLS, and its Redis."""
