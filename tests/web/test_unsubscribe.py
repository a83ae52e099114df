"""One-click unsubscribe (RFC 8058) from the List-Unsubscribe header of an email really sent.

Mail goes through the real dispatcher to a loopback SMTP server; the header's address is then
POSTed as a mail provider does: `List-Unsubscribe=One-Click`, no cookie, no form token.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from web_helpers import (
    BASE,
    SECRET,
    Council,
    add_council,
    csrf,
    path_of,
    sign_in,
    start_action,
    tampered,
)

from improveflow.calendar import LONDON
from improveflow.clock import FrozenClock
from improveflow.models import AuditEvent, Person
from improveflow.services import approvals, progress, sweep
from improveflow.services import sign_in as sign_in_service
from improveflow.services.context import Context
from improveflow.services.delivery import send_due
from improveflow.stores import people as people_store
from improveflow.stores import tables
from improveflow.testing import add_action, make_context
from improveflow.testing.smtp import CapturingSmtpServer
from improveflow.web.app import create_app
from improveflow.web.state import SESSION_COOKIE

ONE_CLICK = b"List-Unsubscribe=One-Click"
FORM = {"content-type": "application/x-www-form-urlencoded"}
# Monday 2 June 2014, 10:00 in London (the tests' frozen clock).
MONDAY = datetime(2014, 6, 2, 10, 0, tzinfo=LONDON)
OWEN = "owen@council.example"


@pytest.fixture
def smtp() -> Iterator[CapturingSmtpServer]:
    with CapturingSmtpServer() as server:
        yield server


@pytest.fixture
def mail_ctx(database_url: str, clock: FrozenClock, smtp: CapturingSmtpServer) -> Iterator[Context]:
    context = make_context(
        database_url,
        clock=clock,
        secret_key=SECRET,
        base_url=BASE,
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_from="improvement-plans@council.example",
    )
    yield context
    context.close()


@pytest.fixture
def council(mail_ctx: Context) -> Council:
    return add_council(mail_ctx)


@pytest.fixture
def app(mail_ctx: Context) -> FastAPI:
    return create_app(mail_ctx)


def _stranger(app: FastAPI) -> TestClient:
    """A client with no cookie at all, as a mail provider's unsubscribe request arrives."""
    return TestClient(app, base_url=BASE)


def _deliver(ctx: Context) -> None:
    """The scheduler's work at the clock's moment: the sweep, then sending what is due."""
    now = ctx.clock.now()
    sweep.sweep(ctx, now=now)
    send_due(ctx, now=now)


def _unsubscribe_address(smtp: CapturingSmtpServer, to: str) -> str:
    """The List-Unsubscribe address of the newest email to `to`, as its header gives it."""
    message = smtp.to(to)[-1].message
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    header = str(message["List-Unsubscribe"])
    assert header.startswith("<"), header
    assert header.endswith(">"), header
    return header[1:-1]


def _texts(smtp: CapturingSmtpServer, to: str) -> str:
    """The plain-text parts of every email `to` received, decoded."""
    return "\n".join(m.message.get_body(("plain",)).get_content() for m in smtp.to(to))


def _reminder_for_owen(council: Council, smtp: CapturingSmtpServer) -> str:
    """Owen's 5-working-day reminder, really sent; its List-Unsubscribe address."""
    action_id = add_action(council.ctx, council.plan_id, "Publish the asset strategy",
                           target=date(2014, 6, 9))  # fmt: skip
    start_action(council.ctx, action_id)
    smtp.clear()
    _deliver(council.ctx)
    assert "Publish the asset strategy" in _texts(smtp, OWEN)
    return _unsubscribe_address(smtp, OWEN)


def _delivery(council: Council, email: str) -> str:
    with council.ctx.database.reading() as session:
        return people_store.person_by_email(session, email).reminder_delivery


def _preference_events(council: Council) -> list[str]:
    with council.ctx.database.reading() as session:
        events = session.connection().execute(
            sa.select(tables.table_of(AuditEvent).c.data).where(
                tables.table_of(AuditEvent).c.event == "preferences_changed"
            )
        )
        return [str(data) for data in events.scalars()]


def _words(response: Response) -> str:
    """The page's text, tags removed and spaces collapsed, as a person reads it."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())


def test_one_click_post_to_the_header_address_unsubscribes_with_no_session(
    app: FastAPI, council: Council, smtp: CapturingSmtpServer
) -> None:
    """A raw RFC 8058 POST to an email's List-Unsubscribe address, with no cookie or form
    token, answers 200, chooses one email a day and says exactly that; nothing else changes."""
    address = _reminder_for_owen(council, smtp)
    assert address.startswith(f"{BASE}/unsubscribe?token=")
    with _stranger(app) as provider:
        response = provider.post(path_of(address), content=ONE_CLICK, headers=FORM)
        again = provider.post(path_of(address), content=ONE_CLICK, headers=FORM)

    assert response.status_code == 200
    words = _words(response)
    assert "You have unsubscribed from separate reminder emails" in words
    assert "Owen Marsh, your reminders and requests for progress will now come together in " \
        "one email a day, on working days when something is due." in words  # fmt: skip
    assert "Escalations, requests for your approval and decisions on your requests still " \
        "come at once" in words  # fmt: skip
    assert "set-cookie" not in response.headers
    assert _delivery(council, OWEN) == "daily_digest"
    assert {_delivery(council, e) for e in ("dana@council.example", "priya@council.example")} == {
        "immediate"
    }
    # A provider may POST twice: the second finds it done, and records nothing more.
    assert again.status_code == 200
    assert "You already get one email a day" in _words(again)
    assert len(_preference_events(council)) == 1


def test_one_click_also_accepts_multipart_form_data(app: FastAPI, council: Council) -> None:
    """RFC 8058 allows the same field sent as multipart/form-data."""
    address = sign_in_service.signer(council.ctx).unsubscribe_link(council.person_id(OWEN))
    with _stranger(app) as provider:
        response = provider.post(path_of(address), files={"List-Unsubscribe": (None, "One-Click")})
    assert response.status_code == 200
    assert "You have unsubscribed" in response.text
    assert _delivery(council, OWEN) == "daily_digest"


def test_opening_the_address_only_asks_and_its_button_unsubscribes(
    app: FastAPI, council: Council, smtp: CapturingSmtpServer
) -> None:
    """A GET (a person, or a mail scanner checking links) changes nothing and shows an
    Unsubscribe button; pressing it sends the one-click POST to the same address."""
    address = _reminder_for_owen(council, smtp)
    with _stranger(app) as browser:
        opened = browser.get(path_of(address))
        scanned_twice = browser.get(path_of(address))
        assert _delivery(council, OWEN) == "immediate"
        form = re.search(r'<form method="post" action="([^"]+)">(.*?)</form>', opened.text, re.S)
        assert form is not None
        assert form.group(1) == path_of(address)
        assert '<input type="hidden" name="List-Unsubscribe" value="One-Click">' in form.group(2)
        pressed = browser.post(form.group(1), data={"List-Unsubscribe": "One-Click"})

    assert opened.status_code == scanned_twice.status_code == 200
    words = _words(opened)
    assert "Unsubscribe from separate reminder emails" in words
    assert "This link is for Owen Marsh." in words
    assert "If you unsubscribe, your reminders and requests for progress will come together " \
        "in one email a day instead" in words  # fmt: skip
    assert "Nothing changes until you press Unsubscribe." in words
    assert "set-cookie" not in opened.headers
    assert pressed.status_code == 200
    assert "You have unsubscribed from separate reminder emails" in _words(pressed)
    assert _delivery(council, OWEN) == "daily_digest"


def test_the_unsubscribe_token_opens_nothing_else(
    app: FastAPI, council: Council, smtp: CapturingSmtpServer
) -> None:
    """The header's token makes that one change only: it is no session, follows no Continue
    button and opens no action, approval, sign-in or preferences page."""
    address = _reminder_for_owen(council, smtp)
    token = address.split("token=", 1)[1]
    opened = approvals.request_change(
        council.ctx, council.drafted_id, "approve", by_email="priya@council.example"
    )
    with _stranger(app) as stranger:
        for page in (
            f"/actions/{council.action_id}?token={token}",
            f"/approvals/{opened.request_id}?token={token}",
            f"/sign-in?token={token}",
            f"/preferences?token={token}",
        ):
            refused = stranger.get(page)
            assert refused.status_code == 400, page
            assert "This link does not work" in refused.text, page
        form_token = csrf(stranger.get("/sign-in").text)
        for purpose in ("unsubscribe", "preferences", "sign_in", "action"):
            followed = stranger.post(
                "/links/follow",
                data={"csrf_token": form_token, "token": token, "purpose": purpose},
                follow_redirects=False,
            )
            assert followed.status_code == 400, purpose
            assert SESSION_COOKIE not in followed.headers.get("set-cookie", ""), purpose
        assert stranger.get("/my-actions", follow_redirects=False).status_code == 303
        # Nor does it work as a session cookie, raw or as the app would sign one.
        for cookie in (token, app.state.web.cookies.dumps(token)):
            stranger.cookies.set(SESSION_COOKIE, cookie)
            assert stranger.get("/my-actions", follow_redirects=False).status_code == 303
            assert stranger.get("/approvals", follow_redirects=False).status_code == 303
            assert stranger.get(f"/actions/{council.action_id}",
                                follow_redirects=False).status_code == 303  # fmt: skip
    assert _delivery(council, OWEN) == "immediate"


def test_an_expired_or_tampered_link_is_refused_with_a_clear_page(
    app: FastAPI, council: Council, smtp: CapturingSmtpServer, clock: FrozenClock
) -> None:
    """A changed link, another kind of link, or one older than a fortnight changes nothing and
    says why and what to do instead."""
    address = _reminder_for_owen(council, smtp)
    action_link = sign_in_service.signer(council.ctx).action_link(council.person_id(OWEN), 1)
    another_kind = "/unsubscribe?token=" + action_link.split("token=", 1)[1]
    with _stranger(app) as provider:
        changed = provider.post(path_of(tampered(address)), content=ONE_CLICK, headers=FORM)
        misused = provider.post(another_kind, content=ONE_CLICK, headers=FORM)
        clock.set(MONDAY + timedelta(days=15))
        expired = provider.post(path_of(address), content=ONE_CLICK, headers=FORM)
        expired_page = provider.get(path_of(address))

    for refused in (changed, misused):
        assert refused.status_code == 400
        words = _words(refused)
        assert "This unsubscribe link does not work" in words
        assert "Nothing has been changed." in words
        assert "use the unsubscribe link in a newer email from improveflow, or sign in" in words
    assert expired.status_code == expired_page.status_code == 410
    words = _words(expired)
    assert "This unsubscribe link has expired" in words
    assert "Unsubscribe links last 14 days, like every link in improveflow's emails." in words
    assert 'href="/preferences"' in expired.text
    assert _delivery(council, OWEN) == "immediate"
    assert _preference_events(council) == []


def test_a_post_without_the_one_click_field_changes_nothing(app: FastAPI, council: Council) -> None:
    """Only `List-Unsubscribe=One-Click` unsubscribes: any other POST is refused, plainly."""
    address = sign_in_service.signer(council.ctx).unsubscribe_link(council.person_id(OWEN))
    with _stranger(app) as stranger:
        empty = stranger.post(path_of(address), content=b"", headers=FORM)
        other = stranger.post(path_of(address), data={"List-Unsubscribe": "Yes"})
    assert empty.status_code == other.status_code == 400
    assert "Use the Unsubscribe button" in empty.text
    assert "Nothing has been changed." in _words(other)
    assert _delivery(council, OWEN) == "immediate"


def test_one_click_to_an_older_emails_preferences_address_still_works(
    app: FastAPI, council: Council
) -> None:
    """Emails sent before the unsubscribe address existed point List-Unsubscribe at the
    preferences link: a one-click POST there unsubscribes too; other POSTs still need a session."""
    address = sign_in_service.signer(council.ctx).preferences_link(council.person_id(OWEN))
    with _stranger(app) as provider, _stranger(app) as owen:
        # The link in the address is no form token for any other choice, signed in or not.
        sign_in(owen, council, OWEN)
        for browser in (provider, owen):
            choice = browser.post(path_of(address), data={"delivery": "daily_digest"})
            assert choice.status_code == 403
        assert _delivery(council, OWEN) == "immediate"
        response = provider.post(path_of(address), content=ONE_CLICK, headers=FORM)
    assert response.status_code == 200
    assert "You have unsubscribed from separate reminder emails" in _words(response)
    assert "set-cookie" not in response.headers
    assert _delivery(council, OWEN) == "daily_digest"


def test_after_unsubscribing_escalations_and_approval_requests_still_come_at_once(
    app: FastAPI, council: Council, smtp: CapturingSmtpServer, clock: FrozenClock
) -> None:
    """What the pages promise holds: an unsubscribed approver is asked for a decision at once,
    and an unsubscribed owner's escalation comes at once while their reminder waits for the
    next day's email."""
    ctx = council.ctx
    owen_address = _reminder_for_owen(council, smtp)
    dana_address = sign_in_service.signer(ctx).unsubscribe_link(
        council.person_id("dana@council.example")
    )
    with _stranger(app) as provider:
        for address in (owen_address, dana_address):
            assert provider.post(path_of(address), content=ONE_CLICK, headers=FORM).is_success
    # Overdue since Friday, and due in 5 working days from Tuesday, both Owen's.
    late = add_action(ctx, council.plan_id, "Close the old depot", target=date(2014, 5, 30))
    soon = add_action(ctx, council.plan_id, "Sign the leisure contract", target=date(2014, 6, 10))
    for action_id in (late, soon):
        start_action(ctx, action_id)
    progress.record_progress(ctx, council.action_id, "All done", None, by_email=OWEN)
    approvals.request_change(ctx, council.action_id, "complete", by_email=OWEN)
    smtp.clear()
    sweep.queue_due_notices(ctx)  # requests and decisions go as they are made
    send_due(ctx)
    # Dana is asked to decide Owen's request at once, though she unsubscribed.
    assert "Extend medium term financial strategy" in _texts(smtp, "dana@council.example")
    smtp.clear()

    clock.set(datetime(2014, 6, 3, 10, 0, tzinfo=LONDON))
    _deliver(ctx)
    owens = _texts(smtp, OWEN)
    assert "Close the old depot" in owens  # the escalation, at once
    assert "Sign the leisure contract" not in owens  # the reminder waits for the digest

    smtp.clear()
    clock.set(datetime(2014, 6, 4, 9, 0, tzinfo=LONDON))
    _deliver(ctx)
    assert "Sign the leisure contract" in _texts(smtp, OWEN)


def test_unsubscribing_is_recorded_for_its_person_only(app: FastAPI, council: Council) -> None:
    """The change is audited as the link's person changing their own preference."""
    owen = council.person_id(OWEN)
    address = sign_in_service.signer(council.ctx).unsubscribe_link(owen)
    with _stranger(app) as provider:
        provider.post(path_of(address), content=ONE_CLICK, headers=FORM)
    audit, people = tables.table_of(AuditEvent), tables.table_of(Person)
    with council.ctx.database.reading() as session:
        rows = session.connection().execute(
            sa.select(audit.c.actor_id, people.c.reminder_delivery)
            .join(people, people.c.id == audit.c.actor_id)
            .where(audit.c.event == "preferences_changed")
        )
        assert [tuple(row) for row in rows] == [(owen, "daily_digest")]


def test_the_preferences_page_agrees_with_what_unsubscribing_did(
    app: FastAPI, council: Council
) -> None:
    """After unsubscribing, the preferences page shows one email a day chosen, and says what
    unsubscribing chooses and what no setting turns off, in the unsubscribe page's terms."""
    address = sign_in_service.signer(council.ctx).unsubscribe_link(council.person_id(OWEN))
    with _stranger(app) as provider:
        provider.post(path_of(address), content=ONE_CLICK, headers=FORM)
    with _stranger(app) as owen:
        sign_in(owen, council, OWEN)
        preferences = owen.get("/preferences")
    assert 'value="daily_digest" checked' in preferences.text
    words = _words(preferences)
    assert "In one email a day that lists them all" in words
    assert (
        "Escalations, requests for your approval and decisions on your requests always come at "
        "once: no setting turns them off, because someone is waiting for you. Unsubscribing from "
        "improveflow's emails (with your email program's Unsubscribe button) chooses one email "
        "a day." in words
    )
