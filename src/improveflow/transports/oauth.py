"""App-only access tokens from the OAuth 2.0 client-credentials flow, cached and renewed.

One POST to the token endpoint (Microsoft's for the tenant, or IMPROVEFLOW_OAUTH_TOKEN_URL),
with the app's client secret or a client assertion signed with its certificate
(`transports.certificate`), gives a token that lasts about an hour. It is kept and handed to
every connection and request until a few minutes before it expires, then renewed: tokens are
fetched per hour, never per message. The POST is made directly rather than through msal, which
refuses a token endpoint that is not https and brings a second HTTP stack for one request.

A provider is shared by the tasks of an event loop and may be shared by threads: the cache is
guarded by a lock, and within one loop one task fetches while the others wait for its token.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import json
import logging
import re
import ssl
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx2
from pydantic import SecretStr

from improveflow.config import Settings
from improveflow.transports.base import Cause, Stage, TransportUnavailable
from improveflow.transports.certificate import ASSERTION_TYPE, ClientCertificate

__all__ = ["ClientCredentials", "TokenProvider", "granted_roles", "web_client"]

log = logging.getLogger(__name__)

# Renew this long before expiry, so that a token handed out is good for the exchange it starts.
RENEW_BEFORE_S = 300.0
# A token that lives less than twice RENEW_BEFORE_S is renewed at half its life instead.
RENEW_SHARE = 0.5
# A held token is not handed out in its last seconds, when an exchange could outlive it.
USABLE_MARGIN_S = 30.0
TOKEN_TIMEOUT_S = 30.0
# Microsoft's error descriptions start with their AADSTS number, which names the precise problem.
_AADSTS = re.compile(r"\bAADSTS(\d+)\b")


@dataclass(frozen=True)
class ClientCredentials:
    """An app registration's client id and its secret or certificate, and where to exchange
    them for a token."""

    token_url: str
    client_id: str
    client_secret: SecretStr | None = field(default=None, repr=False)
    certificate: ClientCertificate | None = None

    def __post_init__(self) -> None:
        if (self.client_secret is None) == (self.certificate is None):
            raise ValueError("give the app's client secret or its certificate, not both")

    @classmethod
    def from_settings(cls, settings: Settings) -> ClientCredentials:
        if settings.oauth_client_id is None:
            raise ValueError("the OAuth client id is not set")
        path = settings.oauth_certificate_path
        return cls(
            token_url=settings.oauth_token_endpoint,
            client_id=settings.oauth_client_id,
            client_secret=settings.oauth_client_secret if path is None else None,
            certificate=None
            if path is None
            else ClientCertificate(path, settings.oauth_certificate_password),
        )

    def proof(self) -> dict[str, str]:
        """The form fields that prove the app is who it says: the secret, or a fresh assertion.

        Raises TransportUnavailable when the certificate cannot be used.
        """
        if self.certificate is not None:
            return {
                "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": self.certificate.assertion(self.client_id, self.token_url),
            }
        assert self.client_secret is not None  # __post_init__ guarantees one of the two
        return {"client_secret": self.client_secret.get_secret_value()}


@dataclass(frozen=True)
class _Token:
    value: str = field(repr=False)
    renew_at: float  # on the provider's clock
    usable_until: float  # its expiry, less a margin for the exchange it starts


class TokenProvider:
    """Access tokens for one scope, fetched when none is held or the held one is due renewal."""

    def __init__(
        self,
        credentials: ClientCredentials,
        scope: str,
        *,
        timeout_s: float = TOKEN_TIMEOUT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.credentials = credentials
        self.scope = scope
        self._timeout_s = timeout_s
        self._clock = clock
        self._lock = threading.Lock()
        self._token: _Token | None = None
        self._fetching: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self.fetched = 0  # tokens obtained so far, for tests and the mail check

    async def token(self) -> str:
        """A token good for a few minutes at least; fetched only when needed.

        Raises TransportUnavailable (stage TOKEN) when the endpoint cannot be reached or will
        not issue one.
        """
        held = self._held()
        if held is not None:
            return held
        async with self._fetch_lock():
            held = self._held()  # another task may have fetched one while this one waited
            if held is not None:
                return held
            try:
                token = await self._fetch()
            except TransportUnavailable:
                # The endpoint is down or refusing at renewal: a token not yet expired still
                # serves, and the next call tries again.
                spare = self._spare()
                if spare is None:
                    raise
                log.warning("could not renew the access token; using the one held until it expires")
                return spare
            with self._lock:
                self._token = token
                self.fetched += 1
            return token.value

    def invalidate(self, value: str | None = None) -> None:
        """Forget the held token (only if it is `value`, when given): a service refused it."""
        with self._lock:
            if self._token is not None and (value is None or self._token.value == value):
                self._token = None

    def _held(self) -> str | None:
        with self._lock:
            token = self._token
        if token is not None and self._clock() < token.renew_at:
            return token.value
        return None

    def _spare(self) -> str | None:
        with self._lock:
            token = self._token
        if token is not None and self._clock() < token.usable_until:
            return token.value
        return None

    def _fetch_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        with self._lock:
            lock = self._fetching.get(loop)
            if lock is None:
                lock = self._fetching[loop] = asyncio.Lock()
            return lock

    async def _fetch(self) -> _Token:
        credentials = self.credentials
        form = {
            "grant_type": "client_credentials",
            "client_id": credentials.client_id,
            **credentials.proof(),
            "scope": self.scope,
        }
        asked_at = self._clock()
        try:
            async with web_client(self._timeout_s) as client:
                response = await client.post(
                    credentials.token_url, data=form, headers={"Accept": "application/json"}
                )
        except httpx2.TimeoutException as error:
            raise self._unavailable(f"no answer within {self._timeout_s:g} seconds") from error
        except httpx2.HTTPError as error:
            raise self._unavailable(_one_line(error) or type(error).__name__) from error
        body = _json(response)
        if response.status_code != 200:
            raise _refusal(response.status_code, body, credentials.token_url)
        value = body.get("access_token")
        lifetime = _seconds(body.get("expires_in"))
        if not isinstance(value, str) or not value or lifetime is None:
            raise self._unavailable(
                f"the answer from {credentials.token_url} ({response.status_code}) has no "
                "access token and lifetime"
            )
        ahead = min(RENEW_BEFORE_S, lifetime * RENEW_SHARE)
        expires = asked_at + lifetime
        return _Token(
            value=value,
            renew_at=expires - ahead,
            usable_until=expires - min(USABLE_MARGIN_S, lifetime * RENEW_SHARE / 2),
        )

    def _unavailable(self, why: str) -> TransportUnavailable:
        return TransportUnavailable(
            f"Could not get an access token from {self.credentials.token_url}: {why}",
            stage=Stage.TOKEN,
            cause=Cause.UNREACHABLE,
        )


def _refusal(status: int, body: dict[str, Any], url: str) -> TransportUnavailable:
    """The endpoint's refusal as a failure: its error code, and the AADSTS number if any."""
    error = str(body.get("error") or f"HTTP {status}")
    description = _one_line(str(body.get("error_description") or ""))
    number = _AADSTS.search(description)
    codes = body.get("error_codes")
    aadsts: str | None = None
    if number is not None:
        aadsts = f"AADSTS{number[1]}"
    elif isinstance(codes, list) and codes and isinstance(codes[0], int):
        aadsts = f"AADSTS{codes[0]}"
    # The description repeats a trace and correlation id after its first sentence.
    said = description.split(" Trace ID:")[0] if description else ""
    return TransportUnavailable(
        f"The token endpoint {url} refused: {status} {error}" + (f": {said}" if said else ""),
        stage=Stage.TOKEN,
        cause=Cause.TOKEN_REFUSED if status < 500 else Cause.SERVER_ERROR,
        status=status,
        code=aadsts or error,
    )


@functools.cache
def _tls() -> ssl.SSLContext:
    # Loading the trusted certificates costs a tenth of a second: once per process is enough.
    return httpx2.create_ssl_context()


def web_client(timeout_s: float, **options: Any) -> httpx2.AsyncClient:
    """An HTTP client for one run or one request, sharing the process's TLS settings."""
    return httpx2.AsyncClient(timeout=timeout_s, verify=_tls(), **options)


def granted_roles(token: str) -> frozenset[str] | None:
    """The application permissions (`roles`) a JWT access token says it carries.

    Only for explaining a failure: the token is read, not verified, and a token that is not a
    readable JWT gives None (services are free to issue opaque tokens).
    """
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except (binascii.Error, ValueError):
        return None
    roles = claims.get("roles") if isinstance(claims, dict) else None
    if roles is None:
        return frozenset()
    if not isinstance(roles, list):
        return None
    return frozenset(str(role) for role in roles)


def _json(response: httpx2.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _seconds(value: object) -> float | None:
    # Microsoft's v2.0 endpoint gives a number; older endpoints gave a string of digits.
    if not isinstance(value, int | float | str):
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds > 0 else None


def _one_line(value: object) -> str:
    return " ".join(str(value).split())
