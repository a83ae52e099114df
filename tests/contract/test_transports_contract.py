"""The transport contract, held by SMTP with OAuth, Microsoft Graph and GOV.UK Notify alike,
each against its real loopback server: a service that is down and comes back, a temporary
refusal then delivery, a permanent refusal, and many sends at once each arriving once."""

from __future__ import annotations

import asyncio
import shutil
import ssl
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from improveflow.config import Settings, load_settings
from improveflow.models import DeliveryFault
from improveflow.testing.mail_apis import (
    GraphServer,
    NotifyServer,
    OAuthSmtpServer,
    TokenEndpoint,
    loopback_tls,
    sample_email,
)
from improveflow.transports.base import PermanentFailure, TemporaryFailure, Transport
from improveflow.transports.factory import TransportFactory

MAILBOX = "plans@council.example"


def address(n: int) -> str:
    return f"officer{n}@council.example"


@dataclass
class World:
    """One transport's settings and the levers of its loopback service."""

    settings: Settings
    stop: Callable[[], None]
    start: Callable[[], None]
    refuse_next: Callable[[str], str]  # script a permanent refusal; the address to send to
    defer_next: Callable[[str], None]  # script one temporary refusal
    delivered: Callable[[], list[str]]  # recipients, in arrival order


def smtp_world(stack: ExitStack, tls: ssl.SSLContext) -> World:
    endpoint = stack.enter_context(TokenEndpoint())
    server = stack.enter_context(OAuthSmtpServer(endpoint, tls=tls))

    def refuse(to: str) -> str:
        server.refuse(to)
        return to

    return World(
        load_settings(
            smtp_host=server.host,
            smtp_port=server.port,
            smtp_starttls=True,
            smtp_from=MAILBOX,
            smtp_auth="oauth2",
            oauth_token_url=endpoint.token_url,
            oauth_client_id=endpoint.client_id,
            oauth_client_secret=endpoint.client_secret,
            smtp_timeout_s=5,
        ),
        server.stop,
        server.start,
        refuse,
        lambda to: server.defer(to),
        lambda: [got.recipients[0] for got in server.received],
    )


def graph_world(stack: ExitStack, tls: ssl.SSLContext) -> World:
    endpoint = stack.enter_context(TokenEndpoint())
    graph = stack.enter_context(GraphServer(endpoint, (MAILBOX,)))

    def refuse(to: str) -> str:
        graph.fail_next(400, "ErrorInvalidRecipients", "At least one recipient isn't valid.")
        return to

    return World(
        load_settings(
            mail_transport="graph",
            graph_url=graph.url,
            smtp_from=MAILBOX,
            oauth_token_url=endpoint.token_url,
            oauth_client_id=endpoint.client_id,
            oauth_client_secret=endpoint.client_secret,
            smtp_timeout_s=5,
        ),
        graph.stop,
        graph.start,
        refuse,
        lambda to: graph.throttle(1, retry_after_s=1),
        lambda: [got.message["To"].addresses[0].addr_spec for got in graph.received],
    )


def notify_world(stack: ExitStack, tls: ssl.SSLContext) -> World:
    notify = stack.enter_context(NotifyServer())
    return World(
        load_settings(
            mail_transport="notify",
            notify_base_url=notify.url,
            notify_api_key=notify.key("live"),
            notify_template_id=notify.template_id,
            smtp_from=MAILBOX,
            smtp_timeout_s=5,
        ),
        notify.stop,
        notify.start,
        lambda to: "not-an-address",  # Notify refuses an address for good only if malformed
        lambda to: notify.rate_limit(1),
        lambda: [got.email_address for got in notify.received],
    )


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    return loopback_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture(params=[smtp_world, graph_world, notify_world], ids=["smtp", "graph", "notify"])
def world(
    request: pytest.FixtureRequest,
    certificate: tuple[ssl.SSLContext, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[World]:
    context, path = certificate
    monkeypatch.setenv("SSL_CERT_FILE", str(path))
    with ExitStack() as stack:
        yield request.param(stack, context)


def transport(world: World, size: int = 4) -> Transport:
    return TransportFactory(world.settings)(size)


async def send(out: Transport, to: str, n: int = 0) -> None:
    email = sample_email(MAILBOX, to if "@" in to else address(n), key=f"k{n}-{to}")
    await out.send(email, sender=MAILBOX, recipient=to, reference=str(n))


async def open_and_send(out: Transport, to: str) -> None:
    await out.open()
    try:
        await send(out, to)
    finally:
        await out.close()


def test_down_then_back_delivers_once(world: World) -> None:
    """While the service is down a send fails temporarily; once it is back, the email goes once."""
    world.stop()
    with pytest.raises(TemporaryFailure):
        asyncio.run(open_and_send(transport(world), address(1)))
    world.start()
    asyncio.run(open_and_send(transport(world), address(1)))
    assert world.delivered() == [address(1)]


def test_a_temporary_refusal_then_delivery(world: World) -> None:
    """A refusal for now is temporary; the retry is delivered, and only once."""
    world.defer_next(address(2))
    with pytest.raises(TemporaryFailure):
        asyncio.run(open_and_send(transport(world), address(2)))
    asyncio.run(open_and_send(transport(world), address(2)))
    assert world.delivered() == [address(2)]


def test_a_permanent_refusal_is_the_recipient_s(world: World) -> None:
    """A refusal for good is permanent and about that recipient; nothing is delivered."""
    to = world.refuse_next(address(3))
    with pytest.raises(PermanentFailure) as raised:
        asyncio.run(open_and_send(transport(world), to))
    assert raised.value.fault is DeliveryFault.RECIPIENT
    assert world.delivered() == []


def test_many_at_once_each_arrive_once(world: World) -> None:
    """Sends as concurrent as the transport allows: every email arrives, none twice."""
    out = transport(world, size=4)

    async def many() -> None:
        await out.open()
        try:
            await asyncio.gather(*(send(out, address(n), n) for n in range(10)))
        finally:
            await out.close()

    asyncio.run(many())
    assert sorted(world.delivered()) == sorted(address(n) for n in range(10))
