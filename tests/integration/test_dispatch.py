"""Sending the outbox over real SMTP to a loopback aiosmtpd server: delivery, faults, limits,
and the claims and marks that keep every email to one delivery."""

from __future__ import annotations

import asyncio
import multiprocessing
import re
import shutil
import ssl
import subprocess
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import aiosmtplib
import pytest
import sqlalchemy as sa
from sqlmodel import select

from improveflow.links import LinkSigner
from improveflow.models import DeliveryFault, Outbox, OutboxStatus
from improveflow.notify.dispatch import LEASE, DispatchReport, MessageFactory
from improveflow.notify.message import SMTP_POLICY, OutgoingEmail
from improveflow.notify.smtp_pool import SmtpPool
from improveflow.services import delivery
from improveflow.services.context import Context
from improveflow.services.delivery import dispatch_due, send_due
from improveflow.stores import outbox, people
from improveflow.stores.outbox import OutboxRow
from improveflow.testing import DEFAULT_MOMENT, add_sample_people, make_context
from improveflow.testing.smtp import LOOPBACK, CapturingSmtpServer

NOW = DEFAULT_MOMENT
SENDER = "improveflow@council.example"
SECRET = "a-test-secret-that-is-long-enough"
REMINDER_ITEM = {
    "action_id": 7,
    "description": "Extend medium term financial strategy",
    "plan": "Peer Challenge Improvement Plan",
    "theme": "Financial Planning and Viability",
    "objective": "Revisit financial assumptions",
    "target_date": "2015-02-28",
    "working_days_left": 5,
    "state": "in_progress",
    "rag": "amber",
    "latest_progress": "Draft with CMT for comment",
    "latest_progress_at": "2015-02-02",
}


def simple_message(row: OutboxRow) -> OutgoingEmail:
    """A plain text + HTML message straight from the row, standing in for the renderer."""
    message = EmailMessage()
    message["From"] = SENDER
    message["To"] = row.recipient_email
    message["Subject"] = f"Reminder: {row.context['action']}"
    message["Message-ID"] = make_msgid(domain="council.example")
    message.set_content(f"Dear {row.recipient_name},\n\n{row.context['action']} is due soon.\n")
    message.add_alternative(f"<p>Dear {row.recipient_name},</p>", subtype="html")
    return OutgoingEmail(str(message["Message-ID"]), message.as_bytes(policy=SMTP_POLICY))


@pytest.fixture
def smtp() -> Iterator[CapturingSmtpServer]:
    with CapturingSmtpServer() as server:
        yield server


@pytest.fixture
def mail(ctx: Context, smtp: CapturingSmtpServer) -> Context:
    """The test context with its settings pointed at the loopback server."""
    return with_settings(ctx, smtp, smtp_pool_size=4)


def with_settings(ctx: Context, smtp: CapturingSmtpServer, **changes: object) -> Context:
    settings = ctx.settings.model_copy(
        update={
            "smtp_host": smtp.host,
            "smtp_port": smtp.port,
            "smtp_from": SENDER,
            "smtp_timeout_s": 5.0,
            **changes,
        }
    )
    return Context(
        settings=settings, database=ctx.database, workflows=ctx.workflows, clock=ctx.clock
    )


def address(number: int) -> str:
    return f"owner{number}@council.example"


def enqueue(ctx: Context, count: int, *, start: int = 0, due: timedelta = timedelta()) -> list[int]:
    ids = []
    with ctx.database.writing() as session:
        for number in range(start, start + count):
            row_id = outbox.enqueue(
                session,
                key=f"reminder:{number}",
                template="reminder",
                recipient_email=address(number),
                recipient_name=f"Owner {number}",
                person_id=None,
                context={"action": f"Action {number}"},
                due_at=NOW + due,
                now=NOW,
            )
            assert row_id is not None
            ids.append(row_id)
    return ids


def run(
    ctx: Context,
    at: timedelta = timedelta(),
    factory: MessageFactory = simple_message,
    limit: int = 500,
) -> DispatchReport:
    return asyncio.run(dispatch_due(ctx, now=NOW + at, factory=factory, limit=limit, jitter=False))


def claim(ctx: Context, at: datetime, limit: int) -> list[OutboxRow]:
    """Claim as another worker would, in a transaction of its own."""
    with ctx.database.writing() as session:
        return outbox.claim_due(session.connection(), at, limit, LEASE)


def rows(ctx: Context) -> dict[int, Outbox]:
    with ctx.database.reading() as session:
        found = {row.id: row for row in session.exec(select(Outbox)).all() if row.id}
        session.expunge_all()  # keep the loaded values once the unit of work ends
    return found


def row_for(number: int) -> OutboxRow:
    return OutboxRow(
        id=number,
        idempotency_key=f"reminder:{number}",
        template="reminder",
        recipient_email=address(number),
        recipient_name=f"Owner {number}",
        person_id=None,
        context={"action": f"Action {number}"},
        attempts=0,
        due_at=NOW,
    )


def part(message: EmailMessage, subtype: str) -> str:
    body = message.get_body(preferencelist=(subtype,))
    assert body is not None
    assert body.get_content_subtype() == subtype
    return str(body.get_content())


def copies(smtp: CapturingSmtpServer) -> Counter[str]:
    return Counter(recipient for got in smtp.received for recipient in got.recipients)


# Delivery ---------------------------------------------------------------------------------------


def test_due_rows_arrive_and_are_marked_sent(mail: Context, smtp: CapturingSmtpServer) -> None:
    """Due rows reach the server as text + HTML and are marked sent; a future row waits."""
    ids = enqueue(mail, 3)
    later = enqueue(mail, 1, start=3, due=timedelta(hours=1))

    report = run(mail)

    assert (report.sent, report.retried, report.failed) == (3, 0, 0)
    assert sorted(copies(smtp)) == [address(n) for n in range(3)]
    got = smtp.to(address(1))[0]
    assert got.sender == SENDER
    assert got.message["Subject"] == "Reminder: Action 1"
    assert got.message.get_content_type() == "multipart/alternative"
    assert "Action 1 is due soon." in part(got.message, "plain")
    assert "<p>Dear Owner 1,</p>" in part(got.message, "html")
    stored = rows(mail)
    for row_id in ids:
        row = stored[row_id]
        assert row.status == OutboxStatus.SENT
        assert row.sent_at == NOW
        assert (row.message_id or "").startswith("<")
        assert (row.attempts, row.lease_until) == (1, None)
    assert stored[later[0]].status == OutboxStatus.QUEUED


def test_enqueue_twice_with_one_key_makes_one_row(mail: Context) -> None:
    """A second enqueue with the same idempotency key is a no-op that returns None."""
    enqueue(mail, 1)
    with mail.database.writing() as session:
        again = outbox.enqueue(
            session,
            key="reminder:0",
            template="reminder",
            recipient_email=address(0),
            recipient_name="Owner 0",
            person_id=None,
            context={"action": "Action 0"},
            due_at=NOW,
            now=NOW,
        )
    assert again is None
    assert len(rows(mail)) == 1


def test_two_concurrent_runs_send_each_message_once(
    mail: Context, smtp: CapturingSmtpServer
) -> None:
    """Two runs in two threads at the same moment split the rows: every email arrives once."""
    enqueue(mail, 40)
    barrier = threading.Barrier(2)
    reports: list[DispatchReport] = []

    def worker() -> None:
        barrier.wait(timeout=10)
        reports.append(run(mail, limit=25))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(report.sent for report in reports) == 40
    assert copies(smtp) == Counter({address(n): 1 for n in range(40)})
    assert {row.status for row in rows(mail).values()} == {OutboxStatus.SENT}


def test_connections_are_reused(ctx: Context, smtp: CapturingSmtpServer) -> None:
    """Fifty messages go over at most pool_size connections."""
    mail = with_settings(ctx, smtp, smtp_pool_size=3)
    enqueue(mail, 50)

    assert run(mail).sent == 50
    assert smtp.count == 50
    assert 1 <= smtp.connections <= 3


def test_a_dropped_connection_is_reopened(ctx: Context, smtp: CapturingSmtpServer) -> None:
    """A server hanging up after five messages per connection costs a reconnect, not a retry."""
    mail = with_settings(ctx, smtp, smtp_pool_size=2)
    smtp.messages_per_connection = 5
    enqueue(mail, 20)

    report = run(mail)

    assert (report.sent, report.retried, report.failed) == (20, 0, 0)
    assert copies(smtp) == Counter({address(n): 1 for n in range(20)})
    assert smtp.connections >= 4


def test_a_connection_the_server_closed_while_idle_is_reopened(ctx: Context) -> None:
    """After the server drops an idle connection, the pool reconnects and the send succeeds."""
    with CapturingSmtpServer(idle_timeout=0.2) as server:
        pool = SmtpPool(with_settings(ctx, server).settings, 1)

        async def send_with_a_pause() -> int:
            async with pool:
                before = server.hang_ups  # the server's own readiness probe counts as one
                await pool.send(simple_message(row_for(0)), sender=SENDER, recipient=address(0))
                # Wait for the server to hang up on the idle connection, not for a guessed while.
                hung_up = await asyncio.to_thread(
                    server.wait_until, lambda: server.hang_ups > before, 30.0
                )
                assert hung_up, "the server never closed the idle connection"
                await pool.send(simple_message(row_for(1)), sender=SENDER, recipient=address(1))
            return pool.connections_opened

        assert asyncio.run(send_with_a_pause()) == 2
        assert sorted(copies(server)) == [address(0), address(1)]


# Encryption and login ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate and key for 127.0.0.1, made with the openssl command."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    make = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
    subject = ["-subj", f"/CN={LOOPBACK}", "-addext", f"subjectAltName=IP:{LOOPBACK}"]
    subprocess.run(
        [*make, "-keyout", str(key), "-out", str(cert), *subject], check=True, capture_output=True
    )
    return cert, key


@pytest.fixture
def server_tls(certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> ssl.SSLContext:
    """The server's TLS context; clients in this process trust its certificate (SSL_CERT_FILE)."""
    cert, key = certificate
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def test_starttls_then_login(ctx: Context, server_tls: ssl.SSLContext) -> None:
    """With STARTTLS and credentials configured, mail goes encrypted and logged in."""
    with CapturingSmtpServer(tls=server_tls, credentials=("improveflow", "s3cret")) as server:
        mail = with_settings(
            ctx, server, smtp_starttls=True, smtp_username="improveflow", smtp_password="s3cret"
        )
        enqueue(mail, 3)

        assert run(mail).sent == 3
        assert [(got.tls, got.login) for got in server.received] == [(True, "improveflow")] * 3


def test_implicit_tls(ctx: Context, server_tls: ssl.SSLContext) -> None:
    """With implicit TLS configured, the connection is encrypted from its first byte."""
    with CapturingSmtpServer(tls=server_tls, implicit_tls=True) as server:
        mail = with_settings(ctx, server, smtp_tls=True)
        enqueue(mail, 2)

        assert run(mail).sent == 2
        assert all(got.tls for got in server.received)


def test_a_refused_login_is_retried_not_failed(ctx: Context, server_tls: ssl.SSLContext) -> None:
    """A wrong password is a setting to fix, not the message's fault: the row waits."""
    with CapturingSmtpServer(tls=server_tls, credentials=("improveflow", "s3cret")) as server:
        mail = with_settings(
            ctx, server, smtp_starttls=True, smtp_username="improveflow", smtp_password="wrong"
        )
        (row_id,) = enqueue(mail, 1)

        report = run(mail)

        assert (report.sent, report.retried, report.failed) == (0, 1, 0)
        assert "535" in (rows(mail)[row_id].last_error or "")
        assert server.count == 0


# Faults -----------------------------------------------------------------------------------------


def test_server_down_then_back_delivers_everything_once(
    mail: Context, smtp: CapturingSmtpServer
) -> None:
    """With the server down rows wait with a backoff; once it is back each arrives once."""
    ids = enqueue(mail, 5)
    smtp.stop()

    down = run(mail)

    assert (down.sent, down.retried, down.failed) == (0, 5, 0)
    for row in rows(mail).values():
        assert row.status == OutboxStatus.QUEUED
        assert row.attempts == 1
        assert row.next_attempt_at == NOW + timedelta(minutes=1)
        assert row.lease_until is None
        assert "Could not connect to the mail server" in (row.last_error or "")
        assert (row.fault, row.last_attempt_at) == (DeliveryFault.SERVER, NOW)

    smtp.start()
    assert run(mail, timedelta(seconds=30)).sent == 0  # still backing off
    back = run(mail, timedelta(minutes=1))

    assert back.sent == 5
    assert copies(smtp) == Counter({address(n): 1 for n in range(5)})
    assert all(rows(mail)[row_id].status == OutboxStatus.SENT for row_id in ids)
    assert run(mail, timedelta(minutes=2)).sent == 0


def test_a_refused_recipient_fails_visibly_and_the_rest_go(
    mail: Context, smtp: CapturingSmtpServer
) -> None:
    """A 550 fails that row at once with the reply recorded; the other rows are sent."""
    smtp.refuse(address(1))
    ids = enqueue(mail, 3)

    report = run(mail)

    assert (report.sent, report.retried, report.failed) == (2, 0, 1)
    refused = rows(mail)[ids[1]]
    assert refused.status == OutboxStatus.FAILED
    assert (refused.last_error or "").startswith("550 5.1.1")
    failed = delivery.listed(mail, limit=50, status=OutboxStatus.FAILED)
    assert [row["id"] for row in failed] == [ids[1]]
    listed = delivery.listed(mail, limit=50)
    assert [row["status"] for row in listed] == ["sent", "failed", "sent"]
    assert run(mail, timedelta(hours=2)).sent == 0
    assert smtp.attempts_for(address(1)) == 1


def test_a_temporary_refusal_is_retried_later(mail: Context, smtp: CapturingSmtpServer) -> None:
    """A 451 puts the row back with a backoff; the next run after it delivers the message."""
    smtp.defer(address(0), times=1)
    ids = enqueue(mail, 2)

    first = run(mail)

    assert (first.sent, first.retried) == (1, 1)
    row = rows(mail)[ids[0]]
    assert (row.status, row.attempts) == (OutboxStatus.QUEUED, 1)
    assert (row.last_error or "").startswith("451 4.3.0")
    assert row.next_attempt_at == NOW + timedelta(minutes=1)

    assert run(mail, timedelta(minutes=1)).sent == 1
    assert copies(smtp) == Counter({address(0): 1, address(1): 1})
    assert rows(mail)[ids[0]].attempts == 2


def test_a_server_that_stops_answering_is_given_up_on_and_retried(
    ctx: Context, smtp: CapturingSmtpServer
) -> None:
    """No reply within smtp_timeout_s: the row waits for a retry, the others still go."""
    smtp.stall(address(1), seconds=5.0)
    quick = with_settings(ctx, smtp, smtp_pool_size=2, smtp_timeout_s=0.5)
    ids = enqueue(quick, 3)

    report = run(quick)

    # Waiting the stall out would have had the message accepted: it was given up on instead.
    assert (report.sent, report.retried, report.failed) == (2, 1, 0)
    stalled = rows(quick)[ids[1]]
    assert (stalled.status, stalled.attempts) == (OutboxStatus.QUEUED, 1)
    assert "no reply within 0.5 seconds" in (stalled.last_error or "")


# A real database error on marking a row sent, as a full disk would give.
REFUSE_TO_RECORD = {
    "sqlite": [
        "CREATE TRIGGER refuse_to_record BEFORE UPDATE OF sent_at ON outbox "
        "WHEN NEW.sent_at IS NOT NULL BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse_to_record() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF NEW.sent_at IS NOT NULL THEN RAISE EXCEPTION 'disk I/O error'; END IF; "
        "RETURN NEW; END $$",
        "CREATE TRIGGER refuse_to_record BEFORE UPDATE ON outbox "
        "FOR EACH ROW EXECUTE FUNCTION refuse_to_record()",
    ],
}


def test_a_database_that_cannot_record_stops_the_run_at_once(
    ctx: Context, smtp: CapturingSmtpServer
) -> None:
    """When deliveries cannot be recorded the run fails instead of sending on unrecorded.

    Each connection stops after the message it is waiting to record, so the rows left
    leased are re-sent after the lease at most once per connection.
    """
    pool = with_settings(ctx, smtp, smtp_pool_size=4)
    enqueue(pool, 12)
    with pool.database.engine.begin() as connection:
        for statement in REFUSE_TO_RECORD[pool.database.dialect]:
            connection.exec_driver_sql(statement)

    with pytest.raises(sa.exc.DBAPIError, match="disk I/O error"):
        run(pool)

    assert 1 <= smtp.count <= 4
    assert all(row.status == OutboxStatus.QUEUED for row in rows(pool).values())


def test_temporary_failures_are_retried_until_the_email_is_no_longer_useful(
    mail: Context, smtp: CapturingSmtpServer
) -> None:
    """A recipient put off on every attempt is tried, at most half an hour apart, until the
    email has been due for email_useful_days (3 days), then fails with the reason."""
    smtp.defer(address(0), times=10_000)
    (row_id,) = enqueue(mail, 1)
    useful_until = NOW + timedelta(days=3)

    gaps = []
    at = NOW
    while (row := rows(mail)[row_id]).status == OutboxStatus.QUEUED:
        report = run(mail, at - NOW)
        assert report.sent == 0
        retry_at = rows(mail)[row_id].next_attempt_at
        if retry_at is not None:
            gaps.append(retry_at - at)
            at = retry_at

    assert gaps[:6] == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 30)]
    assert max(gaps) == timedelta(minutes=30)  # capped, not hours apart
    assert at == useful_until  # the last try falls when it stops being useful
    assert row.status == OutboxStatus.FAILED
    assert row.attempts == smtp.attempts_for(address(0)) == len(gaps) + 1
    assert (row.last_error or "").startswith(
        f"gave up after 3 days of trying ({row.attempts} attempts): 451 4.3.0"
    )
    assert run(mail, timedelta(days=4)).failed == 0  # failed is final until asked again


def test_a_message_that_cannot_be_built_fails_visibly(
    mail: Context, smtp: CapturingSmtpServer
) -> None:
    """A factory error fails that row (it will not mend by itself); the others still go."""
    ids = enqueue(mail, 3)

    def flaky(row: OutboxRow) -> OutgoingEmail:
        if row.id == ids[2]:
            raise KeyError("target_date")
        return simple_message(row)

    report = run(mail, factory=flaky)

    assert (report.sent, report.failed) == (2, 1)
    error = rows(mail)[ids[2]].last_error
    assert (error or "").startswith("could not build the message: ")


# Rate limit -------------------------------------------------------------------------------------


def test_rate_limit_leaves_the_rest_queued_untouched(
    ctx: Context, smtp: CapturingSmtpServer
) -> None:
    """At 30 a minute, 45 due rows go as 30 now, none later that minute, 15 a minute on."""
    mail = with_settings(ctx, smtp, smtp_rate_limit=30)
    enqueue(mail, 45)

    first = run(mail)

    assert (first.sent, first.deferred_by_rate_limit, first.failed) == (30, 15, 0)
    waiting = [row for row in rows(mail).values() if row.status == OutboxStatus.QUEUED]
    assert len(waiting) == 15
    for row in waiting:
        assert (row.attempts, row.next_attempt_at, row.lease_until, row.last_error) == (
            0,
            None,
            None,
            None,
        )

    same_minute = run(mail, timedelta(seconds=40))
    assert (same_minute.sent, same_minute.deferred_by_rate_limit) == (0, 15)

    next_minute = run(mail, timedelta(minutes=1))
    assert (next_minute.sent, next_minute.deferred_by_rate_limit) == (15, 0)
    assert copies(smtp) == Counter({address(n): 1 for n in range(45)})


def test_a_sign_in_email_goes_before_a_queue_of_reminders(
    ctx: Context, smtp: CapturingSmtpServer
) -> None:
    """At 30 a minute behind 45 reminders, a sign-in email asked for later still goes at once."""
    mail = with_settings(ctx, smtp, smtp_rate_limit=30)
    enqueue(mail, 45)
    with mail.database.writing() as session:
        outbox.enqueue(
            session,
            key="sign_in:99",
            template="sign_in",
            recipient_email="late@council.example",
            recipient_name="Late Comer",
            person_id=None,
            context={"action": "sign in"},
            due_at=NOW + timedelta(seconds=30),
            now=NOW + timedelta(seconds=30),
        )

    first = run(mail, timedelta(seconds=30))

    assert first.sent == 30
    assert copies(smtp)["late@council.example"] == 1


def test_concurrent_runs_together_keep_to_the_rate_limit(
    ctx: Context, smtp: CapturingSmtpServer
) -> None:
    """Two workers at once share one budget: 30 a minute between them, not 30 each."""
    mail = with_settings(ctx, smtp, smtp_rate_limit=30)
    enqueue(mail, 45)
    barrier = threading.Barrier(2)
    reports: list[DispatchReport] = []

    def worker() -> None:
        barrier.wait(timeout=10)
        reports.append(run(mail))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(report.sent for report in reports) == 30
    assert smtp.count == 30
    with mail.database.reading() as session:
        assert outbox.rate.spent(session.connection(), SENDER, NOW) == 30


# Leases -----------------------------------------------------------------------------------------


def test_a_dead_workers_row_is_sent_again_after_its_lease(
    mail: Context, smtp: CapturingSmtpServer
) -> None:
    """A worker that sent and died before marking costs one extra copy, after its lease."""
    enqueue(mail, 3)
    (held,) = claim(mail, NOW, 1)
    asyncio.run(
        aiosmtplib.send(
            simple_message(held).data,
            hostname=smtp.host,
            port=smtp.port,
            sender=SENDER,
            recipients=[held.recipient_email],
        )
    )

    during = run(mail, timedelta(seconds=30))
    assert during.sent == 2  # the held row is left alone while its lease runs
    after = run(mail, LEASE + timedelta(seconds=1))

    assert after.sent == 1
    assert copies(smtp)[held.recipient_email] == 2
    assert sum(copies(smtp).values()) == 4
    # The dead worker's late marks change nothing.
    with mail.database.writing() as session:
        late = session.connection()
        assert outbox.mark_sent(late, [(held.id, "<late@council.example>")], NOW) == 0
        retry = [(held.id, NOW)]
        assert not outbox.mark_retry(
            late, retry, NOW, "late", fault=DeliveryFault.SERVER, lease_until=held.lease_until
        )
    assert rows(mail)[held.id].status == OutboxStatus.SENT


def _dispatch_in_child(url: str, port: int) -> None:
    """The doomed worker: a whole dispatch run in its own process, on four connections."""
    context = make_context(url, migrate=False)
    settings = context.settings.model_copy(
        update={
            "smtp_host": LOOPBACK,
            "smtp_port": port,
            "smtp_from": SENDER,
            "smtp_pool_size": 4,
            "smtp_timeout_s": 120.0,  # outlasts the stall that keeps the run from finishing
        }
    )
    run(
        Context(
            settings=settings,
            database=context.database,
            workflows=context.workflows,
            clock=context.clock,
        )
    )


def test_a_run_killed_mid_dispatch_loses_nothing(mail: Context, smtp: CapturingSmtpServer) -> None:
    """SIGKILL mid-run, then a run after the lease: all arrive, repeats at most one per sender."""
    total = 400
    enqueue(mail, total)
    # The last email is held for a minute, so the run cannot have finished when it is killed.
    smtp.stall(address(total - 1), 60.0)
    child = multiprocessing.get_context("spawn").Process(
        target=_dispatch_in_child, args=(mail.database.url, smtp.port)
    )
    child.start()
    # Woken by each arrival; a child that died early is caught just below.
    smtp.wait_until(lambda: smtp.count >= 40, 120.0)
    assert child.is_alive(), f"the run stopped by itself (exit code {child.exitcode})"
    child.kill()
    child.join(timeout=10)
    smtp.stall(address(total - 1), 0.0)
    delivered_before = smtp.count
    assert delivered_before < total

    assert run(mail, timedelta(seconds=30)).sent == 0  # the dead run's lease still holds
    after = run(mail, LEASE + timedelta(seconds=1))

    got = copies(smtp)
    assert set(got) == {address(n) for n in range(total)}
    assert sum(got.values()) - total <= 4  # only what was in flight on its 4 connections
    assert after.sent >= total - delivered_before
    assert {row.status for row in rows(mail).values()} == {OutboxStatus.SENT}


def test_marks_are_idempotent_and_need_the_lease(mail: Context) -> None:
    """Marks apply once, only to a leased row, and a retry from a lapsed claim is ignored."""
    (row_id,) = enqueue(mail, 1)
    server = DeliveryFault.SERVER

    def retry(at: datetime, error: str, lease_until: datetime | None = None) -> int:
        with mail.database.writing() as session:
            return outbox.mark_retry(
                session.connection(),
                [(row_id, at)],
                at,
                error,
                fault=server,
                lease_until=lease_until,
            )

    assert retry(NOW, "not claimed") == 0
    with mail.database.writing() as session:
        failed = outbox.mark_failed(session.connection(), row_id, NOW, "not claimed", fault=server)
    assert not failed

    (first,) = claim(mail, NOW, 10)
    later = NOW + LEASE + timedelta(seconds=1)
    (second,) = claim(mail, later, 10)
    assert retry(later, "stale", first.lease_until) == 0
    assert retry(later, "451 busy", second.lease_until) == 1
    assert retry(later, "451 busy", second.lease_until) == 0
    row = rows(mail)[row_id]
    assert (row.attempts, row.last_error, row.lease_until) == (1, "451 busy", None)


def test_claimers_get_disjoint_rows(mail: Context) -> None:
    """Two threads claiming in small batches at once share the rows out with no overlap."""
    enqueue(mail, 60)
    barrier = threading.Barrier(2)
    claimed: dict[str, list[int]] = {"a": [], "b": []}

    def claimer(name: str) -> None:
        barrier.wait(timeout=10)
        while batch := claim(mail, NOW, 7):
            claimed[name].extend(row.id for row in batch)

    threads = [threading.Thread(target=claimer, args=(name,)) for name in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not set(claimed["a"]) & set(claimed["b"])
    assert sorted(claimed["a"] + claimed["b"]) == sorted(rows(mail))


def test_postgres_claims_skip_locked_rows(mail: Context) -> None:
    """On PostgreSQL a claim passes over rows another transaction has locked, without waiting."""
    if mail.database.dialect != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite has one writer at a time")
    ids = enqueue(mail, 10)
    with mail.database.engine.connect() as holder:
        holder.exec_driver_sql("SELECT id FROM outbox WHERE id <= %s FOR UPDATE", (ids[3],))
        got: list[OutboxRow] = []
        other = threading.Thread(target=lambda: got.extend(claim(mail, NOW, 10)))
        other.start()
        other.join(timeout=10)
        assert not other.is_alive(), "the claim waited for the locked rows"
        holder.rollback()
    assert [row.id for row in got] == ids[4:]


# The real renderer ------------------------------------------------------------------------------


def test_the_default_factory_renders_real_templates(
    ctx: Context, smtp: CapturingSmtpServer
) -> None:
    """send_due's default factory delivers a rendered reminder whose links verify."""
    add_sample_people(ctx)
    with ctx.database.reading() as session:
        owner = people.person_by_email(session, "owen@council.example")
        session.expunge(owner)
    assert owner.id is not None
    mail = with_settings(ctx, smtp, secret_key=SECRET, base_url="https://plans.council.example")
    with mail.database.writing() as session:
        outbox.enqueue(
            session,
            key="reminder:action:7:2015-02-21:owen",
            template="reminder",
            recipient_email=owner.email,
            recipient_name=owner.name,
            person_id=owner.id,
            context={"items": [REMINDER_ITEM]},
            due_at=NOW,
            now=NOW,
        )

    # The reminder speaks of an action this test does not make: sent as queued, unchecked.
    report = send_due(mail, now=NOW, check_relevance=False)

    assert (report.sent, report.failed, report.errors) == (1, 0, [])
    (got,) = smtp.to(owner.email)
    message = got.message
    # The stdlib folds a long subject onto its own line; parsing keeps the fold's space.
    assert message["Subject"].strip() == (
        "Reminder: 'Extend medium term financial strategy' is due in 5 working days"
    )
    assert message["To"].addresses[0].display_name == "Owen Marsh"
    text, html = part(message, "plain"), part(message, "html")
    assert "Dear Owen Marsh," in text
    assert "Draft with CMT for comment" in html
    signer = LinkSigner(SECRET, "https://plans.council.example", timedelta(days=14))
    token = re.search(r"/actions/7\?token=([\w.-]+)", text)
    assert token is not None
    assert signer.verify(token.group(1), "action", NOW)["action"] == 7
    unsubscribe = re.search(r"token=([\w.-]+)>", message["List-Unsubscribe"])
    assert unsubscribe is not None
    assert signer.verify(unsubscribe.group(1), "unsubscribe", NOW)["person"] == owner.id
    (stored,) = rows(mail).values()
    assert stored.message_id == message["Message-ID"]
