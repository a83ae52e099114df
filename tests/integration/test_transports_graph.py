"""Microsoft Graph sendMail against a real HTTP server on loopback that answers as Graph does:
the MIME bytes arrive unchanged, at most four requests per mailbox at once, Retry-After is
carried, a refused token is replaced once, and each documented refusal is told as what it is."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from improveflow.config import Settings, load_settings
from improveflow.testing.mail_apis import GraphServer, TokenEndpoint, sample_email
from improveflow.transports.base import (
    Cause,
    DeliveryFailure,
    PermanentFailure,
    Stage,
    TemporaryFailure,
    TransportUnavailable,
)
from improveflow.transports.factory import TransportFactory
from improveflow.transports.graph import GraphTransport

MAILBOX = "plans@council.example"


def recipient(n: int) -> str:
    return f"officer{n}@council.example"


@pytest.fixture
def endpoint() -> Iterator[TokenEndpoint]:
    with TokenEndpoint() as server:
        yield server


@pytest.fixture
def graph(endpoint: TokenEndpoint) -> Iterator[GraphServer]:
    with GraphServer(endpoint, (MAILBOX,)) as server:
        yield server


def graph_settings(graph: GraphServer, endpoint: TokenEndpoint, **more: Any) -> Settings:
    given: dict[str, Any] = {
        "mail_transport": "graph",
        "graph_url": graph.url,
        "smtp_from": f"Improvement plans <{MAILBOX}>",
        "oauth_token_url": endpoint.token_url,
        "oauth_client_id": endpoint.client_id,
        "oauth_client_secret": endpoint.client_secret,
        "smtp_timeout_s": 5,
    } | more
    return load_settings(**given)


def transport_for(settings: Settings, size: int = 4) -> GraphTransport:
    transport = TransportFactory(settings)(size)
    assert isinstance(transport, GraphTransport)
    return transport


async def send(transport: GraphTransport, n: int, *, sender: str = MAILBOX) -> None:
    email = sample_email(sender, recipient(n), key=f"k{n}")
    await transport.send(email, sender=MAILBOX, recipient=recipient(n), reference=str(n))


def failure_of(transport: GraphTransport, *, sender: str = MAILBOX) -> DeliveryFailure:
    async def attempt() -> None:
        async with transport:
            await send(transport, 0, sender=sender)

    with pytest.raises(DeliveryFailure) as raised:
        asyncio.run(attempt())
    return raised.value


def test_the_mime_bytes_arrive_unchanged(endpoint: TokenEndpoint, graph: GraphServer) -> None:
    """Sent as base64 MIME, the message Graph gets is byte for byte the one improveflow built."""
    built = sample_email(MAILBOX, recipient(1), key="k1")
    transport = transport_for(graph_settings(graph, endpoint))

    async def one() -> None:
        async with transport:
            await transport.send(built, sender=MAILBOX, recipient=recipient(1), reference="1")

    asyncio.run(one())

    (got,) = graph.received
    assert got.raw == built.data
    assert got.mailbox == MAILBOX
    assert (
        got.message["List-Unsubscribe"] == "<https://plans.council.example/unsubscribe?token=abc>"
    )
    assert got.message.get_body(("html",)) is not None


def test_at_most_four_requests_per_mailbox_at_once(endpoint: TokenEndpoint) -> None:
    """Twelve sends at once, eight senders: Graph never sees more than four in flight."""
    with GraphServer(endpoint, (MAILBOX,), delay_s=0.1) as graph:
        transport = transport_for(graph_settings(graph, endpoint), size=8)

        async def many() -> None:
            async with transport:
                await asyncio.gather(*(send(transport, n) for n in range(12)))

        asyncio.run(many())

        assert transport.concurrency == 4
        assert len(graph.received) == 12
        assert graph.peak_in_flight == 4
        assert graph.statuses[429] == 0
        assert endpoint.issued == 1


def test_throttling_comes_back_with_retry_after(
    endpoint: TokenEndpoint, graph: GraphServer
) -> None:
    """A 429 is temporary and carries Graph's Retry-After; the next attempt goes through."""
    graph.throttle(times=1, retry_after_s=3)
    transport = transport_for(graph_settings(graph, endpoint))
    failure = failure_of(transport)
    assert isinstance(failure, TemporaryFailure)
    assert (failure.cause, failure.retry_after, failure.status) == (Cause.THROTTLED, 3.0, 429)

    asyncio.run(_send_once(transport))
    assert len(graph.received) == 1


async def _send_once(transport: GraphTransport) -> None:
    async with transport:
        await send(transport, 0)


def test_a_revoked_token_is_replaced_once_and_the_message_goes(
    endpoint: TokenEndpoint, graph: GraphServer
) -> None:
    """Graph says 401 for a token the provider still holds: a new one, one retry, delivered."""
    transport = transport_for(graph_settings(graph, endpoint))

    async def across_revocation() -> None:
        async with transport:
            await send(transport, 0)
            endpoint.expire_all()
            await send(transport, 1)

    asyncio.run(across_revocation())

    assert [got.message["To"].addresses[0].addr_spec for got in graph.received] == [
        recipient(0),
        recipient(1),
    ]
    assert graph.statuses[401] == 1
    assert endpoint.issued == 2


def test_a_token_expiring_during_a_run_is_renewed_without_losing_a_message() -> None:
    """Short-lived tokens: the provider renews before expiry, and every message arrives."""
    with TokenEndpoint(lifetime_s=2) as endpoint, GraphServer(endpoint, (MAILBOX,)) as graph:
        transport = transport_for(graph_settings(graph, endpoint), size=2)

        async def across_expiry() -> None:
            async with transport:
                for n in range(4):
                    await send(transport, n)
                    await asyncio.sleep(0.7)

        asyncio.run(across_expiry())

        assert len(graph.received) == 4
        assert endpoint.issued >= 2
        assert graph.statuses[401] == 0


def test_without_mail_send_graph_refuses_and_the_email_waits(endpoint: TokenEndpoint) -> None:
    """No Mail.Send permission: 403 ErrorAccessDenied, a setting for IT, so temporary."""
    endpoint.roles["https://graph.microsoft.com"] = ("User.Read.All",)
    with GraphServer(endpoint, (MAILBOX,)) as graph:
        failure = failure_of(transport_for(graph_settings(graph, endpoint)))
    assert isinstance(failure, TemporaryFailure)
    assert (failure.cause, failure.code, failure.status) == (
        Cause.PERMISSION_MISSING,
        "ErrorAccessDenied",
        403,
    )


def test_an_unknown_mailbox_and_send_as_are_told_apart(endpoint: TokenEndpoint) -> None:
    """404 ErrorInvalidUser is the mailbox; 403 ErrorSendAsDenied is a From it may not use."""
    with GraphServer(endpoint, ("someone.else@council.example",)) as graph:
        missing = failure_of(transport_for(graph_settings(graph, endpoint)))
    with GraphServer(endpoint, (MAILBOX,)) as graph:
        denied = failure_of(
            transport_for(graph_settings(graph, endpoint)), sender="ceo@council.example"
        )
    assert (missing.cause, missing.code) == (Cause.MAILBOX_NOT_FOUND, "ErrorInvalidUser")
    assert (denied.cause, denied.code) == (Cause.SEND_AS_DENIED, "ErrorSendAsDenied")


def test_a_refused_recipient_is_permanent(endpoint: TokenEndpoint, graph: GraphServer) -> None:
    """Graph's ErrorInvalidRecipients concerns that address: recorded, not retried."""
    graph.fail_next(400, "ErrorInvalidRecipients", "At least one recipient isn't valid.")
    failure = failure_of(transport_for(graph_settings(graph, endpoint)))
    assert isinstance(failure, PermanentFailure)
    assert failure.cause is Cause.RECIPIENT_REFUSED


def test_graph_down_is_unavailable(endpoint: TokenEndpoint) -> None:
    """Nothing listening at IMPROVEFLOW_GRAPH_URL: unavailable, to be retried."""
    with GraphServer(endpoint) as graph:
        settings = graph_settings(graph, endpoint)
    failure = failure_of(transport_for(settings))
    assert isinstance(failure, TransportUnavailable)
    assert (failure.cause, failure.stage) == (Cause.UNREACHABLE, Stage.CONNECT)
