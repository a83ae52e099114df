"""GOV.UK Notify through notifications-python-client, against a real HTTP server on loopback that
checks each request's token and answers as Notify documents: the email's words fill the generic
template, the outbox id is the reference, and keys, templates and limits are told apart."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from improveflow.config import Settings, load_settings
from improveflow.testing.mail_apis import NotifyServer, sample_email
from improveflow.transports.base import (
    Cause,
    DeliveryFailure,
    PermanentFailure,
    TemporaryFailure,
    TransportUnavailable,
)
from improveflow.transports.factory import TransportFactory
from improveflow.transports.notify import NotifyTransport

MAILBOX = "plans@council.example"
TEAM = "improvement.team@council.example"
OUTSIDER = "dana@council.example"


@pytest.fixture
def notify() -> Iterator[NotifyServer]:
    with NotifyServer(team=(TEAM,)) as server:
        yield server


def notify_settings(notify: NotifyServer, key: str | None = None, **more: Any) -> Settings:
    given: dict[str, Any] = {
        "mail_transport": "notify",
        "notify_base_url": notify.url,
        "notify_api_key": key or notify.key("live"),
        "notify_template_id": notify.template_id,
        "smtp_from": MAILBOX,
        "smtp_timeout_s": 5,
    } | more
    return load_settings(**given)


def transport_for(settings: Settings, size: int = 2) -> NotifyTransport:
    transport = TransportFactory(settings)(size)
    assert isinstance(transport, NotifyTransport)
    return transport


async def send(transport: NotifyTransport, to: str, reference: str = "41") -> None:
    email = sample_email(MAILBOX, to, key=reference)
    await transport.send(email, sender=MAILBOX, recipient=to, reference=reference)


def failure_of(transport: NotifyTransport, to: str = OUTSIDER) -> DeliveryFailure:
    async def attempt() -> None:
        async with transport:
            await send(transport, to)

    with pytest.raises(DeliveryFailure) as raised:
        asyncio.run(attempt())
    return raised.value


def test_the_email_s_words_fill_the_template(notify: NotifyServer) -> None:
    """Subject and plain text as personalisation; outbox id, reply-to and one-click link sent."""
    transport = transport_for(notify_settings(notify, notify_reply_to_id=notify.reply_to_id))

    async def one() -> None:
        async with transport:
            await send(transport, OUTSIDER, reference="41")

    asyncio.run(one())

    (got,) = notify.received
    assert got.email_address == OUTSIDER
    assert got.personalisation == {
        "subject": "Your action is due on 6 March 2026",
        "body": "Dear Dana,\n\nUpdate this action:\nhttps://plans.council.example/actions/7",
    }
    assert (got.reference, got.email_reply_to_id, got.key_kind) == (
        "41",
        notify.reply_to_id,
        "live",
    )
    assert got.one_click_unsubscribe_url == "https://plans.council.example/unsubscribe?token=abc"
    assert transport.template is not None
    assert transport.template["id"] == notify.template_id


def test_several_sends_at_once_each_arrive_once(notify: NotifyServer) -> None:
    """Worker threads with a client each: ten concurrent sends, ten notifications."""
    transport = transport_for(notify_settings(notify), size=4)

    async def many() -> None:
        async with transport:
            await asyncio.gather(
                *(send(transport, f"o{n}@council.example", str(n)) for n in range(10))
            )

    asyncio.run(many())

    assert sorted(int(got.reference or "-1") for got in notify.received) == list(range(10))


def test_a_team_key_cannot_send_beyond_the_team(notify: NotifyServer) -> None:
    """A team key sends to the team; to anyone else the refusal names the key's kind."""
    transport = transport_for(notify_settings(notify, notify.key("team")))
    asyncio.run(_send_once(transport, TEAM))
    failure = failure_of(transport_for(notify_settings(notify, notify.key("team"))))
    assert isinstance(failure, TemporaryFailure)
    assert failure.cause is Cause.NOTIFY_TEAM_KEY
    assert [got.email_address for got in notify.received] == [TEAM]


async def _send_once(transport: NotifyTransport, to: str) -> None:
    async with transport:
        await send(transport, to)


def test_a_service_in_trial_mode_is_told() -> None:
    """In trial mode Notify sends only to the team, whatever the key."""
    with NotifyServer(team=(TEAM,), trial_mode=True) as notify:
        failure = failure_of(transport_for(notify_settings(notify)))
    assert failure.cause is Cause.NOTIFY_TRIAL_MODE


def test_a_key_notify_did_not_issue_stops_before_sending(notify: NotifyServer) -> None:
    """An unknown key fails on opening (the template fetch): nothing is attempted."""
    other = NotifyServer()
    stranger = other.key("live").replace(other.service_id, notify.service_id)
    failure = failure_of(transport_for(notify_settings(notify, stranger)))
    assert isinstance(failure, TransportUnavailable)
    assert (failure.cause, failure.status) == (Cause.NOTIFY_KEY_INVALID, 403)
    assert notify.received == []


def test_a_template_without_the_placeholders_stops_before_sending() -> None:
    """Without ((body)) Notify would send the template's own words: refused on opening."""
    with NotifyServer(body="Please see the improvement plan.") as notify:
        failure = failure_of(transport_for(notify_settings(notify)))
        assert isinstance(failure, TransportUnavailable)
        assert failure.cause is Cause.NOTIFY_TEMPLATE_WRONG
        assert "((body))" in failure.reason
        assert notify.received == []


def test_the_rate_limit_waits_a_minute(notify: NotifyServer) -> None:
    """RateLimitError is temporary, to be tried after Notify's rolling minute."""
    transport = transport_for(notify_settings(notify))

    async def limited() -> None:
        async with transport:
            notify.rate_limit(1)
            await send(transport, OUTSIDER)

    with pytest.raises(TemporaryFailure) as raised:
        asyncio.run(limited())
    assert (raised.value.cause, raised.value.retry_after) == (Cause.THROTTLED, 60.0)


def test_an_address_notify_refuses_is_permanent(notify: NotifyServer) -> None:
    """ValidationError for email_address: that recipient, for good."""
    transport = transport_for(notify_settings(notify))

    async def bad_address() -> None:
        async with transport:
            email = sample_email(MAILBOX, OUTSIDER)
            await transport.send(email, sender=MAILBOX, recipient="not-an-address", reference="1")

    with pytest.raises(PermanentFailure) as raised:
        asyncio.run(bad_address())
    assert raised.value.cause is Cause.RECIPIENT_REFUSED


def test_notify_down_is_unavailable(notify: NotifyServer) -> None:
    """Nothing listening at IMPROVEFLOW_NOTIFY_BASE_URL: unavailable, to be retried."""
    settings = notify_settings(notify)
    notify.stop()
    failure = failure_of(transport_for(settings))
    assert isinstance(failure, TransportUnavailable)
    assert failure.cause is Cause.UNREACHABLE
