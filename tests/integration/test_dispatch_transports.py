"""The outbox's promises held by every transport: SMTP, SMTP with OAuth, Microsoft Graph and
GOV.UK Notify, each against its real loopback service, on SQLite and PostgreSQL. A service down
then back, a temporary refusal, a throttle, a permanent refusal, two workers at once, a run
killed mid-dispatch and a three-hour outage each end with every email that matters delivered
once; an OAuth token that expires or is revoked mid-run loses no message."""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import pytest
from mail_ticks import SECRET, Dispatcher
from sqlmodel import select

from improveflow.calendar import LONDON
from improveflow.clock import FrozenClock
from improveflow.config import Settings
from improveflow.models import DeliveryFault, Outbox, OutboxStatus
from improveflow.notify.dispatch import LEASE, DispatchReport, MessageFactory
from improveflow.notify.message import SMTP_POLICY, OutgoingEmail
from improveflow.services import sweep
from improveflow.services.context import Context
from improveflow.services.delivery import dispatch_due
from improveflow.stores import outbox
from improveflow.stores.outbox import OutboxRow
from improveflow.testing import DEFAULT_MOMENT, add_owners_with_actions, make_context
from improveflow.testing.mail_apis import KINDS, MailService, mail_service
from improveflow.testing.mail_apis.services import Kind

NOW = DEFAULT_MOMENT
MAILBOX = "plans@council.example"


@pytest.fixture(scope="module")
def tls_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the loopback certificate is made once for the module's SMTP-with-OAuth servers."""
    return tmp_path_factory.mktemp("tls")


@contextmanager
def running(kind: Kind, folder: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MailService]:
    """A service of `kind`, its certificate trusted by this process and its children."""
    with mail_service(kind, folder, mailbox=MAILBOX) as service:
        if service.trusted is not None:
            monkeypatch.setenv("SSL_CERT_FILE", str(service.trusted))
        yield service


@pytest.fixture(params=KINDS)
def service(
    request: pytest.FixtureRequest, tls_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MailService]:
    """Each transport's loopback service in turn."""
    with running(request.param, tls_folder, monkeypatch) as started:
        yield started


@pytest.fixture(params=["smtp-oauth", "graph"])
def oauth_service(
    request: pytest.FixtureRequest, tls_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MailService]:
    """The services reached with an OAuth token."""
    with running(request.param, tls_folder, monkeypatch) as started:
        yield started


def settings_for(base: Settings, service: MailService, **more: Any) -> Settings:
    """`base` pointed at `service`, validated as if read from the environment."""
    given = base.model_dump() | service.settings | {"smtp_timeout_s": 5.0, "smtp_pool_size": 4}
    return Settings.model_validate(given | more)


def on(ctx: Context, service: MailService, **more: Any) -> Context:
    """`ctx` sending through `service`, with transports of its own."""
    return Context(
        settings=settings_for(ctx.settings, service, **more),
        database=ctx.database,
        workflows=ctx.workflows,
        clock=ctx.clock,
    )


def address(number: int) -> str:
    return f"owner{number}@council.example"


def simple_message(row: OutboxRow) -> OutgoingEmail:
    """Text and HTML from the sending mailbox, standing in for the renderer."""
    message = EmailMessage()
    message["From"] = MAILBOX
    message["To"] = row.recipient_email
    message["Subject"] = f"Reminder: {row.context['action']}"
    message["Message-ID"] = make_msgid(domain="council.example")
    message.set_content(f"Dear {row.recipient_name},\n\n{row.context['action']} is due soon.\n")
    message.add_alternative(f"<p>Dear {row.recipient_name},</p>", subtype="html")
    return OutgoingEmail(str(message["Message-ID"]), message.as_bytes(policy=SMTP_POLICY))


def enqueue(ctx: Context, count: int) -> list[int]:
    ids = []
    with ctx.database.writing() as session:
        for number in range(count):
            row_id = outbox.enqueue(
                session,
                key=f"reminder:{number}",
                template="reminder",
                recipient_email=address(number),
                recipient_name=f"Owner {number}",
                person_id=None,
                context={"action": f"Action {number}"},
                due_at=NOW,
                now=NOW,
            )
            assert row_id is not None
            ids.append(row_id)
    return ids


def run(
    ctx: Context, at: timedelta = timedelta(), factory: MessageFactory = simple_message, **more: Any
) -> DispatchReport:
    return asyncio.run(dispatch_due(ctx, now=NOW + at, factory=factory, jitter=False, **more))


def rows(ctx: Context) -> dict[int, Outbox]:
    with ctx.database.reading() as session:
        found = {row.id: row for row in session.exec(select(Outbox)).all() if row.id}
        session.expunge_all()
    return found


def once_each(count: int) -> Counter[str]:
    return Counter({address(n): 1 for n in range(count)})


# Delivery and faults ----------------------------------------------------------------------------


def test_due_emails_arrive_once_and_are_marked_sent(ctx: Context, service: MailService) -> None:
    """Every due row reaches the service once and is marked sent with its Message-ID."""
    mail = on(ctx, service)
    ids = enqueue(mail, 6)

    report = run(mail)

    assert (report.sent, report.retried, report.failed) == (6, 0, 0)
    assert Counter(service.recipients()) == once_each(6)
    stored = rows(mail)
    assert {stored[row_id].status for row_id in ids} == {OutboxStatus.SENT}
    assert all((stored[row_id].message_id or "").startswith("<") for row_id in ids)


def test_service_down_then_back_delivers_everything_once(
    ctx: Context, service: MailService
) -> None:
    """While the service is down every row waits a minute (one attempt, the server's fault);
    once it is back each email arrives once."""
    mail = on(ctx, service)
    ids = enqueue(mail, 5)
    service.stop()

    down = run(mail)

    assert (down.sent, down.retried, down.failed) == (0, 5, 0)
    for row in rows(mail).values():
        assert (row.status, row.attempts, row.fault) == (OutboxStatus.QUEUED, 1, "server")
        assert (row.next_attempt_at, row.lease_until) == (NOW + timedelta(minutes=1), None)
        assert row.last_error
    service.start()
    assert run(mail, timedelta(seconds=30)).sent == 0  # still waiting
    back = run(mail, timedelta(minutes=1))

    assert back.sent == 5
    assert Counter(service.recipients()) == once_each(5)
    assert {rows(mail)[row_id].status for row_id in ids} == {OutboxStatus.SENT}


def test_a_put_off_email_waits_as_asked_then_goes(ctx: Context, service: MailService) -> None:
    """A temporary refusal (SMTP 451, Graph 503 with Retry-After, Notify 500) puts that row off
    for the backoff or the service's wait, whichever is longer; the others go at once."""
    mail = on(ctx, service)
    ids = enqueue(mail, 4)
    service.put_off(address(0))

    first = run(mail)

    assert (first.sent, first.retried, first.failed) == (3, 1, 0)
    waited = rows(mail)[ids[0]]
    wait = max(timedelta(minutes=1), service.put_off_wait)
    assert (waited.status, waited.attempts, waited.next_attempt_at) == (
        OutboxStatus.QUEUED,
        1,
        NOW + wait,
    )
    assert run(mail, wait - timedelta(seconds=1)).sent == 0
    assert run(mail, wait).sent == 1
    assert Counter(service.recipients()) == once_each(4)
    assert rows(mail)[ids[0]].attempts == 2


@pytest.mark.parametrize("kind", ["graph", "notify"])
def test_a_throttle_holds_the_rest_of_the_run_as_asked(
    ctx: Context, kind: Kind, tls_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 429 is the service's word on the mailbox, not on one recipient: the run stops sending,
    and what it held waits for Retry-After (Graph) or Notify's minute, then goes once."""
    with running(kind, tls_folder, monkeypatch) as service:
        mail = on(ctx, service)
        total = 40
        enqueue(mail, total)
        if kind == "graph":
            service.levers["graph"].throttle(1, retry_after_s=150)
            wait = timedelta(seconds=150)
        else:
            service.levers["notify"].rate_limit(1)
            wait = timedelta(seconds=60)

        first = run(mail)

        assert first.sent + first.retried == total
        assert first.retried >= total // 2  # halted, not refused one by one
        waiting = [row for row in rows(mail).values() if row.status == OutboxStatus.QUEUED]
        assert {row.next_attempt_at for row in waiting} == {NOW + wait}
        assert all("429" in (row.last_error or "") for row in waiting)
        assert run(mail, wait - timedelta(seconds=1)).sent == 0
        assert run(mail, wait).sent == first.retried
        assert Counter(service.recipients()) == once_each(total)


def test_a_refused_recipient_fails_visibly_and_the_rest_go(
    ctx: Context, service: MailService
) -> None:
    """A refusal for good fails that row at once, the recipient's fault, with the reason."""
    mail = on(ctx, service)
    ids = enqueue(mail, 4)
    service.refuse(address(1))

    report = run(mail)

    assert (report.sent, report.retried, report.failed) == (3, 0, 1)
    refused = rows(mail)[ids[1]]
    assert (refused.status, refused.fault, refused.attempts) == (
        OutboxStatus.FAILED,
        DeliveryFault.RECIPIENT,
        1,
    )
    assert refused.last_error
    assert sorted(service.recipients()) == [address(n) for n in (0, 2, 3)]
    assert run(mail, timedelta(hours=1)).sent == 0  # failed is final


def test_two_workers_send_each_email_once(ctx: Context, service: MailService) -> None:
    """Two workers at once, minute after minute, share the emails out: every one arrives once
    (on Graph, eight requests at once exceed its four per mailbox, and what is throttled waits)."""
    total = 40
    enqueue(on(ctx, service), total)
    workers = [on(ctx, service), on(ctx, service)]
    reports: list[DispatchReport] = []

    def work(mail: Context, at: timedelta, barrier: threading.Barrier) -> None:
        barrier.wait(timeout=30)
        reports.append(run(mail, at, limit=25))

    for minute in range(4):
        barrier = threading.Barrier(2)
        at = timedelta(minutes=minute)
        threads = [threading.Thread(target=work, args=(mail, at, barrier)) for mail in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        if {row.status for row in rows(workers[0]).values()} == {OutboxStatus.SENT}:
            break

    assert sum(report.sent for report in reports) == total
    assert Counter(service.recipients()) == once_each(total)


def _dispatch_in_child(url: str, settings: dict[str, Any]) -> None:
    """The doomed worker: a whole dispatch run in its own process."""
    context = make_context(url, migrate=False)
    mail = Context(
        settings=Settings.model_validate(context.settings.model_dump() | settings),
        database=context.database,
        workflows=context.workflows,
        clock=context.clock,
    )
    run(mail)


def test_a_run_killed_mid_dispatch_loses_nothing(ctx: Context, service: MailService) -> None:
    """SIGKILL mid-run, then a run after the lease: every email arrives, and only those in
    flight (at most one per sender) twice."""
    total = 200
    mail = on(ctx, service, smtp_timeout_s=120.0)
    enqueue(mail, total)
    # The last email is held, so the run cannot have finished when it is killed.
    service.stall(address(total - 1), 60.0)
    child = multiprocessing.get_context("spawn").Process(
        target=_dispatch_in_child,
        args=(mail.database.url, service.settings | {"smtp_pool_size": 4, "smtp_timeout_s": 120.0}),
    )
    child.start()
    # Woken by each arrival; a child that died early is caught just below.
    service.wait_until(lambda: len(service.recipients()) >= 40, 120.0)
    assert child.is_alive(), f"the run stopped by itself (exit code {child.exitcode})"
    child.kill()
    child.join(timeout=10)
    service.stall(address(total - 1), 0.0)
    delivered_before = len(service.recipients())
    assert delivered_before < total

    assert run(mail, timedelta(seconds=30)).sent == 0  # the dead run's lease still holds
    after = run(mail, LEASE + timedelta(seconds=1))

    got = Counter(service.recipients())
    assert set(got) == {address(n) for n in range(total)}
    assert sum(got.values()) - total <= 4  # only what was in flight on its 4 senders
    assert after.sent >= total - delivered_before - 4
    assert {row.status for row in rows(mail).values()} == {OutboxStatus.SENT}


# OAuth tokens -----------------------------------------------------------------------------------


def test_a_token_that_expires_mid_run_is_renewed_without_losing_a_message(
    ctx: Context, oauth_service: MailService
) -> None:
    """Tokens that live two seconds, a run that lasts at least three (30 emails each held 0.2 s
    by the server, two at a time): a new token is fetched before the old one lapses (an SMTP
    session whose token lapsed is ended by the server and opened again with the new one), and
    every email goes once, none retried."""
    service = oauth_service
    assert service.tokens is not None
    service.tokens.lifetime_s = 2
    mail = on(ctx, service, smtp_pool_size=2)
    total = 30
    enqueue(mail, total)
    for number in range(total):
        service.stall(address(number), 0.2)

    report = run(mail)

    assert (report.sent, report.retried, report.failed) == (total, 0, 0)
    assert Counter(service.recipients()) == once_each(total)
    assert service.tokens.issued >= 2
    if service.kind == "smtp-oauth":
        assert service.levers["smtp"].sessions_ended >= 1  # an expired session, reopened


def test_a_revoked_token_is_replaced_without_losing_a_message(
    ctx: Context, oauth_service: MailService
) -> None:
    """Every token revoked mid-run: Graph's 401 is answered with a new token at once; an SMTP
    login refused with the old token stops the run, and the next, with a new token, sends the
    rest. Each email arrives once."""
    service = oauth_service
    tokens = service.tokens
    assert tokens is not None
    mail = on(ctx, service, smtp_pool_size=2)
    total = 20
    enqueue(mail, total)
    built = 0

    def revoking(row: OutboxRow) -> OutgoingEmail:
        nonlocal built
        built += 1
        if built == 8:
            tokens.expire_all()
        return simple_message(row)

    first = run(mail, factory=revoking)
    second = run(mail, timedelta(minutes=1))

    assert first.failed == second.failed == 0
    assert first.sent + second.sent == total
    assert Counter(service.recipients()) == once_each(total)
    assert tokens.issued == 2
    if service.kind == "graph":
        assert first.sent == total
        assert 1 <= service.levers["graph"].statuses[401] <= 2  # those in flight, on 2 senders


def test_the_sign_in_service_down_then_back(ctx: Context, oauth_service: MailService) -> None:
    """With the token endpoint unreachable nothing can go: every row waits, saying why; once it
    answers, each email arrives once."""
    service = oauth_service
    assert service.tokens is not None
    mail = on(ctx, service)
    enqueue(mail, 3)
    service.tokens.stop()

    down = run(mail)

    assert (down.sent, down.retried) == (0, 3)
    assert all("access token" in (row.last_error or "") for row in rows(mail).values())
    service.tokens.start()
    assert run(mail, timedelta(minutes=1)).sent == 3
    assert Counter(service.recipients()) == once_each(3)


# A long outage, through the scheduler's ticks ---------------------------------------------------

START = datetime(2026, 3, 2, 9, 0, tzinfo=LONDON)  # a Monday morning


@pytest.mark.parametrize("kind", ["smtp-oauth", "graph", "notify"])
def test_a_three_hour_outage_then_recovery_delivers_every_email_once(
    ctx: Context, kind: Kind, tls_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Thirty reminders due while the service is down for three hours wait, are tried again and
    again, and go once within half an hour of its return; the context's one token serves every
    run."""
    clock = ctx.clock
    assert isinstance(clock, FrozenClock)
    clock.set(START)
    with running(kind, tls_folder, monkeypatch) as service:
        mail = on(ctx, service, secret_key=SECRET, base_url="https://plans.council.example")
        owners = 30
        heard = START.astimezone(UTC) - timedelta(days=2)
        add_owners_with_actions(mail, owners, target=date(2026, 3, 9), heard_from=heard)
        dispatcher = Dispatcher(mail)
        service.stop()
        assert sweep.sweep(mail, now=START).emails_queued == owners
        dispatcher.run_until(START + timedelta(hours=3))
        assert dispatcher.sent == 0
        waiting = list(rows(mail).values())
        assert {row.status for row in waiting} == {OutboxStatus.QUEUED}
        assert min(row.attempts for row in waiting) >= 7  # tried all along, not given up
        service.start()

        dispatcher.run_until(START + timedelta(hours=3, minutes=30))

        assert Counter(service.recipients()) == Counter(
            {f"owner{n}@council.example": 1 for n in range(owners)}
        )
        assert {row.status for row in rows(mail).values()} == {OutboxStatus.SENT}
        if service.tokens is not None:
            assert service.tokens.issued == 1
