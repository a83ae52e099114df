"""End to end in real headless Chromium: emails caught by a loopback SMTP server, clicked through.

The app runs under uvicorn on a free loopback port, in a thread, against a temporary SQLite
database and a frozen clock that the test moves. Each step saves a screenshot under the run's
output folder (IMPROVEFLOW_TEST_OUTPUT, or pytest's temporary folder).
"""

from __future__ import annotations

import re
import smtplib
import threading
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from browser_support import launched_chromium, needs_chromium, output_folder, serving
from web_helpers import SECRET, start_action, tampered

from improveflow.calendar import LONDON
from improveflow.clock import FrozenClock
from improveflow.models import Outbox
from improveflow.services import sign_in, sweep
from improveflow.services.context import Context
from improveflow.services.delivery import send_due
from improveflow.stores import tables
from improveflow.testing import add_action, add_plan, add_sample_people, make_context
from improveflow.testing.smtp import CapturingSmtpServer, free_port
from improveflow.web.serve import server_for

# Monday 2 June 2014, 10:00 in London: the owner's action is due in 5 working days.
START = datetime(2014, 6, 2, 10, 0, tzinfo=LONDON)
TARGET = date(2014, 6, 9)

pytestmark = needs_chromium


@dataclass
class Live:
    ctx: Context
    clock: FrozenClock
    smtp: CapturingSmtpServer
    base: str
    shots: Path
    taken: int = 0

    def shot(self, page: Any, name: str) -> None:
        self.taken += 1
        page.screenshot(path=str(self.shots / f"{self.taken:02d}-{name}.png"), full_page=True)

    def deliver(self) -> None:
        """What the scheduler does every minute: bundle due notices and send the outbox."""
        now = self.clock.now()
        sweep.queue_due_notices(self.ctx, now=now)
        # Playwright's sync API keeps an event loop running in this thread, and the sender
        # runs its own with asyncio.run: so it sends from a thread of its own, as it would
        # from the scheduler's.
        with ThreadPoolExecutor(max_workers=1) as sender:
            sender.submit(send_due, self.ctx, now).result(timeout=60)

    def link_in_mail(self, to: str, subject_starts: str, path: str) -> str:
        for received in reversed(self.smtp.to(to)):
            message = received.message
            if str(message["Subject"]).startswith(subject_starts):
                text = message.get_body(("plain",)).get_content()
                for link in re.findall(re.escape(self.base) + r"/[^\s\"<>]+", text):
                    if path in link:
                        return str(link)
        subjects = [str(m.message["Subject"]) for m in self.smtp.to(to)]
        raise AssertionError(f"no '{subject_starts}' email with a {path} link to {to}: {subjects}")

    def sign_in_link_queued_for(self, email: str) -> str:
        """The link of the sign-in email the form queued (made as the sender will make it)."""
        outbox = tables.table_of(Outbox)
        with self.ctx.database.reading() as session:
            person_id = (
                session.connection()
                .execute(
                    sa.select(outbox.c.person_id).where(
                        outbox.c.template == sign_in.SIGN_IN_TEMPLATE,
                        outbox.c.recipient_email == email,
                    )
                )
                .scalar_one()
            )
        return sign_in.signer(self.ctx).sign_in_link(int(person_id))


@pytest.fixture
def screenshots(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return output_folder(tmp_path_factory.getbasetemp(), request.node.name)


@pytest.fixture
def live(tmp_path: Path, screenshots: Path) -> Iterator[Live]:
    """The app on a free loopback port, with mail going to a capturing SMTP server."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    clock = FrozenClock(START)
    with CapturingSmtpServer() as smtp:
        ctx = make_context(
            f"sqlite:///{tmp_path / 'web.db'}",
            clock=clock,
            secret_key=SECRET,
            base_url=base,
            smtp_host=smtp.host,
            smtp_port=smtp.port,
            smtp_from="improvement-plans@council.example",
        )
        server = server_for(ctx, "127.0.0.1", port, log_level="warning")
        thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
        thread.start()
        deadline = time.monotonic() + 15
        while not server.started:
            assert time.monotonic() < deadline, "the web server did not start"
            time.sleep(0.02)
        try:
            yield Live(ctx, clock, smtp, base, screenshots)
        finally:
            server.should_exit = True
            thread.join(timeout=15)
            ctx.close()


@pytest.fixture
def browser() -> Iterator[Any]:
    with launched_chromium() as launched:
        yield launched


def _person(browser: Any) -> Any:
    """A fresh browser profile: its own cookies, a UK locale and clock, a laptop's screen."""
    context = browser.new_context(
        locale="en-GB", timezone_id="Europe/London", viewport={"width": 1100, "height": 900}
    )
    return context.new_page()


def test_owner_updates_cmt_approves_stale_page_refused_links_checked(
    live: Live, browser: Any
) -> None:
    """The whole round: reminder link, progress, completion asked, CMT approves, lead sees it."""
    from playwright.sync_api import expect

    ctx = live.ctx
    add_sample_people(ctx)
    plan_id = add_plan(ctx)
    action_id = add_action(ctx, plan_id, "Extend medium term financial strategy", target=TARGET)
    start_action(ctx, action_id)
    waiting_id = add_action(ctx, plan_id, "Agree a workforce plan", owner="priya@council.example")
    signer = sign_in.signer(ctx)
    with ctx.database.reading() as session:
        priya = (
            session.connection()
            .execute(sa.text("SELECT id FROM person WHERE email = 'priya@council.example'"))
            .scalar_one()
        )
    old_link = signer.action_link(int(priya), waiting_id)  # an email Priya will open too late

    # The sweep reminds Owen; the mail arrives with a link to his action.
    report = sweep.sweep(ctx)
    assert "reminder" in [d.kind for d in report.decisions]
    live.deliver()
    reminder_link = live.link_in_mail("owen@council.example", "Reminder", f"/actions/{action_id}")

    # Two days after the target date the action is escalated; the lead sees it on her dashboard.
    live.clock.set(datetime(2014, 6, 11, 10, 0, tzinfo=LONDON))
    sweep.sweep(ctx)
    live.deliver()
    pia = _person(browser)
    _open_link(pia, sign_in.signer(ctx).sign_in_link(_id(ctx, "pia@peers.example")))
    pia.goto(f"{live.base}/plans/{plan_id}/dashboard")
    expect(pia.get_by_role("heading", name="Open escalations")).to_be_visible()
    expect(pia.locator(".counts").nth(2)).to_contain_text("at level 1")
    live.shot(pia, "lead-dashboard-escalated")

    # The council's mail scanner opens the link to check it first; that must not use it up.
    with urllib.request.urlopen(reminder_link) as scanned:
        assert b"Continue to improveflow" in scanned.read()

    # Owen follows the reminder, records progress (with markup, shown as text) and asks to finish.
    owen = _person(browser)
    owen.goto(reminder_link)
    expect(owen.get_by_role("heading", level=1)).to_have_text("Continue to improveflow")
    live.shot(owen, "link-continue")
    owen.get_by_role("button", name="Continue").click()
    assert owen.url == f"{live.base}/actions/{action_id}"
    expect(owen.get_by_role("heading", level=1)).to_have_text(
        "Extend medium term financial strategy"
    )
    expect(owen.get_by_text("overdue")).to_be_visible()
    live.shot(owen, "owner-action-page")
    owen.get_by_label("What has happened since the last update?").fill(
        "Strategy drafted <script>alert(1)</script> and agreed with finance."
    )
    owen.get_by_label("Green: on track").check()
    owen.get_by_role("button", name="Save progress update").click()
    expect(owen.get_by_role("status")).to_contain_text("Your progress update has been saved")
    expect(owen.get_by_text("<script>alert(1)</script>", exact=False).first).to_be_visible()
    live.shot(owen, "owner-progress-saved")
    owen.locator("#change-complete-reason").fill("The strategy was adopted by Council.")
    owen.get_by_role("button", name="Mark the action complete").click()
    expect(owen.get_by_role("heading", name="Waiting for a decision")).to_be_visible()
    live.shot(owen, "owner-completion-requested")

    # CMT hear about it. Sam opens his email's link and leaves the page open.
    live.deliver()
    sams_link = live.link_in_mail("sam@council.example", "Approval needed", "/approvals/")
    sam = _person(browser)
    _open_link(sam, sams_link)
    expect(sam.get_by_role("button", name="Approve")).to_be_visible()
    live.shot(sam, "second-member-opens-request")

    # Dana signs in with a magic link and approves from her queue.
    dana = _person(browser)
    dana.goto(f"{live.base}/sign-in")
    dana.get_by_label("Email address").fill("dana@council.example")
    dana.get_by_role("button", name="Email me a sign-in link").click()
    expect(dana.get_by_role("heading", name="Check your email")).to_be_visible()
    live.shot(dana, "member-asks-for-sign-in-link")
    _open_link(dana, live.sign_in_link_queued_for("dana@council.example"))
    expect(dana.get_by_role("heading", name="Approvals waiting for a decision")).to_be_visible()
    expect(dana.get_by_text("The strategy was adopted by Council.")).to_be_visible()
    live.shot(dana, "member-queue")
    dana.get_by_role("link", name=re.compile("^Decide")).click()
    dana.get_by_label("Comment").fill("Agreed: well done.")
    dana.get_by_role("button", name="Approve").click()
    expect(dana.get_by_role("status")).to_contain_text("You approved this request")
    expect(dana.get_by_text("This request was approved")).to_be_visible()
    live.shot(dana, "member-approved")

    # Sam's page is stale now: his approve is refused, and the page says who decided.
    sam.get_by_role("button", name="Approve").click()
    expect(sam.get_by_role("alert")).to_contain_text("already approved by Dana Reeve")
    live.shot(sam, "second-member-refused")

    # The action is complete, so its escalation has closed on the lead's dashboard.
    pia.reload()
    expect(pia.get_by_text("No action of this plan is escalated.")).to_be_visible()
    live.shot(pia, "lead-dashboard-closed")

    # Links: a used one, a tampered one and an expired one are each explained.
    stranger = _person(browser)
    stranger.goto(reminder_link)
    expect(stranger.get_by_role("heading", level=1)).to_have_text("This link has already been used")
    live.shot(stranger, "link-used")
    stranger.goto(tampered(reminder_link))
    expect(stranger.get_by_role("heading", level=1)).to_have_text("This link does not work")
    live.shot(stranger, "link-tampered")
    live.clock.set(START + timedelta(days=15))
    stranger.goto(old_link)
    expect(stranger.get_by_role("heading", level=1)).to_have_text("This link has expired")
    expect(stranger.get_by_role("link", name="Get a new link")).to_be_visible()
    live.shot(stranger, "link-expired")
    saved = sorted(live.shots.iterdir())
    assert len(saved) == live.taken == 14
    assert all(p.stat().st_size > 0 for p in saved)


def _open_link(page: Any, link: str) -> None:
    """Open a link from an email and press Continue, as a person does."""
    page.goto(link)
    page.get_by_role("button", name="Continue").click()


def _id(ctx: Context, email: str) -> int:
    with ctx.database.reading() as session:
        found = session.connection().execute(
            sa.text("SELECT id FROM person WHERE email = :email"), {"email": email}
        )
        return int(found.scalar_one())


def test_action_page_is_readable_on_a_phone(live: Live, browser: Any) -> None:
    """At a phone's width nothing is wider than the screen, and the forms are all there."""
    from playwright.sync_api import expect

    ctx = live.ctx
    add_sample_people(ctx)
    plan_id = add_plan(ctx)
    action_id = add_action(ctx, plan_id, target=TARGET)
    start_action(ctx, action_id)
    phone = browser.new_context(
        locale="en-GB", viewport={"width": 375, "height": 740}, is_mobile=True
    ).new_page()
    _open_link(phone, sign_in.signer(ctx).action_link(_id(ctx, "owen@council.example"), action_id))
    expect(phone.get_by_role("button", name="Save progress update")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    live.shot(phone, "owner-action-page-phone")


HOSTILE_HTML = """\
<!doctype html><html><head><title>Trap</title></head><body>
<h1 style="color:#00703c">Reminder for Owen</h1>
<p id="said">Nothing ran.</p>
<script>document.getElementById("said").textContent = "A script ran.";</script>
<img src="data:," onerror="document.getElementById('said').textContent = 'A handler ran.'">
<a href="{base}/help">Open the help page</a>
</body></html>
"""


def test_demo_mail_shows_an_email_as_a_mail_client_does_and_runs_nothing_in_it(
    tmp_path: Path, browser: Any, screenshots: Path
) -> None:
    """An email's HTML shows in the demo mailbox's frame, styled, with no script or handler run;
    its links open in the whole window; its text is one click away."""
    from playwright.sync_api import expect

    from improveflow.demo.run import demo_app

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with CapturingSmtpServer() as smtp:
        message = EmailMessage()
        message["From"], message["To"] = "improveflow@council.example", "owen@council.example"
        message["Subject"] = "Reminder: a test of the mailbox"
        message["Date"] = "Mon, 02 Jun 2014 09:00:00 +0100"
        message.set_content(f"Plain words for Owen.\n\nHelp: {base}/help\n")
        message.add_alternative(HOSTILE_HTML.format(base=base), subtype="html")
        with smtplib.SMTP(smtp.host, smtp.port) as client:
            client.send_message(message)
        ctx = make_context(f"sqlite:///{tmp_path / 'demo.db'}", secret_key=SECRET, base_url=base)
        try:
            with serving(demo_app(ctx, smtp), port):
                page = browser.new_page()
                page.goto(f"{base}/demo/mail")
                page.get_by_role("link", name="Reminder: a test of the mailbox").click()
                expect(page.get_by_role("heading", level=1)).to_have_text(
                    "Reminder: a test of the mailbox"
                )
                frame = page.frame_locator("iframe.mail-frame")
                expect(frame.get_by_role("heading", name="Reminder for Owen")).to_be_visible()
                expect(frame.locator("#said")).to_have_text("Nothing ran.")
                expect(frame.get_by_role("heading")).to_have_css("color", "rgb(0, 112, 60)")
                live_shot = screenshots / "demo-mail-email.png"
                page.screenshot(path=str(live_shot), full_page=True)
                frame.get_by_role("link", name="Open the help page").click()
                expect(page).to_have_url(f"{base}/help")  # the whole window, not the frame
                page.go_back()
                page.get_by_role("link", name="Show the plain text version").click()
                expect(page.get_by_text("Plain words for Owen.")).to_be_visible()
                expect(page.get_by_role("link", name=f"{base}/help")).to_be_visible()
                assert live_shot.stat().st_size > 0
        finally:
            ctx.close()
