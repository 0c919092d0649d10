"""Reference agent service: a live target for pytest-readiness' checks.

It implements the Microsoft Agent Framework template's HTTP API with a deterministic stand-in for
the model, so it runs offline. Every safeguard can be switched off in agent.toml.
"""
