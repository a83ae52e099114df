"""The reply listener on a real socket: SMTP and LMTP clients hand it messages; a handler
that fails is answered 451 (try again later); an oversized message is refused with 552."""

from __future__ import annotations

import asyncio
import smtplib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from improveflow.inbound.listener import serve
from improveflow.testing.smtp import LOOPBACK

MESSAGE = b"From: owen@council.example\r\nTo: improvement+x@council.example\r\n\r\nNews\r\n"


@contextmanager
def listening(
    handle: Callable[[bytes, str, tuple[str, ...]], object], *, lmtp: bool = False
) -> Iterator[int]:
    """The listener in a thread of its own on a free port; yields the port."""
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    bound: list[int] = []
    ready = threading.Event()

    def started(_: str, port: int) -> None:
        bound.append(port)
        ready.set()

    async def run() -> None:
        await serve(
            handle, host=LOOPBACK, port=0, lmtp=lmtp, max_bytes=100_000, started=started, stop=stop
        )

    thread = threading.Thread(target=loop.run_until_complete, args=(run(),), daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        yield bound[0]
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()


def test_smtp_hands_over_the_message_with_its_envelope() -> None:
    """The bytes, the envelope sender and the recipients reach the handler; 250 follows."""
    got: list[tuple[bytes, str, tuple[str, ...]]] = []
    with listening(lambda *args: got.append(args)) as port, smtplib.SMTP(LOOPBACK, port) as client:
        refused = client.sendmail(
            "owen@council.example", ["improvement+x@council.example"], MESSAGE
        )
    assert refused == {}
    [(data, sender, recipients)] = got
    assert b"News" in data
    assert (sender, recipients) == ("owen@council.example", ("improvement+x@council.example",))


def test_lmtp_answers_once_for_each_recipient() -> None:
    """A local mail server speaking LMTP gets a status for every recipient."""
    got: list[object] = []
    to = ["improvement+a@council.example", "improvement+b@council.example"]
    with listening(lambda *args: got.append(args), lmtp=True) as port:
        client = smtplib.LMTP(LOOPBACK, port)
        try:
            assert client.sendmail("owen@council.example", to, MESSAGE) == {}
        finally:
            client.quit()
    assert len(got) == 1


def test_a_bounce_keeps_its_null_sender() -> None:
    """MAIL FROM:<> reaches the handler as an empty sender, which marks a bounce."""
    got: list[str] = []
    with (
        listening(lambda _, sender, __: got.append(sender)) as port,
        smtplib.SMTP(LOOPBACK, port) as client,
    ):
        client.sendmail("<>", ["improvement+x@council.example"], MESSAGE)
    assert got == [""]


def test_a_failing_handler_asks_the_sender_to_try_again() -> None:
    """The database down: 451, so the sending server keeps the message and retries."""

    def broken(*_: object) -> None:
        raise RuntimeError("database unreachable")

    with (
        listening(broken) as port,
        smtplib.SMTP(LOOPBACK, port) as client,
        pytest.raises(smtplib.SMTPDataError) as refused,
    ):
        client.sendmail("owen@council.example", ["improvement+x@council.example"], MESSAGE)
    assert refused.value.smtp_code == 451


def test_an_oversized_message_is_refused_and_not_handled() -> None:
    """Over the limit: 552 during the exchange; the handler never sees it."""
    got: list[object] = []
    big = MESSAGE + b"x" * 200_000 + b"\r\n"
    with (
        listening(lambda *args: got.append(args)) as port,
        smtplib.SMTP(LOOPBACK, port) as client,
        pytest.raises(smtplib.SMTPException) as refused,
    ):
        client.sendmail("owen@council.example", ["improvement+x@council.example"], big)
    assert "552" in str(refused.value)
    assert got == []
