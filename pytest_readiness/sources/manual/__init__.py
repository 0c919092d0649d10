"""Human attestations, sign-off and waivers from readiness.toml."""
