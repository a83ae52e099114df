"""A certificate instead of a client secret: tokens from a real token endpoint on loopback that
verifies each client assertion's signature against the certificate registered for the app; a
certificate it does not know, a forged signature, an expired certificate and a file that cannot
be used each told as what it is; and email sent through Microsoft Graph with it."""

from __future__ import annotations

import asyncio
import base64
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx2
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import Certificate
from pydantic import SecretStr, ValidationError

from improveflow.config import load_settings
from improveflow.testing.mail_apis import (
    GRAPH_AUDIENCE,
    GraphServer,
    TokenEndpoint,
    Verdict,
    app_certificate,
    sample_email,
)
from improveflow.transports.base import Cause, Stage, TransportUnavailable
from improveflow.transports.certificate import ASSERTION_TYPE, ClientCertificate, thumbprint
from improveflow.transports.diagnosis import explain
from improveflow.transports.factory import TransportFactory
from improveflow.transports.oauth import ClientCredentials, TokenProvider

SCOPE = "https://graph.microsoft.com/.default"
MAILBOX = "plans@council.example"


@pytest.fixture(scope="module")
def registered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Certificate]:
    """The app's certificate and key, made once; its certificate is uploaded to the app."""
    path = tmp_path_factory.mktemp("app") / "improveflow.pem"
    return path, app_certificate(path)


@pytest.fixture
def endpoint(registered: tuple[Path, Certificate]) -> Iterator[TokenEndpoint]:
    with TokenEndpoint(certificates=[registered[1]]) as server:
        yield server


def provider(endpoint: TokenEndpoint, path: Path, password: str | None = None) -> TokenProvider:
    certificate = ClientCertificate(path, SecretStr(password) if password else None)
    credentials = ClientCredentials(endpoint.token_url, endpoint.client_id, certificate=certificate)
    return TokenProvider(credentials, SCOPE, timeout_s=5)


def refusal(tokens: TokenProvider) -> TransportUnavailable:
    with pytest.raises(TransportUnavailable) as raised:
        asyncio.run(tokens.token())
    return raised.value


def test_a_certificate_gets_a_token_with_a_signed_assertion(
    endpoint: TokenEndpoint, registered: tuple[Path, Certificate]
) -> None:
    """The endpoint verifies the assertion's signature with the registered certificate and
    issues a token; the assertion names the endpoint, the app, and lives ten minutes."""
    token = asyncio.run(provider(endpoint, registered[0]).token())

    assert endpoint.verify(token, GRAPH_AUDIENCE, "Mail.Send") is Verdict.VALID
    (claims,) = endpoint.assertions
    assert claims["aud"] == endpoint.token_url
    assert claims["iss"] == claims["sub"] == endpoint.client_id
    assert claims["exp"] - claims["iat"] == 600
    assert abs(claims["iat"] - time.time()) < 60


def test_each_renewal_signs_a_new_assertion(
    endpoint: TokenEndpoint, registered: tuple[Path, Certificate]
) -> None:
    """A token renewed is asked for with a fresh assertion (its own id), never a replayed one."""
    endpoint.lifetime_s = 2
    tokens = provider(endpoint, registered[0])

    first = asyncio.run(tokens.token())
    time.sleep(1.1)  # past half the token's life: due renewal
    second = asyncio.run(tokens.token())

    assert first != second
    assert len({claims["jti"] for claims in endpoint.assertions}) == 2


def test_a_certificate_the_app_does_not_have_is_refused(
    endpoint: TokenEndpoint, tmp_path: Path
) -> None:
    """A certificate never uploaded: AADSTS700027, explained as the certificate to upload."""
    other = tmp_path / "other.pem"
    app_certificate(other)

    refused = refusal(provider(endpoint, other))

    assert (refused.stage, refused.cause, refused.code) == (
        Stage.TOKEN,
        Cause.TOKEN_REFUSED,
        "AADSTS700027",
    )
    settings = load_settings(
        mail_transport="graph",
        oauth_tenant="council.example",
        oauth_client_id=endpoint.client_id,
        oauth_certificate_path=str(other),
    )
    explanation = explain(refused, settings)
    assert "refused the certificate" in explanation.what
    assert "Certificates & secrets" in (explanation.fix or "")


def _post_assertion(endpoint: TokenEndpoint, assertion: str) -> httpx2.Response:
    form = {
        "grant_type": "client_credentials",
        "client_id": endpoint.client_id,
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
        "scope": SCOPE,
    }
    return httpx2.post(endpoint.token_url, data=form, timeout=5)


def _claims(endpoint: TokenEndpoint, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "aud": endpoint.token_url,
        "iss": endpoint.client_id,
        "sub": endpoint.client_id,
        "jti": str(uuid.uuid4()),
        "nbf": now,
        "iat": now,
        "exp": now + 600,
    }
    return claims | changes


def test_the_endpoint_checks_the_signature_not_only_the_thumbprint(
    endpoint: TokenEndpoint, registered: tuple[Path, Certificate]
) -> None:
    """An assertion naming the registered certificate but signed with another key is refused:
    the endpoint verifies the signature."""
    x5t = base64.urlsafe_b64encode(bytes.fromhex(thumbprint(registered[1]))).rstrip(b"=")
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(_claims(endpoint), forger, algorithm="RS256", headers={"x5t": x5t.decode()})

    answer = _post_assertion(endpoint, forged)

    assert answer.status_code == 401
    assert (
        "AADSTS700027: Client assertion contains an invalid signature"
        in answer.json()["error_description"]
    )
    assert endpoint.issued == 0


def test_the_endpoint_checks_the_time_and_the_app(
    endpoint: TokenEndpoint, registered: tuple[Path, Certificate]
) -> None:
    """Signed rightly but stale (AADSTS700024), or for another app (AADSTS700021): refused."""
    path = registered[0]
    certificate = ClientCertificate(path)
    good = jwt.decode(
        certificate.assertion(endpoint.client_id, endpoint.token_url),
        options={"verify_signature": False},
    )
    assert good["aud"] == endpoint.token_url
    stale = certificate.assertion(endpoint.client_id, endpoint.token_url, now=time.time() - 3600)
    other_app = certificate.assertion("another-app", endpoint.token_url)

    assert "AADSTS700024" in _post_assertion(endpoint, stale).json()["error_description"]
    assert "AADSTS700021" in _post_assertion(endpoint, other_app).json()["error_description"]
    assert endpoint.issued == 0


def test_an_encrypted_key_needs_its_password(endpoint: TokenEndpoint, tmp_path: Path) -> None:
    """A key encrypted with a password works with it, and without it is told plainly, before
    anything is sent to the endpoint."""
    path = tmp_path / "encrypted.pem"
    certificate = app_certificate(path, password="correct horse")
    endpoint.certificates[thumbprint(certificate)] = certificate

    assert asyncio.run(provider(endpoint, path, "correct horse").token())
    missing = refusal(provider(endpoint, path))
    wrong = refusal(provider(endpoint, path, "battery staple"))

    assert missing.cause is wrong.cause is Cause.CERTIFICATE_UNUSABLE
    assert "set IMPROVEFLOW_OAUTH_CERTIFICATE_PASSWORD" in missing.reason
    assert "wrong password" in wrong.reason
    assert endpoint.requests == 1


@pytest.mark.parametrize(
    ("made", "said"),
    [
        ({"valid_for": timedelta(days=-2)}, "the certificate expired on"),
        ({"rsa_key": False}, "not an RSA key"),
    ],
    ids=["expired", "elliptic-curve"],
)
def test_a_certificate_that_cannot_sign_is_told_before_asking(
    endpoint: TokenEndpoint, tmp_path: Path, made: dict[str, Any], said: str
) -> None:
    """An expired certificate, or a key Entra ID does not take: nothing is sent, and the mail
    check explains it."""
    path = tmp_path / "app.pem"
    app_certificate(path, **made)

    refused = refusal(provider(endpoint, path))

    assert (refused.stage, refused.cause) == (Stage.TOKEN, Cause.CERTIFICATE_UNUSABLE)
    assert said in refused.reason
    assert endpoint.requests == 0
    settings = load_settings(
        mail_transport="graph",
        oauth_token_url=endpoint.token_url,
        oauth_client_id=endpoint.client_id,
        oauth_certificate_path=str(path),
    )
    assert said in explain(refused, settings).what


def test_a_file_without_a_certificate_is_told(endpoint: TokenEndpoint, tmp_path: Path) -> None:
    """A PEM file with the key alone: the certificate must be in it too."""
    path = tmp_path / "app.pem"
    app_certificate(path)
    key_only = path.read_bytes().split(b"-----BEGIN CERTIFICATE-----")[0]
    path.write_bytes(key_only)

    refused = refusal(provider(endpoint, path))

    assert refused.cause is Cause.CERTIFICATE_UNUSABLE
    assert "holds no certificate" in refused.reason


def test_a_renewed_certificate_file_is_read_again(endpoint: TokenEndpoint, tmp_path: Path) -> None:
    """The file is replaced by a new certificate (registered too): the next token is asked for
    with the new one, without a restart."""
    path = tmp_path / "app.pem"
    first = app_certificate(path)
    endpoint.certificates[thumbprint(first)] = first
    endpoint.lifetime_s = 2
    tokens = provider(endpoint, path)
    asyncio.run(tokens.token())
    second = app_certificate(path)
    endpoint.certificates = {thumbprint(second): second}

    time.sleep(1.1)  # due renewal
    asyncio.run(tokens.token())

    assert endpoint.issued == 2


def test_settings_take_a_secret_or_a_certificate(tmp_path: Path) -> None:
    """The certificate replaces the secret: both set, or a file that is not there, stop loading
    with the setting's name."""
    path = tmp_path / "app.pem"
    app_certificate(path)
    base = {"mail_transport": "graph", "oauth_tenant": "council.example", "oauth_client_id": "app"}

    settings = load_settings(**base, oauth_certificate_path=str(path))
    assert settings.oauth_certificate_path == path
    credentials = ClientCredentials.from_settings(settings)
    assert credentials.client_secret is None
    assert credentials.certificate is not None
    with pytest.raises(ValidationError, match="not both"):
        load_settings(**base, oauth_certificate_path=str(path), oauth_client_secret="s")
    with pytest.raises(ValidationError, match="IMPROVEFLOW_OAUTH_CERTIFICATE_PATH"):
        load_settings(**base, oauth_certificate_path=str(tmp_path / "missing.pem"))
    with pytest.raises(ValidationError, match="IMPROVEFLOW_OAUTH_CERTIFICATE_PATH"):
        load_settings(**base)


def test_email_goes_through_graph_with_a_certificate(
    endpoint: TokenEndpoint, registered: tuple[Path, Certificate]
) -> None:
    """Microsoft Graph with a certificate-credential token: the email arrives as built."""
    with GraphServer(endpoint, (MAILBOX,)) as graph:
        settings = load_settings(
            mail_transport="graph",
            graph_url=graph.url,
            smtp_from=MAILBOX,
            oauth_token_url=endpoint.token_url,
            oauth_client_id=endpoint.client_id,
            oauth_certificate_path=str(registered[0]),
            smtp_timeout_s=5,
        )
        email = sample_email(MAILBOX, "officer@council.example")
        transport = TransportFactory(settings)(1)

        async def send() -> None:
            await transport.open()
            try:
                await transport.send(
                    email, sender=MAILBOX, recipient="officer@council.example", reference="1"
                )
            finally:
                await transport.close()

        asyncio.run(send())
        (got,) = graph.received

    assert got.raw == email.data
    assert len(endpoint.assertions) == 1
