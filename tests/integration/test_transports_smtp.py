"""SMTP with OAuth (XOAUTH2) against a real aiosmtpd server that accepts only tokens a real
token endpoint issued; and Exchange Online's refusals, each told as the failure it is."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from improveflow.config import Settings, load_settings
from improveflow.testing.mail_apis import OAuthSmtpServer, TokenEndpoint, loopback_tls, sample_email
from improveflow.testing.smtp import free_port
from improveflow.transports.base import (
    Cause,
    DeliveryFailure,
    PermanentFailure,
    Stage,
    TemporaryFailure,
    TransportUnavailable,
)
from improveflow.transports.factory import TransportFactory
from improveflow.transports.smtp import SmtpTransport

MAILBOX = "plans@council.example"


def recipient(n: int) -> str:
    return f"officer{n}@council.example"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, Path]:
    """A self-signed certificate for 127.0.0.1, made once (the openssl command is needed)."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    return loopback_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def tls(
    certificate: tuple[ssl.SSLContext, Path], monkeypatch: pytest.MonkeyPatch
) -> ssl.SSLContext:
    """The server's TLS context; clients in this process trust its certificate."""
    context, path = certificate
    monkeypatch.setenv("SSL_CERT_FILE", str(path))
    return context


@pytest.fixture
def endpoint() -> Iterator[TokenEndpoint]:
    with TokenEndpoint() as server:
        yield server


@pytest.fixture
def exchange(endpoint: TokenEndpoint, tls: ssl.SSLContext) -> Iterator[OAuthSmtpServer]:
    with OAuthSmtpServer(endpoint, tls=tls) as server:
        yield server


def oauth_settings(server: OAuthSmtpServer, endpoint: TokenEndpoint, **more: Any) -> Settings:
    given: dict[str, Any] = {
        "smtp_host": server.host,
        "smtp_port": server.port,
        "smtp_from": f"Improvement plans <{MAILBOX}>",
        "smtp_auth": "oauth2",
        "oauth_token_url": endpoint.token_url,
        "oauth_client_id": endpoint.client_id,
        "oauth_client_secret": endpoint.client_secret,
        "smtp_starttls": True,
        "smtp_timeout_s": 5,
    } | more
    return load_settings(**given)


async def send_each(transport: SmtpTransport, count: int, start: int = 0) -> None:
    async with transport:
        await asyncio.gather(
            *(
                transport.send(
                    sample_email(MAILBOX, recipient(n), key=f"k{n}"),
                    sender=MAILBOX,
                    recipient=recipient(n),
                    reference=str(n),
                )
                for n in range(start, start + count)
            )
        )


def smtp_transport(settings: Settings, size: int = 4) -> SmtpTransport:
    transport = TransportFactory(settings)(size)
    assert isinstance(transport, SmtpTransport)
    return transport


def failure_of(transport: SmtpTransport, to: str = "dana@council.example") -> DeliveryFailure:
    async def attempt() -> None:
        async with transport:
            await transport.send(
                sample_email(MAILBOX, to), sender=MAILBOX, recipient=to, reference="1"
            )

    with pytest.raises(DeliveryFailure) as raised:
        asyncio.run(attempt())
    return raised.value


def test_xoauth2_over_starttls_delivers_with_one_token(
    endpoint: TokenEndpoint, exchange: OAuthSmtpServer
) -> None:
    """As with Exchange Online: STARTTLS, AUTH XOAUTH2 as the mailbox; one token for all mail."""
    transport = smtp_transport(oauth_settings(exchange, endpoint))

    asyncio.run(send_each(transport, 12))

    assert sorted(got.recipients[0] for got in exchange.received) == sorted(
        recipient(n) for n in range(12)
    )
    assert {(got.tls, got.login) for got in exchange.received} == {(True, MAILBOX)}
    assert endpoint.issued == 1
    assert transport.connections_opened == 4


def test_a_token_that_expires_during_a_run_is_renewed_and_nothing_is_lost(
    tls: ssl.SSLContext,
) -> None:
    """The server ends a session whose token expired; the pool logs in again with a new one."""
    with TokenEndpoint(lifetime_s=2) as endpoint, OAuthSmtpServer(endpoint, tls=tls) as server:
        transport = smtp_transport(oauth_settings(server, endpoint), size=1)

        async def across_expiry() -> None:
            async with transport:
                for n in range(3):
                    email = sample_email(MAILBOX, recipient(n), key=f"k{n}")
                    await transport.send(
                        email, sender=MAILBOX, recipient=recipient(n), reference="r"
                    )
                    await asyncio.sleep(1.1)  # the third message goes after the first token died

        asyncio.run(across_expiry())

        assert [got.recipients[0] for got in server.received] == [recipient(n) for n in range(3)]
        # The server ended the stale session; the pool reconnected, and logged in afresh.
        assert server.sessions_ended >= 1
        assert transport.connections_opened == server.sessions_ended + 1
        assert endpoint.issued == 2


def test_a_token_for_another_service_is_refused(
    endpoint: TokenEndpoint, exchange: OAuthSmtpServer
) -> None:
    """A Graph-scoped token is not an Exchange SMTP token: 535 5.7.3, nothing can be sent."""
    settings = oauth_settings(
        exchange, endpoint, oauth_scope="https://graph.microsoft.com/.default"
    )
    failure = failure_of(smtp_transport(settings))
    assert isinstance(failure, TransportUnavailable)
    assert (failure.cause, failure.stage, failure.code) == (
        Cause.LOGIN_REFUSED,
        Stage.AUTHENTICATE,
        "5.7.3",
    )
    assert exchange.count == 0


def test_the_token_must_carry_smtp_sendasapp(endpoint: TokenEndpoint, tls: ssl.SSLContext) -> None:
    """An app without the SMTP.SendAsApp permission gets a token Exchange will not take."""
    endpoint.roles["https://outlook.office365.com"] = ()
    with OAuthSmtpServer(endpoint, tls=tls) as server:
        failure = failure_of(smtp_transport(oauth_settings(server, endpoint)))
    assert failure.cause is Cause.LOGIN_REFUSED


def test_basic_authentication_disabled_is_recognised(
    endpoint: TokenEndpoint, exchange: OAuthSmtpServer
) -> None:
    """A password login to a tenant without basic authentication: 535 5.7.139, wait for IT."""
    exchange.credentials = ("plans@council.example", "s3cret")
    exchange.basic_auth_disabled = True
    exchange.stop()
    exchange.start()
    settings = load_settings(
        smtp_host=exchange.host,
        smtp_port=exchange.port,
        smtp_starttls=True,
        smtp_from=MAILBOX,
        smtp_username=MAILBOX,
        smtp_password="s3cret",
    )
    failure = failure_of(smtp_transport(settings))
    assert isinstance(failure, TransportUnavailable)
    assert (failure.cause, failure.code) == (Cause.BASIC_AUTH_DISABLED, "5.7.139")


def test_smtp_auth_disabled_for_the_tenant_with_oauth(
    endpoint: TokenEndpoint, exchange: OAuthSmtpServer
) -> None:
    """With a good token, 5.7.139 means SMTP AUTH itself is switched off."""
    exchange.auth_refusal = (
        "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the "
        "Tenant."
    )
    failure = failure_of(smtp_transport(oauth_settings(exchange, endpoint)))
    assert failure.cause is Cause.SMTP_AUTH_DISABLED


def test_send_as_denied_waits_rather_than_failing_the_email(
    endpoint: TokenEndpoint, exchange: OAuthSmtpServer
) -> None:
    """Logged in as one mailbox, sending as another: 550 5.7.60 is the settings' problem."""
    exchange.deny_send_as = True
    settings = oauth_settings(exchange, endpoint, smtp_username="robot@council.example")
    failure = failure_of(smtp_transport(settings))
    assert isinstance(failure, TemporaryFailure)
    assert (failure.cause, failure.code) == (Cause.SEND_AS_DENIED, "5.7.60")


def test_recipient_refusals_keep_their_meaning(
    endpoint: TokenEndpoint, exchange: OAuthSmtpServer
) -> None:
    """A 550 for a recipient is permanent; a 451 "server busy" is throttling, temporary."""
    exchange.refuse("gone@council.example")
    exchange.defer("busy@council.example", reply="451 4.7.500 Server busy, please try again later")
    settings = oauth_settings(exchange, endpoint)
    gone = failure_of(smtp_transport(settings), "gone@council.example")
    busy = failure_of(smtp_transport(settings), "busy@council.example")
    assert isinstance(gone, PermanentFailure)
    assert gone.cause is Cause.RECIPIENT_REFUSED
    assert isinstance(busy, TemporaryFailure)
    assert busy.cause is Cause.THROTTLED


def test_a_server_that_is_down_is_unavailable() -> None:
    """Nothing listening: unavailable, reachable later; no token is wasted on the attempt."""
    with TokenEndpoint() as endpoint:
        settings = load_settings(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_from=MAILBOX)
        started = time.monotonic()
        failure = failure_of(smtp_transport(settings))
        assert isinstance(failure, TransportUnavailable)
        assert failure.cause is Cause.UNREACHABLE
        assert time.monotonic() - started < 5
        assert endpoint.issued == 0


def test_a_down_token_endpoint_makes_smtp_unavailable(exchange: OAuthSmtpServer) -> None:
    """No token, no login: the token's failure is the one reported."""
    with TokenEndpoint() as endpoint:
        settings = oauth_settings(exchange, endpoint)
    failure = failure_of(smtp_transport(settings))
    assert isinstance(failure, TransportUnavailable)
    assert (failure.stage, failure.cause) == (Stage.TOKEN, Cause.UNREACHABLE)
