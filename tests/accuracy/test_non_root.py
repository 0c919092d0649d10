"""SEC-NON-ROOT: the securityContext decides; without one, the final USER of the Dockerfile that builds the
container's image (matched through CI, compose, skaffold or a Makefile), with ARG/ENV defaults substituted."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.accuracy.shapes import deployment, doc
from tests.conftest import ReadinessRun

Runner = Callable[..., ReadinessRun]
K8S = "deploy/k8s"
SHOP = "SEC-NON-ROOT[Deployment/shop/shop]"
INI = f"[pytest]\nreadiness_manifests = {K8S}\nreadiness_dockerfile = Dockerfile\n"
GITHUB_BUILD = doc("""
    on:
      push:
        branches: [main]
    jobs:
      image:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: docker build -t contoso.azurecr.io/shop:${{ github.sha }} .
""")
SKAFFOLD = doc("""
    apiVersion: skaffold/v4beta11
    kind: Config
    build:
      artifacts:
        - image: shop
          docker:
            dockerfile: Dockerfile
    manifests:
      rawYaml: [deploy/k8s/*.yaml]
""")
COMPOSE = doc("""
    services:
      shop:
        build: .
        image: ghcr.io/contoso/shop:dev
""")
MAKEFILE = "IMAGE ?= contoso.azurecr.io/shop\n\nimage:\n\tdocker build -t $(IMAGE):$(VERSION) .\n"


def files(dockerfile: str, build: dict[str, str], image: str = "contoso.azurecr.io/shop:1.2.0",
          manifests: bool = True) -> dict[str, str]:
    tree = {"pytest.ini": INI, "Dockerfile": doc(dockerfile), **build}
    if manifests:
        tree[f"{K8S}/deploy.yaml"] = deployment(image=image, security="")
    return tree


def non_root(run_readiness: Runner, tree: dict[str, str]) -> ReadinessRun:
    return run_readiness(tree, "-k", "non_root or dockerfile_builds")


CASES = {
    # fail: root after ARG/ENV resolution, in every build shape
    "arg-default-zero-ci": (files("""
        ARG APP_UID=0
        FROM python:3.12-slim
        ARG APP_UID
        USER ${APP_UID}
    """, {".github/workflows/image.yml": GITHUB_BUILD}), SHOP, "failed", "USER ${APP_UID} = 0"),
    "env-root-compose": (files("""
        FROM python:3.12-slim
        ENV APP_USER=root
        USER $APP_USER
    """, {"docker-compose.yml": COMPOSE}, image="ghcr.io/contoso/shop:1.0"), SHOP, "failed", "runs as root"),
    "placeholder-registry-no-user": (files("""
        FROM python:3.12-slim
        CMD ["python", "app.py"]
    """, {}, image="your-registry/shop:latest"), SHOP, "failed", "no USER (root)"),
    "dockerfile-only-root": (files("FROM node:20\nCMD node server.js\n", {}, manifests=False),
                             "SEC-NON-ROOT[no-manifests]", "failed", "no USER (root)"),
    # pass: the resolved user is not root
    "arg-default-skaffold": (files("""
        FROM python:3.12-slim
        ARG APP_UID=10001
        RUN useradd -u ${APP_UID} app
        USER ${APP_UID}:${APP_UID}
    """, {"skaffold.yaml": SKAFFOLD}, image="shop"), SHOP, "passed", "skaffold.yaml"),
    "dotnet-app-uid-makefile": (files("""
        FROM mcr.microsoft.com/dotnet/aspnet:8.0
        WORKDIR /app
        USER $APP_UID
        ENTRYPOINT ["dotnet", "Shop.dll"]
    """, {"Makefile": MAKEFILE}), SHOP, "passed", "Makefile"),
    "dockerfile-only-non-root": (files("FROM node:20\nUSER 10001\nCMD node server.js\n", {}, manifests=False),
                                 "SEC-NON-ROOT[no-manifests]", "passed", "the Dockerfile decides"),
    # unverified: what the repo cannot show
    "user-variable-without-default": (files("FROM python:3.12-slim\nUSER ${RUNTIME_UID}\n",
                                            {".github/workflows/image.yml": GITHUB_BUILD}), SHOP, "unverified",
                                      "RUNTIME_UID"),
    "public-image-not-built-here": (files("FROM python:3.12-slim\nUSER 10001\n", {}, image="nginx:1.27"), SHOP,
                                    "unverified", "docker.io"),
    "repo-builds-another-image": (files("FROM python:3.12-slim\nUSER 0\n", {"Makefile": MAKEFILE.replace(
        "shop", "worker")}), SHOP, "unverified", "builds worker, not"),
}


@pytest.mark.parametrize("name", CASES)
def test_non_root_decided_by_the_image_the_repo_builds(run_readiness: Runner, name: str) -> None:
    tree, key, status, detail = CASES[name]
    run = non_root(run_readiness, tree)
    assert run.status(key) == status, run.messages.get(key)
    report = run.messages[key] + run.junit
    assert detail in report, report[-2000:]


def test_the_securitycontext_decides_whatever_the_dockerfile(run_readiness: Runner) -> None:
    tree = files("FROM python:3.12-slim\n", {".github/workflows/image.yml": GITHUB_BUILD})
    tree[f"{K8S}/deploy.yaml"] = deployment(security="runAsNonRoot: true\nrunAsUser: 10001")
    assert non_root(run_readiness, tree).status(SHOP) == "passed"
    tree[f"{K8S}/deploy.yaml"] = deployment(security="runAsUser: 0")
    assert non_root(run_readiness, tree).status(SHOP) == "failed"


def test_ops_dockerfile_resolves_the_user(run_readiness: Runner) -> None:
    resolved = files("FROM python:3.12-slim\nARG APP_UID=10001\nUSER ${APP_UID}\n", {})
    assert non_root(run_readiness, resolved).status("OPS-DOCKERFILE") == "passed"
    root = files("FROM python:3.12-slim\nARG APP_UID=0\nUSER ${APP_UID}\n", {})
    run = non_root(run_readiness, root)
    assert run.status("OPS-DOCKERFILE") == "failed"
    assert "USER ${APP_UID} = 0" in run.messages["OPS-DOCKERFILE"]
