"""An OAuth 2.0 token endpoint for the client-credentials flow, answering as Microsoft Entra ID.

It issues JWT-shaped access tokens (with `aud`, `roles` and `exp` claims, so a client can read
its permissions) that expire after `lifetime_s`, and remembers each, so the fake services accept
only tokens it issued and only until they expire. Wrong secrets, unknown apps, unknown tenants
and bad scopes get the error bodies Microsoft documents, AADSTS numbers included.

An app may also prove itself with a certificate (`certificates`): a client assertion, a JWT
whose `x5t` header names a registered certificate by its SHA-1 thumbprint, whose signature that
certificate's public key verifies, whose audience is this endpoint and whose issuer and subject
are the client id, within its valid time. Each failure gets Entra ID's answer (AADSTS700027,
700024, 700021).
"""

from __future__ import annotations

import base64
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qs

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from improveflow.testing.mail_apis.http import Answer, LoopbackHttpServer, Request

SMTP_AUDIENCE = "https://outlook.office365.com"
GRAPH_AUDIENCE = "https://graph.microsoft.com"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# The application permissions an admin would grant the app for each service.
DEFAULT_ROLES = {SMTP_AUDIENCE: ("SMTP.SendAsApp",), GRAPH_AUDIENCE: ("Mail.Send",)}


class Verdict(StrEnum):
    """What a service makes of a bearer token."""

    VALID = "valid"
    UNKNOWN = "unknown"  # not one this endpoint issued
    EXPIRED = "expired"
    WRONG_AUDIENCE = "wrong_audience"
    MISSING_ROLE = "missing_role"


@dataclass(frozen=True)
class Issued:
    audience: str
    roles: tuple[str, ...]
    expires_at: float  # time.monotonic()


class TokenEndpoint(LoopbackHttpServer):
    """`POST /{tenant}/oauth2/v2.0/token` for one app (client id and secret)."""

    def __init__(
        self,
        *,
        tenant: str = "council.example",
        client_id: str = "2f4e1c9a-improveflow-app",
        client_secret: str = "a-client-secret",
        lifetime_s: int = 3599,
        roles: dict[str, tuple[str, ...]] | None = None,
        certificates: Iterable[x509.Certificate] = (),
        port: int | None = None,
    ) -> None:
        super().__init__(port)
        self.tenant = tenant
        self.client_id = client_id
        self.client_secret = client_secret
        self.lifetime_s = lifetime_s
        # Per audience: the permissions granted (with admin consent) to the app.
        self.roles = dict(DEFAULT_ROLES if roles is None else roles)
        self._key = secrets.token_bytes(32)
        self._issued: dict[str, Issued] = {}
        self.requests = 0  # token requests answered, good or not
        # The certificates uploaded to the app registration, by their SHA-1 thumbprint.
        self.certificates = {_thumbprint(cert): cert for cert in certificates}
        self.assertions: list[dict[str, Any]] = []  # claims of each client assertion accepted

    @property
    def token_url(self) -> str:
        return f"{self.url}/{self.tenant}/oauth2/v2.0/token"

    @property
    def issued(self) -> int:
        """Tokens issued so far."""
        with self._lock:
            return len(self._issued)

    def expire_all(self) -> None:
        """End every token issued so far now, as a revocation would."""
        now = time.monotonic()
        with self._lock:
            for token, issued in self._issued.items():
                self._issued[token] = Issued(issued.audience, issued.roles, now)

    def verify(self, token: str, audience: str, role: str | None = None) -> Verdict:
        """Whether a service for `audience` (needing `role`, if given) should take `token`."""
        with self._lock:
            issued = self._issued.get(token)
        if issued is None:
            return Verdict.UNKNOWN
        if time.monotonic() >= issued.expires_at:
            return Verdict.EXPIRED
        if issued.audience != audience:
            return Verdict.WRONG_AUDIENCE
        if role is not None and role not in issued.roles:
            return Verdict.MISSING_ROLE
        return Verdict.VALID

    def answer(self, request: Request) -> Answer:
        with self._lock:
            self.requests += 1
        if request.method != "POST" or request.path != f"/{self.tenant}/oauth2/v2.0/token":
            tenant = request.path.strip("/").split("/")[0]
            return _error(
                400,
                "invalid_request",
                90002,
                f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID "
                "and are signing into the correct cloud.",
            )
        form = {name: values[0] for name, values in parse_qs(request.body.decode()).items()}
        if form.get("grant_type") != "client_credentials":
            return _error(
                400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type."
            )
        if form.get("client_id") != self.client_id:
            return _error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{form.get('client_id')}' was not found in the "
                f"directory '{self.tenant}'.",
            )
        if "client_assertion" in form or "client_assertion_type" in form:
            refused = self._check_assertion(form)
            if refused is not None:
                return refused
        elif form.get("client_secret") != self.client_secret:
            return _error(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is "
                "the client secret value, not the client secret ID, for a secret added to app "
                f"'{self.client_id}'.",
            )
        scope = form.get("scope", "")
        audience = scope.removesuffix("/.default")
        if not scope.endswith("/.default") or audience not in self.roles:
            return _error(
                400,
                "invalid_scope",
                1002012,
                f"The provided value for scope {scope} is not valid. Client credential flows "
                "must have a scope value with /.default suffixed to the resource identifier.",
            )
        return Answer(
            200,
            {
                "token_type": "Bearer",
                "expires_in": self.lifetime_s,
                "ext_expires_in": self.lifetime_s,
                "access_token": self._issue(audience),
            },
        )

    def _check_assertion(self, form: dict[str, str]) -> Answer | None:
        """Whether the client assertion proves the app: None if so, else Entra ID's refusal."""
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            return _error(
                400,
                "invalid_request",
                50027,
                "JWT token is invalid or malformed. client_assertion_type is not "
                f"'{ASSERTION_TYPE}'.",
            )
        assertion = form.get("client_assertion", "")
        try:
            header = jwt.get_unverified_header(assertion)
        except jwt.PyJWTError:
            return _error(400, "invalid_request", 50027, "JWT token is invalid or malformed.")
        hint = str(header.get("x5t", ""))
        named = _from_base64url(hint)
        certificate = self.certificates.get(named or "")
        if certificate is None:
            return _error(
                401,
                "invalid_client",
                700027,
                "The certificate with identifier used to sign the client assertion is not "
                "registered on application. [Reason - The key was not found., Thumbprint of key "
                f"used by client: '{named or hint}', Please visit the Azure Portal, Graph "
                f"Explorer or directly use MS Graph to see configured keys for app Id "
                f"'{self.client_id}'.]",
            )
        try:
            claims: dict[str, Any] = jwt.decode(
                assertion,
                certificate.public_key(),  # type: ignore[arg-type]
                algorithms=["RS256", "PS256"],
                audience=self.token_url,
                options={"require": ["aud", "iss", "sub", "exp", "nbf", "jti"]},
            )
        except jwt.InvalidSignatureError:
            return _error(
                401,
                "invalid_client",
                700027,
                "Client assertion contains an invalid signature. [Reason - The provided "
                "signature value did not match the expected signature value., Thumbprint of key "
                f"used by client: '{named}', Found key 'Start={certificate.not_valid_before_utc}"
                f", End={certificate.not_valid_after_utc}']",
            )
        except (jwt.ExpiredSignatureError, jwt.ImmatureSignatureError):
            return _error(
                401,
                "invalid_client",
                700024,
                "Client assertion is not within its valid time range.",
            )
        except jwt.PyJWTError as error:
            return _error(
                400, "invalid_request", 50027, f"JWT token is invalid or malformed: {error}."
            )
        if claims.get("iss") != self.client_id or claims.get("sub") != self.client_id:
            return _error(
                401,
                "invalid_client",
                700021,
                "Client assertion application identifier doesn't match 'client_id' parameter.",
            )
        with self._lock:
            self.assertions.append(claims)
        return None

    def _issue(self, audience: str) -> str:
        roles = self.roles[audience]
        now = time.time()
        claims = {
            "aud": audience,
            "iss": f"https://sts.windows.net/{self.tenant}/",
            "iat": int(now),
            "exp": int(now) + self.lifetime_s,
            "appid": self.client_id,
            "roles": list(roles),
            "jti": secrets.token_hex(8),
        }
        token = jwt.encode(claims, self._key, algorithm="HS256")
        with self._lock:
            self._issued[token] = Issued(audience, roles, time.monotonic() + self.lifetime_s)
        return token


def _error(status: int, error: str, number: int, description: str) -> Answer:
    trace = "Trace ID: 0b7c3e1a-0000-4000-8000-000000000000"
    return Answer(
        status,
        {
            "error": error,
            "error_description": f"AADSTS{number}: {description} {trace}",
            "error_codes": [number],
            "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
        },
    )


def _thumbprint(certificate: x509.Certificate) -> str:
    return certificate.fingerprint(hashes.SHA1()).hex().upper()


def _from_base64url(value: str) -> str | None:
    """An `x5t` header's thumbprint in hex, or None if it is not base64url."""
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).hex().upper() or None
    except ValueError:
        return None
