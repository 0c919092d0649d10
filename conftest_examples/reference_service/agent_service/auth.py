"""Caller authentication: an HS256 JWT bearer token or an API key from a fixed set.

The reference service signs with a shared HS256 secret so it runs offline. Real Entra ID
(Azure AD) tokens are RS256: verify them against the tenant's JWKS
(`https://login.microsoftonline.com/<tenant>/discovery/v2.0/keys`, e.g. with `jwt.PyJWKClient`).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

import jwt

from .settings import AuthSettings


class AuthError(Exception):
    """The caller is not authenticated; carries the `WWW-Authenticate` challenge to send."""

    def __init__(self, message: str, challenge: str) -> None:
        super().__init__(message)
        self.message = message
        self.challenge = challenge


class Authenticator:
    def __init__(self, settings: AuthSettings, realm: str) -> None:
        self._settings = settings
        self._realm = realm

    def authenticate(self, headers: Mapping[str, str]) -> str | None:
        """Return the caller's user id, None when auth is disabled, or raise AuthError."""
        if not self._settings.enabled:
            return None
        if self._settings.mode == "api_key":
            return self._api_key_user(headers.get(self._settings.api_key_header.lower()))
        return self._jwt_user(headers.get("authorization"))

    def _api_key_user(self, presented: str | None) -> str:
        challenge = f'ApiKey realm="{self._realm}", header="{self._settings.api_key_header}"'
        if not presented:
            raise AuthError(f"missing {self._settings.api_key_header} header", challenge)
        for index, key in enumerate(self._settings.api_keys):
            if hmac.compare_digest(presented.encode(), key.encode()):
                return f"api-key-{index}"
        raise AuthError("invalid API key", challenge)

    def _jwt_user(self, authorization: str | None) -> str:
        challenge = f'Bearer realm="{self._realm}"'
        if not authorization:
            raise AuthError("missing bearer token", challenge)
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError("authorization must use the Bearer scheme", challenge)
        try:
            claims = jwt.decode(
                token.strip(),
                self._settings.jwt_secret,
                algorithms=["HS256"],
                audience=self._settings.audience,
                issuer=self._settings.issuer,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise AuthError("token expired", _invalid_token(challenge, "token expired")) from error
        except jwt.InvalidTokenError as error:
            raise AuthError("invalid token", _invalid_token(challenge, "invalid token")) from error
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject:
            raise AuthError("invalid token", _invalid_token(challenge, "invalid token"))
        return subject


def _invalid_token(challenge: str, description: str) -> str:
    return f'{challenge}, error="invalid_token", error_description="{description}"'
