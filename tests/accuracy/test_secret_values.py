"""Default credentials are findings where a deployment uses them; templates, docs, names of secrets,
API versions, code expressions, test fixtures and commented-out generic lines are not."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.accuracy.shapes import AWS_KEY_ID, DOCKERFILE_NON_ROOT, RANDOM_PASSWORD, b64, deployment, doc
from tests.conftest import ReadinessRun

Runner = Callable[..., ReadinessRun]
SECRETS = "no_hardcoded_secrets or no_literal_secret_env or no_secrets_in_configmaps"
K8S = "deploy/k8s"
WORKLOAD = "Deployment/shop/shop"


def repo(**files: str) -> dict[str, str]:
    return {"Dockerfile": DOCKERFILE_NON_ROOT, "pytest.ini": f"[pytest]\nreadiness_manifests = {K8S}\n", **files}


def run(run_readiness: Runner, files: dict[str, str]) -> ReadinessRun:
    result = run_readiness(files, "-k", SECRETS)
    for weak in ("changeme", "letmein", "hunter2", "s3cret"):
        assert weak not in result.junit, f"{weak} shown unmasked"
    return result


# --- fail: the value a deployment uses is a default credential --------------------------------------

FAILING = {
    "env-literal": (repo(**{f"{K8S}/deploy.yaml": deployment(env="""
        - name: POSTGRES_PASSWORD
          value: changeme
    """)}), {"SEC-NO-HARDCODED-SECRETS": f"{K8S}/deploy.yaml:22: default-credential (POSTGRES_PASSWORD=",
                     f"SEC-NO-LITERAL-SECRET-ENV[{WORKLOAD}]": f"{K8S}/deploy.yaml:22: default-credential"}),
    "secret-data-base64": (repo(**{f"{K8S}/secret.yaml": doc(f"""
        apiVersion: v1
        kind: Secret
        metadata:
          name: db
        data:
          username: {b64("shop")}
          password: {b64("admin")}
    """), f"{K8S}/deploy.yaml": deployment()}), {"SEC-NO-HARDCODED-SECRETS": f"{K8S}/secret.yaml:7"}),
    "secret-string-data": (repo(**{f"{K8S}/secret.yaml": doc("""
        apiVersion: v1
        kind: Secret
        metadata:
          name: api
        stringData:
          API_TOKEN: s3cret
    """), f"{K8S}/deploy.yaml": deployment()}), {"SEC-NO-HARDCODED-SECRETS": f"{K8S}/secret.yaml:6"}),
    "committed-env-file": (repo(**{".env.production": "DATABASE_PASSWORD=letmein\nLOG_LEVEL=info\n",
                                   "config/app.env": "REDIS_PASSWORD=password\n",
                                   f"{K8S}/deploy.yaml": deployment()}),
                           {"SEC-NO-HARDCODED-SECRETS": ".env.production:1"}),
    "args-flag": (repo(**{f"{K8S}/deploy.yaml": deployment(args="""
        - --port=8080
        - --db-password=hunter2
    """)}), {f"SEC-NO-LITERAL-SECRET-ENV[{WORKLOAD}]": "default-credential (db-password=",
          "SEC-NO-HARDCODED-SECRETS": "deploy.yaml"}),
    "args-separate-words": (repo(**{f"{K8S}/deploy.yaml": deployment(args="""
        - serve
        - --admin-password
        - admin
    """)}), {f"SEC-NO-LITERAL-SECRET-ENV[{WORKLOAD}]": "default-credential (admin-password="}),
    "url-with-password-in-configmap": (repo(**{f"{K8S}/config.yaml": doc("""
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: shop
        data:
          REDIS_URL: redis://:password@redis-master:6379/0
    """), f"{K8S}/deploy.yaml": deployment()}), {"SEC-NO-SECRETS-IN-CONFIGMAP": f"{K8S}/config.yaml:6"}),
    "compose-default-password": (repo(**{"docker-compose.yml": doc("""
        services:
          db:
            image: postgres:16
            environment:
              POSTGRES_PASSWORD: postgres
    """), f"{K8S}/deploy.yaml": deployment()}), {"SEC-NO-HARDCODED-SECRETS": "docker-compose.yml:5"}),
    "commented-cloud-key": (repo(**{"config/settings.yaml": f"# old key: {AWS_KEY_ID}\nregion: eu-west-1\n",
                                    f"{K8S}/deploy.yaml": deployment()}),
                            {"SEC-NO-HARDCODED-SECRETS": "config/settings.yaml:1"}),
}


@pytest.mark.parametrize("name", FAILING)
def test_default_credentials_where_deployed_fail(run_readiness: Runner, name: str) -> None:
    files, expected = FAILING[name]
    result = run(run_readiness, files)
    for key, where in expected.items():
        assert result.status(key) == "failed", (key, result.messages.get(key))
        assert where in result.messages[key], result.messages[key]


# --- pass: placeholders in templates and docs, identifiers, fixtures, comments ---------------------

PASSING = {
    "templates-and-docs": repo(**{
        ".env.example": "DATABASE_PASSWORD=changeme\nAPI_TOKEN=letmein\n",
        "config/app.env.template": "REDIS_PASSWORD=password\n",
        "deploy/values.sample.yaml": "auth:\n  password: admin\n",
        "README.md": doc("""
            # Shop
            Run locally with `docker run -e POSTGRES_PASSWORD=postgres postgres:16`, then:

            ```yaml
            stringData:
              password: changeme
            ```
        """),
        "docs/setup.md": "Connect with redis://:password@localhost:6379\n",
        f"{K8S}/deploy.yaml": deployment(),
    }),
    "markdown-fences-are-documents": repo(**{
        "docs/deploy.md": doc(f"""
            # Deploying

            ```yaml
            apiVersion: v1
            kind: Secret
            metadata:
              name: api
            type: Opaque
            ```

            The ConfigMap:

            ```yaml
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: shop
            data:
              build: {RANDOM_PASSWORD}
            ```
        """),
        f"{K8S}/deploy.yaml": deployment(),
    }),
    "identifiers-not-secrets": repo(**{
        ".env": "VAULT_SECRET_NAME_API_KEY=kv-openai-key-prod01\nKEYVAULT_SECRET_NAME_DB_PASSWORD=shop-db-pw2\n",
        "config/openai.toml": 'api_key_version = "2025-01-01-preview"\ntoken_api_version = "2024-10-21"\n',
        "src/shop/db.py": "def connect(self):\n    password = self._settings.db_password2\n"
                          "    token = self.vault.token_v2\n",
        "tests/fixtures/users.yaml": f"admin:\n  password: {RANDOM_PASSWORD}\n",
        "tests/test_login.py": f'PASSWORD = "{RANDOM_PASSWORD}"\n',
        "config/settings.yaml": f"# password: {RANDOM_PASSWORD}\nregion: eu-west-1\n",
        f"{K8S}/deploy.yaml": deployment(env="""
            - name: VAULT_SECRET_NAME_API_KEY
              value: openai-api-key-prod01
            - name: OPENAI_API_VERSION
              value: 2025-01-01-preview
        """),
    }),
    "ci-test-service-password": repo(**{
        ".github/workflows/ci.yml": doc("""
            on: [pull_request]
            jobs:
              test:
                runs-on: ubuntu-latest
                services:
                  postgres:
                    image: postgres:16
                    env:
                      POSTGRES_PASSWORD: postgres
                steps:
                  - run: pytest
        """),
        f"{K8S}/deploy.yaml": deployment(),
    }),
}


@pytest.mark.parametrize("name", PASSING)
def test_placeholders_and_identifiers_pass(run_readiness: Runner, name: str) -> None:
    result = run(run_readiness, PASSING[name])
    assert result.status("SEC-NO-HARDCODED-SECRETS") == "passed", result.messages.get("SEC-NO-HARDCODED-SECRETS")
    assert result.status(f"SEC-NO-LITERAL-SECRET-ENV[{WORKLOAD}]") == "passed"


def test_no_configmap_is_not_applicable(run_readiness: Runner) -> None:
    result = run(run_readiness, repo(**{f"{K8S}/deploy.yaml": deployment()}))
    assert result.status("SEC-NO-SECRETS-IN-CONFIGMAP") == "not_applicable"
