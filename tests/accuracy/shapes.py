"""Building blocks of the accuracy fixture repos: small, realistic deployment files in the shapes public
repositories use (plain manifests, compose, skaffold, Helm, Dockerfile-only). Random-looking values are
generated at import time, so these files hold nothing a scanner would flag."""

from __future__ import annotations

import base64
import random
import string
import textwrap
from typing import Any

import yaml

_random = random.Random(20261202)
RANDOM_PASSWORD = "".join(_random.choice(string.ascii_letters + string.digits) for _ in range(24))
AWS_KEY_ID = "AKIA" + "".join(_random.choice(string.ascii_uppercase + string.digits) for _ in range(16))


def doc(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


def _yaml(text: str) -> Any:
    return yaml.safe_load(doc(text)) if text else None


def deployment(name: str = "shop", image: str = "contoso.azurecr.io/shop:1.2.0", env: str = "",
               security: str = "runAsNonRoot: true\nrunAsUser: 10001", args: str = "", pod_extra: str = "",
               port: int = 8080, kind: str = "Deployment", extra: str = "", labels: str = "") -> str:
    """A workload of one container; `env`, `args`, `security`, `extra` (more container keys),
    `pod_extra` (more pod spec keys) and `labels` (more pod labels) are YAML."""
    container: dict[str, Any] = {"name": name, "image": image, "ports": [{"containerPort": port}]}
    for key, text in (("env", env), ("args", args), ("securityContext", security)):
        if text:
            container[key] = _yaml(text)
    container.update(_yaml(extra) or {})
    pod: dict[str, Any] = {**(_yaml(pod_extra) or {}), "containers": [container]}
    body = {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name, **(_yaml(labels) or {})}}, "spec": pod}}}
    return yaml.safe_dump(body, sort_keys=False)


def service(name: str = "shop", kind: str = "ClusterIP", port: int = 80, target: int | str = 8080,
            port_name: str = "http", annotations: str = "") -> str:
    metadata: dict[str, Any] = {"name": name}
    if annotations:
        metadata["annotations"] = _yaml(annotations)
    body = {"apiVersion": "v1", "kind": "Service", "metadata": metadata,
            "spec": {"type": kind, "selector": {"app": name},
                     "ports": [{"name": port_name, "port": port, "targetPort": target}]}}
    return yaml.safe_dump(body, sort_keys=False)


DOCKERFILE_NON_ROOT = doc("""
    FROM python:3.12-slim
    WORKDIR /app
    COPY . .
    USER 10001
    CMD ["python", "-m", "shop"]
""")
