"""A certificate instead of a client secret: the app proves who it is with a short-lived JWT
(a client assertion) signed with the certificate's private key.

This is Microsoft Entra ID's certificate credential (OpenID Connect's `private_key_jwt`): a JWT
whose audience is the token endpoint, whose issuer and subject are the app's client id, valid
for ten minutes, signed RS256 and naming the certificate by its SHA-1 thumbprint (`x5t`), as
MSAL signs it. The certificate (its public half) is uploaded to the app registration; the PEM
file named by IMPROVEFLOW_OAUTH_CERTIFICATE_PATH holds it and its private key. Unlike a secret
pasted from the portal, the key never leaves the server, and nothing secret crosses the wire.

The file is read when a token is first needed, and again only if it changes, so a certificate
renewed in place is picked up without a restart. A file that cannot be used (no key, the wrong
password, a key that is not RSA, an expired certificate) is a `TransportUnavailable` naming
what is wrong: email waits until it is fixed, and `improveflow mail check` says so.
"""

from __future__ import annotations

import base64
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr

from improveflow.transports.base import Cause, Stage, TransportUnavailable

__all__ = ["ASSERTION_TYPE", "ClientCertificate", "thumbprint"]

# The form value that says the client authenticates with a signed JWT (RFC 7523).
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# How long an assertion is good for: Microsoft asks for at most 5-10 minutes.
ASSERTION_LIFETIME_S = 600
_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n.*?-----END \1-----", re.DOTALL)


def thumbprint(certificate: x509.Certificate) -> str:
    """The certificate's SHA-1 thumbprint in hex, as the Entra admin centre shows it."""
    # SHA-1 names the certificate here; it is not used for its security.
    return certificate.fingerprint(hashes.SHA1()).hex().upper()


@dataclass(frozen=True)
class _Loaded:
    key: rsa.RSAPrivateKey
    x5t: str
    not_after: datetime
    stamp: tuple[int, int]  # the file's (mtime_ns, size) when read


@dataclass
class ClientCertificate:
    """The app's certificate and private key, from a PEM file; signs client assertions."""

    path: Path
    password: SecretStr | None = field(default=None, repr=False)
    _loaded: _Loaded | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def assertion(self, client_id: str, token_url: str, *, now: float | None = None) -> str:
        """A client assertion for `client_id` at the token endpoint `token_url`."""
        loaded = self._load()
        issued = int(time.time() if now is None else now)
        if datetime.fromtimestamp(issued, UTC) >= loaded.not_after:
            raise self._unusable(
                f"the certificate expired on {loaded.not_after:%d %B %Y}: make a new one, "
                "upload it to the app registration and replace the file"
            )
        claims = {
            "aud": token_url,
            "iss": client_id,
            "sub": client_id,
            "jti": str(uuid.uuid4()),
            "nbf": issued,
            "iat": issued,
            "exp": issued + ASSERTION_LIFETIME_S,
        }
        return jwt.encode(
            claims, loaded.key, algorithm="RS256", headers={"typ": "JWT", "x5t": loaded.x5t}
        )

    def _load(self) -> _Loaded:
        try:
            status = self.path.stat()
        except OSError as error:
            raise self._unusable(f"it cannot be read ({error.strerror or error})") from error
        stamp = (status.st_mtime_ns, status.st_size)
        with self._lock:
            if self._loaded is not None and self._loaded.stamp == stamp:
                return self._loaded
            try:
                data = self.path.read_bytes()
            except OSError as error:
                raise self._unusable(f"it cannot be read ({error.strerror or error})") from error
            self._loaded = self._parse(data, stamp)
            return self._loaded

    def _parse(self, data: bytes, stamp: tuple[int, int]) -> _Loaded:
        blocks = {match[1].decode(): match[0] for match in _PEM_BLOCK.finditer(data)}
        key_block = next((block for kind, block in blocks.items() if "PRIVATE KEY" in kind), None)
        certificate_block = blocks.get("CERTIFICATE")
        if key_block is None:
            raise self._unusable("it holds no private key (a PEM block ...PRIVATE KEY...)")
        if certificate_block is None:
            raise self._unusable(
                "it holds no certificate (a PEM block BEGIN CERTIFICATE): put the certificate "
                "uploaded to the app registration in the same file as its key"
            )
        password = self.password.get_secret_value().encode() if self.password else None
        try:
            key = serialization.load_pem_private_key(key_block, password=password)
        except TypeError as error:  # a password given for a plain key, or none for an encrypted one
            setting = "IMPROVEFLOW_OAUTH_CERTIFICATE_PASSWORD"
            raise self._unusable(
                f"its private key is encrypted: set {setting}"
                if password is None
                else f"its private key is not encrypted: unset {setting}"
            ) from error
        except ValueError as error:
            raise self._unusable(
                "its private key cannot be read (the wrong password, or a damaged file)"
            ) from error
        if not isinstance(key, rsa.RSAPrivateKey):
            raise self._unusable("its private key is not an RSA key, which Entra ID needs")
        try:
            certificate = x509.load_pem_x509_certificate(certificate_block)
        except ValueError as error:
            raise self._unusable("its certificate cannot be read") from error
        if certificate.public_key() != key.public_key():
            raise self._unusable("its certificate and private key do not belong together")
        x5t = base64.urlsafe_b64encode(bytes.fromhex(thumbprint(certificate))).rstrip(b"=")
        return _Loaded(key, x5t.decode(), certificate.not_valid_after_utc, stamp)

    def _unusable(self, why: str) -> TransportUnavailable:
        return TransportUnavailable(
            f"The certificate file {self.path} (IMPROVEFLOW_OAUTH_CERTIFICATE_PATH) cannot be "
            f"used: {why}",
            stage=Stage.TOKEN,
            cause=Cause.CERTIFICATE_UNUSABLE,
        )
