"""The shipped checklist: one module per category of the seed, collected under --readiness."""
